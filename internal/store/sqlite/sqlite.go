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
		"busy_timeout(10000)",
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
	cp := startCheckpointer(cpConn, every)
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

// checkpointer copies the WAL into the database file in the background.
// It uses its own connection: a PASSIVE checkpoint never blocks the writer.
type checkpointer struct {
	stopOnce sync.Once
	quit     chan struct{}
	done     chan struct{}
	conn     *sql.DB
}

func startCheckpointer(conn *sql.DB, every time.Duration) *checkpointer {
	c := &checkpointer{quit: make(chan struct{}), done: make(chan struct{}), conn: conn}
	go func() {
		defer close(c.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-c.quit:
				return
			case <-t.C:
				c.conn.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
			}
		}
	}()
	return c
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
