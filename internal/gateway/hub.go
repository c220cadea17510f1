package gateway

import (
	"context"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/parleyim/parley/internal/bus"
	"github.com/parleyim/parley/internal/core"
)

// userKey names a user of an app.
type userKey struct {
	app  core.AppID
	user string
}

// subject is the bus subject of a user's events. UserIDs may hold any
// printable ASCII, so they are hex-encoded into one subject token.
func (k userKey) subject() string {
	return "parley.u." + strconv.FormatUint(uint64(k.app), 10) + "." + hex.EncodeToString([]byte(k.user))
}

// hub tracks the sessions of this node: every connection (logged in or
// not), and the logged-in ones by user, with one bus subscription per user
// that has a session here.
type hub struct {
	g *Gateway

	mu    sync.RWMutex
	conns map[*session]struct{}
	users map[userKey]*userSessions
	empty chan struct{} // closed and replaced when conns becomes empty
}

type userSessions struct {
	sessions []*session
	sub      bus.Subscription
	// push lists devices that registered for offline push and went away:
	// they show as PushOnline until expiry.
	push map[string]pushDevice // by device id (or session id)
}

type pushDevice struct {
	platform string
	until    time.Time
}

func newHub(g *Gateway) *hub {
	return &hub{g: g, conns: map[*session]struct{}{}, users: map[userKey]*userSessions{}, empty: make(chan struct{})}
}

// track registers a new connection; untrack forgets it.
func (h *hub) track(s *session) {
	h.mu.Lock()
	h.conns[s] = struct{}{}
	h.mu.Unlock()
}

func (h *hub) untrack(s *session) {
	h.mu.Lock()
	delete(h.conns, s)
	if len(h.conns) == 0 {
		close(h.empty)
		h.empty = make(chan struct{})
	}
	h.mu.Unlock()
}

// waitEmpty waits until no connection is left or ctx ends.
func (h *hub) waitEmpty(ctx context.Context) {
	for {
		h.mu.RLock()
		n, ch := len(h.conns), h.empty
		h.mu.RUnlock()
		if n == 0 {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// all returns every connection.
func (h *hub) all() []*session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*session, 0, len(h.conns))
	for s := range h.conns {
		out = append(out, s)
	}
	return out
}

// join adds a logged-in session and subscribes its user's subject on the
// first session. Events published from now on reach it.
func (h *hub) join(s *session) error {
	k := s.key
	h.mu.Lock()
	defer h.mu.Unlock()
	us := h.users[k]
	if us == nil {
		us = &userSessions{}
	}
	// A user kept only for their push-reachable devices has no
	// subscription any more: subscribe again.
	if us.sub == nil {
		sub, err := h.g.bus.Subscribe(k.subject(), func(data []byte) { h.dispatch(k, data) })
		if err != nil {
			return err
		}
		us.sub = sub
		h.users[k] = us
	}
	us.sessions = append(us.sessions, s)
	delete(us.push, s.deviceKey())
	return nil
}

// leave removes a session; a device with a push token shows as PushOnline
// for a while. The user's subscription ends with their last session.
func (h *hub) leave(s *session) {
	k := s.key
	h.mu.Lock()
	defer h.mu.Unlock()
	us := h.users[k]
	if us == nil {
		return
	}
	for i, o := range us.sessions {
		if o == s {
			us.sessions = append(us.sessions[:i:i], us.sessions[i+1:]...)
			break
		}
	}
	if s.pushToken != "" && !s.kicked.Load() {
		if us.push == nil {
			us.push = map[string]pushDevice{}
		}
		us.push[s.deviceKey()] = pushDevice{platform: s.platform, until: h.g.cfg.Now().Add(h.g.cfg.PushOnlineFor)}
	}
	if len(us.sessions) == 0 {
		us.sub.Unsubscribe()
		us.sub = nil
		if len(us.push) == 0 {
			delete(h.users, k)
		}
	}
}

// dispatch hands one published event to the user's local sessions.
func (h *hub) dispatch(k userKey, data []byte) {
	h.mu.RLock()
	var sessions []*session
	if us := h.users[k]; us != nil {
		sessions = us.sessions
	}
	h.mu.RUnlock()
	ev, ok := decodePayload(data)
	if !ok {
		return
	}
	for _, s := range sessions {
		s.deliver(ev)
	}
}

// devices reports a user's online and push-reachable devices here.
func (h *hub) devices(k userKey, now time.Time) []core.Device {
	h.mu.Lock()
	defer h.mu.Unlock()
	us := h.users[k]
	if us == nil {
		return nil
	}
	var out []core.Device
	for _, s := range us.sessions {
		out = append(out, core.Device{Platform: s.platform, Status: core.Online})
	}
	for id, p := range us.push {
		if now.After(p.until) {
			delete(us.push, id)
			continue
		}
		out = append(out, core.Device{Platform: p.platform, Status: core.PushOnline})
	}
	if len(us.sessions) == 0 && len(us.push) == 0 {
		delete(h.users, k)
	}
	return out
}

// forget drops a user's push-reachable devices (after a kick).
func (h *hub) forget(k userKey) {
	h.mu.Lock()
	if us := h.users[k]; us != nil {
		us.push = nil
		if len(us.sessions) == 0 {
			delete(h.users, k)
		}
	}
	h.mu.Unlock()
}
