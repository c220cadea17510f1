package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/parleyim/parley/internal/core"
)

// TxFunc is one write: it runs inside a transaction it shares with others.
// It must have no effect outside the transaction that matters if it runs
// twice: a batch that fails is retried write by write.
//
// An error it returns rolls back its batch, unless it is an error made by
// Unchanged: see there.
type TxFunc func(ctx context.Context, tx *sql.Tx) error

// Unchanged marks err as the answer of a write that changed nothing in its
// transaction (it refused before its first statement that writes). Returned
// directly by a TxFunc, it makes Do return err itself while the rest of the
// batch commits: a refusal does not cost the other writers a retry.
func Unchanged(err error) error {
	if err == nil {
		return nil
	}
	return &unchangedError{err}
}

type unchangedError struct{ err error }

func (e *unchangedError) Error() string { return e.err.Error() }
func (e *unchangedError) Unwrap() error { return e.err }

// DefaultMaxBatch is how many writes share one transaction at most.
const DefaultMaxBatch = 512

// Committer group-commits writes: callers enqueue, one goroutine drains the
// queue into a single transaction and one fsync, then answers every waiter.
// Under load many sends share one commit, which is what makes durability cheap.
//
// A write that fails makes its batch roll back; the batch's writes are then
// retried one transaction each, so the failing write fails alone. A write
// that refuses with Unchanged fails alone at once, without a rollback.
type Committer struct {
	db       *sql.DB
	maxBatch int
	queue    chan *write
	hooks    Hooks

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	done   chan struct{}

	commits, writes atomic.Uint64 // for Stats
}

// CommitStats counts committed transactions and the writes they carried.
type CommitStats struct {
	Commits uint64
	Writes  uint64
}

// Stats reports how many transactions committed and how many writes they
// carried: Writes/Commits is the mean group size.
func (c *Committer) Stats() CommitStats {
	return CommitStats{Commits: c.commits.Load(), Writes: c.writes.Load()}
}

type write struct {
	ctx     context.Context
	fn      TxFunc
	done    chan error // buffered: the committer never blocks on a waiter
	refused error      // fn's Unchanged answer in the last transaction it ran in
}

// Hooks run on the committer's goroutine (the one running every TxFunc),
// between transactions. Either may be nil.
type Hooks struct {
	// OnCommit runs after each transaction that committed, before its
	// writers are answered: what TxFuncs collected for after the commit can
	// be handed on there, in commit order.
	OnCommit func()
	// OnRollback runs after each transaction that rolled back, before the
	// next begins: state that TxFuncs keep outside the database can be
	// dropped there.
	OnRollback func()
}

// NewCommitter starts a committer writing through db, which should allow one
// connection, running hooks between transactions. Close stops it.
func NewCommitter(db *sql.DB, maxBatch int, hooks Hooks) *Committer {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	c := &Committer{
		db:       db,
		maxBatch: maxBatch,
		queue:    make(chan *write, maxBatch*4),
		hooks:    hooks,
		done:     make(chan struct{}),
	}
	go c.run()
	return c
}

// Do runs fn in a group-committed transaction and returns once that
// transaction is committed (nil, or the error fn gave Unchanged) or rolled
// back (fn's or the commit's error).
// If ctx ends while fn is still queued, Do returns ctx.Err() and fn never
// runs; once fn has started, Do waits for the outcome. After Close, Do
// returns core.ErrClosed.
func (c *Committer) Do(ctx context.Context, fn TxFunc) error {
	w := &write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return core.ErrClosed
	}
	select {
	case c.queue <- w:
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	c.mu.RUnlock()
	return <-w.done
}

// Close stops taking writes, commits the ones already queued and stops.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *Committer) run() {
	defer close(c.done)
	batch := make([]*write, 0, c.maxBatch)
	for w := range c.queue {
		batch = append(batch[:0], w)
	fill:
		for len(batch) < c.maxBatch {
			select {
			case w, ok := <-c.queue:
				if !ok {
					break fill
				}
				batch = append(batch, w)
			default:
				break fill
			}
		}
		c.commit(batch)
	}
}

// commit runs batch in one transaction; on failure, each write alone.
func (c *Committer) commit(batch []*write) {
	live := batch[:0:0]
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.done <- err
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	if err := c.inTx(live); err == nil || len(live) == 1 {
		for _, w := range live {
			w.answer(err)
		}
		return
	}
	for _, w := range live {
		w.answer(c.inTx([]*write{w}))
	}
}

// answer completes w with the outcome of its transaction, or with its own
// refusal when that transaction committed.
func (w *write) answer(txErr error) {
	if txErr == nil {
		txErr = w.refused
	}
	w.done <- txErr
}

// inTx runs ws in one transaction. A write that refuses with Unchanged keeps
// its refusal in w.refused; any other error rolls everything back and is
// returned as the TxFunc returned it.
func (c *Committer) inTx(ws []*write) (err error) {
	ctx := context.Background() // a started write is finished even if its caller left
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return
		}
		if rbErr := ignoreDone(tx.Rollback()); rbErr != nil {
			err = errors.Join(err, rbErr)
		}
		if c.hooks.OnRollback != nil {
			c.hooks.OnRollback()
		}
	}()
	for _, w := range ws {
		w.refused = nil
		err := w.fn(ctx, tx)
		if u, ok := err.(*unchangedError); ok {
			w.refused = u.err
			continue
		}
		if err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	c.commits.Add(1)
	c.writes.Add(uint64(len(ws)))
	if c.hooks.OnCommit != nil {
		c.hooks.OnCommit()
	}
	return nil
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
