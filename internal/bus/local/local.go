// Package local is a bus.Bus inside one process: Publish calls the
// subscribers' functions directly, in the publisher's goroutine.
package local

import (
	"errors"
	"sync"

	"github.com/parleyim/parley/internal/bus"
)

var (
	_ bus.Bus      = (*Bus)(nil)
	_ bus.Interest = (*Bus)(nil)
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("bus closed")

// Bus is an in-process bus. The zero value is ready to use.
type Bus struct {
	mu     sync.RWMutex
	subs   map[string][]*subscription
	closed bool
}

type subscription struct {
	b       *Bus
	subject string
	fn      func([]byte)
	once    sync.Once
}

// New returns an empty bus.
func New() *Bus { return &Bus{} }

// Publish calls every subscriber of subject before it returns.
func (b *Bus) Publish(subject string, data []byte) error {
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	subs := b.subs[subject]
	b.mu.RUnlock()
	for _, s := range subs {
		s.fn(data)
	}
	return nil
}

// Interested reports whether subject has a subscriber.
func (b *Bus) Interested(subject string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs[subject]) > 0
}

// Subscribe adds fn for subject.
func (b *Bus) Subscribe(subject string, fn func([]byte)) (bus.Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if b.subs == nil {
		b.subs = map[string][]*subscription{}
	}
	s := &subscription{b: b, subject: subject, fn: fn}
	// Copy on write: Publish iterates a snapshot without the lock.
	b.subs[subject] = append(b.subs[subject][:len(b.subs[subject]):len(b.subs[subject])], s)
	return s, nil
}

func (s *subscription) Unsubscribe() error {
	s.once.Do(func() {
		b := s.b
		b.mu.Lock()
		defer b.mu.Unlock()
		old := b.subs[s.subject]
		next := make([]*subscription, 0, len(old))
		for _, o := range old {
			if o != s {
				next = append(next, o)
			}
		}
		if len(next) == 0 {
			delete(b.subs, s.subject)
		} else {
			b.subs[s.subject] = next
		}
	})
	return nil
}

// Close stops delivery.
func (b *Bus) Close() error {
	b.mu.Lock()
	b.closed = true
	b.subs = nil
	b.mu.Unlock()
	return nil
}
