// Package sqlite opens a core.Store on one SQLite file (WAL mode) with the
// pure-Go modernc.org/sqlite driver, so the binary needs no C toolchain.
//
// Durability: with Sync (the default) every commit is fsynced before the
// writes in it are answered; a machine crash loses nothing acknowledged.
// With SyncNormal a commit reaches the OS but not the disk: a killed process
// loses nothing, a power cut may lose the last commits.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/parleyim/parley/internal/store/sqlstore"
)

// Options tune Open. The zero value is ready to use.
type Options struct {
	// SyncNormal trades power-loss durability for speed (see the package doc).
	SyncNormal bool
	// MaxBatch bounds how many writes share one transaction. Zero means
	// sqlstore.DefaultMaxBatch.
	MaxBatch int
	// Readers is the read pool's size. Zero means max(4, GOMAXPROCS).
	Readers int
	// CheckpointEvery is how often the WAL is copied back into the database
	// file, off the commit path. Zero means one second.
	CheckpointEvery time.Duration
	// WALRewindPages is the WAL length, in pages, past which the WAL is
	// rewound to its start (see walRewindPages). Zero means 16384 (64 MiB).
	WALRewindPages int
	// SharedWriter makes the store number inbox entries as engines with
	// several writers must (in the database, see sqlstore.Engine.SingleWriter)
	// instead of from its in-memory cache. Slower; for testing that path.
	SharedWriter bool
}

// Open opens (creating if needed) the database at path and its directory.
func Open(ctx context.Context, path string, opt Options) (*sqlstore.Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	sync := "FULL"
	if opt.SyncNormal {
		sync = "NORMAL"
	}
	pragmas := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"journal_mode(WAL)",
		"synchronous(" + sync + ")",
		"foreign_keys(OFF)",
	}
	// The WAL is checkpointed by the loop below, not by the committing
	// connection, so a commit never pays for a checkpoint.
	writer, err := openPool(path, append(pragmas, "wal_autocheckpoint(0)", "cache_size(-65536)"), "&_txlock=immediate", 1)
	if err != nil {
		return nil, err
	}
	readers := opt.Readers
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}
	reader, err := openPool(path, append(pragmas, "query_only(ON)", "cache_size(-16384)"), "", readers)
	if err != nil {
		writer.Close()
		return nil, err
	}
	every := opt.CheckpointEvery
	if every <= 0 {
		every = time.Second
	}
	// The checkpointer has a connection of its own: a PASSIVE checkpoint
	// runs beside the writer instead of holding its only connection (which
	// made commits wait behind every checkpoint).
	cpConn, err := openPool(path, pragmas, "", 1)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, err
	}
	rewindAt := opt.WALRewindPages
	if rewindAt <= 0 {
		rewindAt = walRewindPages
	}
	cp := startCheckpointer(cpConn, writer, every, rewindAt)
	types := sqlstore.Types{
		Int:          "INTEGER",
		Blob:         "BLOB",
		IDColumn:     "INTEGER PRIMARY KEY AUTOINCREMENT", // IDs of purged messages are never reused
		WithoutRowID: " WITHOUT ROWID",
	}
	engine := sqlstore.Engine{
		Name:         "sqlite",
		Schema:       sqlstore.Schema(types),
		SingleWriter: !opt.SharedWriter, // the committer's one connection is the only writer
		LastInsertID: true,
		OnClose:      cp.stop,
	}
	s, err := sqlstore.Open(ctx, engine, writer, reader, opt.MaxBatch)
	if err != nil {
		cp.stop()
		writer.Close()
		reader.Close()
		return nil, err
	}
	return s, nil
}

func openPool(path string, pragmas []string, extra string, conns int) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?"
	for i, p := range pragmas {
		if i > 0 {
			dsn += "&"
		}
		dsn += "_pragma=" + url.QueryEscape(p)
	}
	db, err := sql.Open("sqlite", dsn+extra)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// walRewindPages is the WAL length, in pages, past which the checkpointer
// makes the writer start over at the beginning of the WAL file.
//
// Under a steady stream of commits a PASSIVE checkpoint copies every page
// it sees, but the writer has always appended more by the time it starts
// its next transaction, and SQLite only rewinds the WAL when a transaction
// starts with nothing left to copy. Left alone, the file grows for as long
// as the load lasts (2 GiB beside a 330 MiB database after a million
// imported messages), and every commit appends to fresh blocks whose
// allocation the file system must make durable too (docs/perf.md: p99 of
// REST to device at 2,000/s on that store fell from 48 to 12 ms).
const walRewindPages = 16384 // 64 MiB of 4 KiB pages

// busyTimeout is how long a connection waits for a lock another holds.
const busyTimeout = 10 * time.Second

// rewindBusyTimeout bounds how long a rewind waits for readers that still
// read the old end of the WAL; the writer waits that long at most.
const rewindBusyTimeout = 100 * time.Millisecond

// checkpointer copies the WAL into the database file in the background.
// It uses a connection of its own: a PASSIVE checkpoint never blocks the
// writer. Rewinding the WAL is done on the writer's connection, between two
// of its transactions: it copies the pages of the last moment and waits for
// readers, a few milliseconds every 64 MiB of WAL (a RESTART checkpoint on
// any other connection would have to win the write lock from a writer that
// hardly ever lets go of it).
type checkpointer struct {
	stopOnce sync.Once
	quit     chan struct{}
	done     chan struct{}
	conn     *sql.DB
	writer   *sql.DB
	rewindAt int // WAL pages
}

func startCheckpointer(conn, writer *sql.DB, every time.Duration, rewindAt int) *checkpointer {
	c := &checkpointer{quit: make(chan struct{}), done: make(chan struct{}), conn: conn, writer: writer, rewindAt: rewindAt}
	go func() {
		defer close(c.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-c.quit:
				return
			case <-t.C:
				c.checkpoint()
			}
		}
	}()
	return c
}

// checkpoint copies the WAL into the database and, once the WAL has grown
// past c.rewindAt pages, rewinds it. Errors are left for the next tick: a
// busy rewind (a long read) only means the WAL grows a little longer.
func (c *checkpointer) checkpoint() {
	var busy, logFrames, copied int
	err := c.conn.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied)
	if err == nil && logFrames >= c.rewindAt {
		c.rewind()
	}
}

// rewind runs a RESTART checkpoint on the writer's connection, with a short
// busy timeout while it does.
func (c *checkpointer) rewind() {
	ctx := context.Background()
	conn, err := c.writer.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout=%d`, rewindBusyTimeout.Milliseconds())); err != nil {
		return
	}
	conn.ExecContext(ctx, `PRAGMA wal_checkpoint(RESTART)`)
	// Restore the writer's own timeout; if this fails the connection is
	// unusable anyway and the next transaction says so.
	conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout=%d`, busyTimeout.Milliseconds()))
}

// stop ends the loop, runs a final checkpoint that also truncates the WAL
// (the committer has stopped by then) and closes the connection.
func (c *checkpointer) stop() error {
	var err error
	c.stopOnce.Do(func() {
		close(c.quit)
		<-c.done
		c.conn.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		err = c.conn.Close()
	})
	return err
}
