// Package memory is a core.Store held in process memory: for tests and local
// emulation. Nothing survives the process.
package memory

import (
	"context"
	"sort"
	"sync"

	"github.com/parleyim/parley/internal/core"
)

var _ core.Store = (*Store)(nil)

// Store is a core.Store in memory. The zero value is not usable; call New.
type Store struct {
	mu       sync.RWMutex
	closed   bool
	accounts map[acctKey]*account
	convs    map[convKey]*conversation
	lastID   int64
}

type acctKey struct {
	app core.AppID
	id  string
}

type account struct {
	core.Account
	deleted bool
}

// convKey names a conversation by its two sides in byte order.
type convKey struct {
	app    core.AppID
	lo, hi string
}

func convOf(app core.AppID, a, b string) convKey {
	if b < a {
		a, b = b, a
	}
	return convKey{app, a, b}
}

// conversation holds its messages in history order.
type conversation struct {
	msgs []*core.C2CMessage
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		accounts: make(map[acctKey]*account),
		convs:    make(map[convKey]*conversation),
	}
}

// Close makes every later call return core.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

func (s *Store) PutAccounts(ctx context.Context, accts []core.Account) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return core.ErrClosed
	}
	for _, a := range accts {
		k := acctKey{a.App, a.ID}
		cur := s.accounts[k]
		if cur == nil {
			s.accounts[k] = &account{Account: a}
			continue
		}
		cur.deleted = false
		if a.Nick != "" {
			cur.Nick = a.Nick
		}
		if a.FaceURL != "" {
			cur.FaceURL = a.FaceURL
		}
	}
	return nil
}

func (s *Store) DeleteAccounts(ctx context.Context, app core.AppID, ids []string) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, core.ErrClosed
	}
	existed := make([]bool, len(ids))
	for i, id := range ids {
		if a := s.accounts[acctKey{app, id}]; a != nil && !a.deleted {
			a.deleted = true
			existed[i] = true
		}
	}
	return existed, nil
}

func (s *Store) ScanAccounts(ctx context.Context, fn func(core.Account) error) error {
	s.mu.RLock()
	live := make([]core.Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		if !a.deleted {
			live = append(live, a.Account)
		}
	}
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return core.ErrClosed
	}
	for _, a := range live {
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) SetKickedAt(ctx context.Context, app core.AppID, id string, t int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, core.ErrClosed
	}
	a := s.accounts[acctKey{app, id}]
	if a == nil || a.deleted {
		return false, nil
	}
	a.KickedAt = t
	return true, nil
}

func (s *Store) AppendC2C(ctx context.Context, msgs []*core.C2CMessage) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, core.ErrClosed
	}
	dup := make([]bool, len(msgs))
	for i, m := range msgs {
		k := convOf(m.App, m.From, m.To)
		c := s.convs[k]
		if c == nil {
			c = &conversation{}
			s.convs[k] = c
		}
		if prev := c.duplicateOf(m); prev != nil {
			dup[i] = true
			m.ID = prev.ID
			continue
		}
		s.lastID++
		m.ID = s.lastID
		stored := *m
		c.insert(&stored)
	}
	return dup, nil
}

// duplicateOf returns the stored message m repeats under its de-dup rule.
func (c *conversation) duplicateOf(m *core.C2CMessage) *core.C2CMessage {
	i := c.firstAt(core.HistoryCursor{Time: m.Time, Seq: m.Seq})
	for ; i < len(c.msgs) && c.msgs[i].Time == m.Time && c.msgs[i].Seq == m.Seq; i++ {
		o := c.msgs[i]
		if o.Random != m.Random {
			continue
		}
		if m.Origin == core.OriginImport || (o.From == m.From && o.To == m.To) {
			return o
		}
	}
	return nil
}

// firstAt returns the index of the first message at or after cur.
func (c *conversation) firstAt(cur core.HistoryCursor) int {
	return sort.Search(len(c.msgs), func(i int) bool {
		return !core.CursorOf(c.msgs[i]).Less(cur)
	})
}

func (c *conversation) insert(m *core.C2CMessage) {
	i := c.firstAt(core.CursorOf(m))
	c.msgs = append(c.msgs, nil)
	copy(c.msgs[i+1:], c.msgs[i:])
	c.msgs[i] = m
}

func (s *Store) C2CHistory(ctx context.Context, q core.C2CQuery) ([]core.C2CMessage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, core.ErrClosed
	}
	c := s.convs[convOf(q.App, q.Owner, q.Peer)]
	if c == nil || q.Limit <= 0 {
		return nil, nil
	}
	end := c.firstAt(core.HistoryCursor{Time: q.MaxTime + 1})
	if q.Before != nil {
		end = min(end, c.firstAt(*q.Before))
	}
	var out []core.C2CMessage
	for i := end - 1; i >= 0 && len(out) < q.Limit; i-- {
		m := c.msgs[i]
		if m.Time < q.MinTime {
			break
		}
		if m.VisibleTo(q.Owner) {
			out = append(out, *m)
		}
	}
	return out, nil
}

func (s *Store) FindC2C(ctx context.Context, app core.AppID, a, b string, key core.MsgKey) ([]core.C2CMessage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, core.ErrClosed
	}
	c := s.convs[convOf(app, a, b)]
	if c == nil {
		return nil, nil
	}
	var out []core.C2CMessage
	for i := c.firstAt(core.HistoryCursor{Time: key.Time, Seq: key.Seq}); i < len(c.msgs); i++ {
		m := c.msgs[i]
		if m.Time != key.Time || m.Seq != key.Seq {
			break
		}
		if m.Random == key.Random {
			out = append(out, *m)
		}
	}
	return out, nil
}

func (s *Store) PurgeC2C(ctx context.Context, app core.AppID, before int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, core.ErrClosed
	}
	var n int64
	for k, c := range s.convs {
		if k.app != app {
			continue
		}
		i := c.firstAt(core.HistoryCursor{Time: before})
		if i == 0 {
			continue
		}
		n += int64(i)
		c.msgs = append(c.msgs[:0:0], c.msgs[i:]...)
		if len(c.msgs) == 0 {
			delete(s.convs, k)
		}
	}
	return n, nil
}
