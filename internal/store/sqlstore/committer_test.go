package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/parleyim/parley/internal/core"
)

// openTestDB opens a SQLite file with one connection, as package sqlite does
// for its writer.
func openTestDB(t *testing.T) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// hold keeps c's goroutine inside a write of its own until release is
// called, so that the writes queued meanwhile share the next batch.
func hold(t *testing.T, c *Committer) (release func()) {
	t.Helper()
	started, block := make(chan struct{}), make(chan struct{})
	var once sync.Once
	go c.Do(t.Context(), func(context.Context, *sql.Tx) error {
		once.Do(func() { close(started) })
		<-block
		return nil
	})
	<-started
	return func() { close(block) }
}

// waitQueued polls until n writes wait in c's queue.
func waitQueued(t *testing.T, c *Committer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", len(c.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// batch runs fns as concurrent Do calls that share one batch and returns
// their errors in order.
func batch(t *testing.T, c *Committer, fns ...TxFunc) []error {
	t.Helper()
	release := hold(t, c)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = c.Do(t.Context(), fn) })
	}
	waitQueued(t, c, len(fns))
	release()
	wg.Wait()
	return errs
}

func insertRow(v int) TxFunc {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES ($1)`, v)
		return err
	}
}

func countRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// openTestStore opens a Store on a SQLite file, as package sqlite does,
// with one connection for writes and reads.
func openTestStore(t *testing.T, singleWriter bool) *Store {
	t.Helper()
	db := openTestDB(t)
	e := Engine{Name: "test", SingleWriter: singleWriter, Schema: Schema(Types{
		Int: "INTEGER", Blob: "BLOB", IDColumn: "INTEGER PRIMARY KEY AUTOINCREMENT", WithoutRowID: " WITHOUT ROWID"})}
	s, err := Open(t.Context(), e, db, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newTestCommitter(t *testing.T) (*Committer, *sql.DB, *atomic.Int32) {
	t.Helper()
	db := openTestDB(t)
	if _, err := db.Exec(`CREATE TABLE t (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	var rollbacks atomic.Int32
	c := NewCommitter(db, 0, Hooks{OnRollback: func() { rollbacks.Add(1) }})
	t.Cleanup(c.Close)
	return c, db, &rollbacks
}

func TestCommitterUnchangedFailsAlone(t *testing.T) {
	c, db, rollbacks := newTestCommitter(t)
	refused := core.Errorf(core.NotFound, "", "refused")
	errs := batch(t, c, insertRow(1), func(context.Context, *sql.Tx) error { return Unchanged(refused) }, insertRow(2))
	if errs[0] != nil || errs[1] != error(refused) || errs[2] != nil {
		t.Errorf("Do errors = %v, want [nil refused nil] with refused itself", errs)
	}
	if n := rollbacks.Load(); n != 0 {
		t.Errorf("%d rollbacks, want 0", n)
	}
	if n := countRows(t, db); n != 2 {
		t.Errorf("%d rows committed, want 2", n)
	}
}

func TestCommitterFailedBatchRetriesAlone(t *testing.T) {
	c, db, rollbacks := newTestCommitter(t)
	boom := errors.New("boom")
	errs := batch(t, c, insertRow(1), func(ctx context.Context, tx *sql.Tx) error {
		if err := insertRow(9)(ctx, tx); err != nil {
			return err
		}
		return boom
	}, insertRow(2))
	if errs[0] != nil || !errors.Is(errs[1], boom) || errs[2] != nil {
		t.Errorf("Do errors = %v, want [nil boom nil]", errs)
	}
	if n := rollbacks.Load(); n != 2 {
		t.Errorf("%d rollbacks, want 2 (the batch, then the failing write alone)", n)
	}
	if n := countRows(t, db); n != 2 {
		t.Errorf("%d rows committed, want 2", n)
	}
}

// TestHeadCacheDroppedOnRollback checks that inbox numbers cached in a
// transaction that rolled back are handed out again, without a gap.
func TestHeadCacheDroppedOnRollback(t *testing.T) {
	s := openTestStore(t, true)
	const app = core.AppID(1)
	kick := []core.InboxEvent{{User: "u", Kind: core.EventKick}}
	boom := errors.New("boom")
	numberThenFail := func(ctx context.Context, tx *sql.Tx) error {
		if err := s.addInbox(ctx, tx, app, kick, nil); err != nil {
			return err
		}
		return boom
	}
	if err := s.commit.Do(t.Context(), numberThenFail); !errors.Is(err, boom) {
		t.Fatalf("Do = %v, want boom", err)
	}
	errs := batch(t, s.commit, func(ctx context.Context, tx *sql.Tx) error {
		return s.addInbox(ctx, tx, app, kick, nil)
	}, numberThenFail)
	if errs[0] != nil || !errors.Is(errs[1], boom) {
		t.Fatalf("Do errors = %v, want [nil boom]", errs)
	}
	for range 2 {
		if _, err := s.AddInbox(t.Context(), app, kick); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := s.InboxAfter(t.Context(), app, "u", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Fatalf("inbox numbers: entry %d is %d, want 1..3 without gaps (%+v)", i, e.Seq, entries)
		}
	}
	if len(entries) != 3 {
		t.Errorf("inbox has %d entries, want 3", len(entries))
	}
}
