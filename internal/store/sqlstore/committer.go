package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/parleyim/parley/internal/core"
)

// TxFunc is one write: it runs inside a transaction it shares with others.
// It must have no effect outside the transaction that matters if it runs
// twice: a batch that fails is retried write by write.
type TxFunc func(ctx context.Context, tx *sql.Tx) error

// DefaultMaxBatch is how many writes share one transaction at most.
const DefaultMaxBatch = 512

// Committer group-commits writes: callers enqueue, one goroutine drains the
// queue into a single transaction and one fsync, then answers every waiter.
// Under load many sends share one commit, which is what makes durability cheap.
//
// A write that fails makes its batch roll back; the batch's writes are then
// retried one transaction each, so the failing write fails alone.
type Committer struct {
	db       *sql.DB
	maxBatch int
	queue    chan *write

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	done   chan struct{}
}

type write struct {
	ctx  context.Context
	fn   TxFunc
	done chan error // buffered: the committer never blocks on a waiter
}

// NewCommitter starts a committer writing through db, which should allow one
// connection. Close stops it.
func NewCommitter(db *sql.DB, maxBatch int) *Committer {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	c := &Committer{
		db:       db,
		maxBatch: maxBatch,
		queue:    make(chan *write, maxBatch*4),
		done:     make(chan struct{}),
	}
	go c.run()
	return c
}

// Do runs fn in a group-committed transaction and returns once that
// transaction is committed (nil) or rolled back (fn's or the commit's error).
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
	err := c.inTx(live)
	if err == nil || len(live) == 1 {
		for _, w := range live {
			w.done <- err
		}
		return
	}
	for _, w := range live {
		w.done <- c.inTx([]*write{w})
	}
}

func (c *Committer) inTx(ws []*write) (err error) {
	ctx := context.Background() // a started write is finished even if its caller left
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, ignoreDone(tx.Rollback()))
		}
	}()
	for _, w := range ws {
		if err := w.fn(ctx, tx); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
