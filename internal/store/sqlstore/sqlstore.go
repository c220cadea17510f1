// Package sqlstore is the core.Store both SQL engines share: the statements
// (written once, in SQL that SQLite and PostgreSQL both accept), the row
// mapping and the group committer. Packages sqlite and postgres supply only
// what differs: opening connections, the schema's types and Engine's flags.
//
// The files follow the contract's topics: accounts.go, c2c.go (append and
// history), c2c_update.go (UpdateC2C and extensions), conversations.go,
// inbox.go and purge.go (retention); for groups, groups.go (groups and
// members), group_messages.go, receipts.go, topics.go and group_purge.go.
// Every write runs inside one of the committer's transactions together with
// everything core says must go with it.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parleyim/parley/internal/core"
)

var _ core.Store = (*Store)(nil)

// Engine is what an SQL engine supplies.
type Engine struct {
	// Name is for errors and logs.
	Name string
	// Schema creates every table and index if missing; statements run in order.
	Schema []string
	// SingleWriter says the store's committer is the only writer of the
	// database (SQLite: one process, one write connection). The store then
	// keeps users' inbox heads in memory and numbers inbox entries without
	// touching inbox_heads. When false (PostgreSQL, where several nodes write),
	// the database assigns every number by incrementing the user's
	// inbox_heads row, which also serializes concurrent writers per user.
	SingleWriter bool
	// LastInsertID says the driver reports inserted row IDs (SQLite), so
	// inserts need no RETURNING clause.
	LastInsertID bool
	// OnClose runs after the committer stopped and before the pools close.
	OnClose func() error
}

// Store is a core.Store on an SQL database. Writes go through one group
// committer; reads use a pool of their own. Every statement on a hot path is
// prepared once: parsing SQL costs more than running it.
type Store struct {
	engine  Engine
	writeDB *sql.DB
	readDB  *sql.DB
	commit  *Committer
	stmt    statements
	now     func() time.Time
	// purgeLimits bound each purge transaction (tests lower them).
	purgeLimits purgeLimits
	// heads caches inbox heads when engine.SingleWriter (else nil). Only
	// the committer's goroutine touches it; see nextInboxSeq.
	heads map[headKey]uint64
	// feed receives each commit's inbox entries (nil: nobody listens);
	// txEntries collects them during the transaction. Both are the
	// committer goroutine's.
	feed        func(core.Commit)
	feedWant    func(core.AppID, string) bool
	txEntries   []core.InboxEntry
	txGroupMsgs []core.GroupMessage
	// recent lets sends skip the de-dup query (single writer only).
	recent recentSends
	// txStmts are the statements bound to the committer's current
	// transaction; only the committer's goroutine touches it (see bound).
	txStmts struct {
		tx *sql.Tx
		m  map[*sql.Stmt]*sql.Stmt
	}
}

// statements are the prepared statements, grouped by the file that uses
// them; w* run in the committer's transactions, r* on the read pool.
type statements struct {
	accountStmts
	c2cStmts
	updateStmts
	convStmts
	inboxStmts
	purgeStmts
	groupStmts
	groupMsgStmts
	receiptStmts
	topicStmts
	groupPurgeStmts
}

// stmtDef is one statement to prepare into *dst, on the write connection
// (write) or on the read pool.
type stmtDef struct {
	dst   **sql.Stmt
	write bool
	sql   string
}

// defs lists every statement of every file.
func (st *statements) defs() []stmtDef {
	return slices.Concat(st.accountStmts.defs(), st.c2cStmts.defs(), st.updateStmts.defs(),
		st.convStmts.defs(), st.inboxStmts.defs(), st.purgeStmts.defs(),
		st.groupStmts.defs(), st.groupMsgStmts.defs(), st.receiptStmts.defs(), st.topicStmts.defs(),
		st.groupPurgeStmts.defs())
}

func (s *Store) prepare(ctx context.Context) error {
	for _, d := range s.stmt.defs() {
		db := s.readDB
		if d.write {
			db = s.writeDB
		}
		p, err := db.PrepareContext(ctx, d.sql)
		if err != nil {
			return fmt.Errorf("%s prepare: %w (in %.60q)", s.engine.Name, err, d.sql)
		}
		*d.dst = p
	}
	return nil
}

// Open applies the engine's schema through writeDB and returns a Store that
// writes through writeDB (which should hold one connection) and reads
// through readDB (which may be writeDB).
func Open(ctx context.Context, e Engine, writeDB, readDB *sql.DB, maxBatch int) (*Store, error) {
	for _, stmt := range e.Schema {
		if _, err := writeDB.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("%s schema: %w (in %.60q)", e.Name, err, stmt)
		}
	}
	s := &Store{engine: e, writeDB: writeDB, readDB: readDB, now: time.Now,
		purgeLimits: purgeLimits{rows: defaultPurgeRows, visits: defaultPurgeVisits}}
	s.txStmts.m = make(map[*sql.Stmt]*sql.Stmt)
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	if e.SingleWriter {
		s.heads = make(map[headKey]uint64)
	}
	s.recent = newRecentSends(e.SingleWriter, s.now().Unix())
	// Numbers cached in a transaction that rolled back were never stored.
	s.commit = NewCommitter(writeDB, maxBatch, Hooks{
		OnCommit: s.flushFeed,
		OnRollback: func() {
			clear(s.heads)
			s.txEntries, s.txGroupMsgs = s.txEntries[:0], s.txGroupMsgs[:0]
			s.recent.reset(s.now().Unix())
		},
	})
	return s, nil
}

// Close commits queued writes and closes both pools.
func (s *Store) Close() error {
	s.commit.Close()
	var errs []error
	if s.engine.OnClose != nil {
		errs = append(errs, s.engine.OnClose())
	}
	errs = append(errs, s.writeDB.Close())
	if s.readDB != s.writeDB {
		errs = append(errs, s.readDB.Close())
	}
	return errors.Join(errs...)
}

// ReadDB returns the pool reads use (for engine maintenance such as checkpoints).
func (s *Store) ReadDB() *sql.DB { return s.readDB }

// bound returns st bound to tx, the committer's current transaction, binding
// it once per transaction: Tx.StmtContext allocates and takes locks on each
// call, and a batch runs the same few statements hundreds of times. Holding
// tx also keeps its address from being reused by a later transaction.
func (s *Store) bound(ctx context.Context, tx *sql.Tx, st *sql.Stmt) *sql.Stmt {
	c := &s.txStmts
	if c.tx != tx {
		c.tx = tx
		clear(c.m)
	}
	b := c.m[st]
	if b == nil {
		b = tx.StmtContext(ctx, st)
		c.m[st] = b
	}
	return b
}

// convKey names a conversation by its two sides in byte order, joined by a
// NUL byte (which no UserID contains).
func convKey(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + "\x00" + b
}

// nullBytes stores nil as NULL, so that it reads back as nil.
func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// bit returns b as the 0 or 1 the schema stores.
func bit(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// readErr turns a read on a closed pool into core.ErrClosed.
func (s *Store) readErr(err error) error {
	if err != nil && strings.Contains(err.Error(), "database is closed") {
		return core.ErrClosed
	}
	return err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// CommitStats reports the committer's counters (see Committer.Stats).
func (s *Store) CommitStats() CommitStats { return s.commit.Stats() }
