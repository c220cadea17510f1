package gateway

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/parleyim/parley/internal/bus"
	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/protocol"
)

// Group delivery. A group event is published once on the group's subject;
// each node hands the same bytes to its local sessions of members. Sessions
// join a group's fan-out list at login (for every group their user is in)
// and when their user joins one (a group.join event), and leave it on
// group.leave and at the end of the session.

// groupKey names a group of an app.
type groupKey struct {
	app   core.AppID
	group string
}

func (k groupKey) subject() string {
	return "parley.g." + strconv.FormatUint(uint64(k.app), 10) + "." + hex.EncodeToString([]byte(k.group))
}

// groupSessions are the local sessions of a group's members.
type groupSessions struct {
	sessions map[*session]struct{}
	sub      bus.Subscription
}

type groupHub struct {
	g      *Gateway
	mu     sync.RWMutex
	groups map[groupKey]*groupSessions
}

func newGroupHub(g *Gateway) *groupHub {
	return &groupHub{g: g, groups: map[groupKey]*groupSessions{}}
}

// add puts s in group k's fan-out, subscribing the group on the first.
func (h *groupHub) add(s *session, k groupKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	gs := h.groups[k]
	if gs == nil {
		gs = &groupSessions{sessions: map[*session]struct{}{}}
		sub, err := h.g.bus.Subscribe(k.subject(), func(data []byte) { h.dispatch(k, data) })
		if err != nil {
			return
		}
		gs.sub = sub
		h.groups[k] = gs
	}
	gs.sessions[s] = struct{}{}
}

// remove takes s out of group k's fan-out.
func (h *groupHub) remove(s *session, k groupKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	gs := h.groups[k]
	if gs == nil {
		return
	}
	delete(gs.sessions, s)
	if len(gs.sessions) == 0 {
		gs.sub.Unsubscribe()
		delete(h.groups, k)
	}
}

// dispatch hands a group event to every local member session. It never
// blocks: a session whose queue is full is closed (see enqueue).
func (h *groupHub) dispatch(k groupKey, data []byte) {
	ev, ok := decodePayload(data)
	if !ok {
		return
	}
	h.mu.RLock()
	gs := h.groups[k]
	if gs == nil {
		h.mu.RUnlock()
		return
	}
	targets := make([]*session, 0, len(gs.sessions))
	for s := range gs.sessions {
		targets = append(targets, s)
	}
	h.mu.RUnlock()
	for _, s := range targets {
		s.enqueue(outFrame{data: ev.frame})
	}
}

// interested reports whether anyone (anywhere, as far as the bus can tell)
// listens to the subject.
func (g *Gateway) interested(subject string) bool {
	if in, ok := g.bus.(bus.Interest); ok {
		return in.Interested(subject)
	}
	return true
}

// publishGroupMessage publishes a stored group message (from the commit
// feed, so in seq order).
func (g *Gateway) publishGroupMessage(m *core.GroupMessage) {
	g.deliverGroupMessage(m, false)
}

// DeliverGroupOnline implements core.LiveDelivery for unstored group messages.
func (g *Gateway) DeliverGroupOnline(m *core.GroupMessage) { g.deliverGroupMessage(m, m.Seq == 0) }

func (g *Gateway) deliverGroupMessage(m *core.GroupMessage, onlineOnly bool) {
	k := groupKey{m.App, m.Group}
	if m.To == nil && !g.interested(k.subject()) {
		return
	}
	gm := toGroupMessage(m)
	gm.OnlineOnly = onlineOnly
	frame, err := json.Marshal(protocol.Event{Frame: protocol.Frame{Op: protocol.OpEvent}, Kind: protocol.KindGroupMessage,
		Time: m.Time, Group: m.Group, GroupMsg: gm})
	if err != nil {
		return
	}
	payload := encodePayload(0, 0, frame)
	if m.To != nil {
		// A targeted message goes to its receivers and sender only.
		seen := map[string]bool{}
		for _, u := range append([]string{m.From}, m.To...) {
			if !seen[u] {
				seen[u] = true
				g.bus.Publish(userKey{m.App, u}.subject(), payload)
			}
		}
		return
	}
	g.bus.Publish(k.subject(), payload)
}

// DeliverGroupChange implements core.LiveDelivery.
func (g *Gateway) DeliverGroupChange(ev core.GroupChangeEvent) {
	k := groupKey{ev.App, ev.Group}
	if !g.interested(k.subject()) {
		return
	}
	frame, err := json.Marshal(protocol.Event{Frame: protocol.Frame{Op: protocol.OpEvent}, Kind: protocol.KindGroupChange,
		Time: g.svc.Now(), Group: ev.Group, GroupChange: &protocol.GroupChange{
			Group: ev.Group, Topic: ev.Topic, Change: string(ev.Kind), Users: ev.Users, Until: ev.Until, Seq: ev.Seq,
		}})
	if err != nil {
		return
	}
	g.bus.Publish(k.subject(), encodePayload(0, 0, frame))
}

func toGroupMessage(m *core.GroupMessage) *protocol.GroupMessage {
	out := &protocol.GroupMessage{
		Group: m.Group, Topic: m.Topic, Seq: m.Seq, From: m.From, Random: m.Random, Time: m.Time,
		Priority: int(m.Priority), CloudCustomData: m.CloudCustomData,
		System:          m.Flags.Has(core.GFlagSystem),
		Recalled:        m.Flags.Has(core.GFlagRecalled),
		Modified:        m.Flags.Has(core.GFlagModified),
		Deleted:         m.Flags.Has(core.GFlagDeleted),
		AtAll:           m.Flags.Has(core.GFlagAtAll),
		AtUsers:         m.AtUsers,
		To:              m.To,
		NeedReadReceipt: m.Flags.Has(core.GFlagNeedReadReceipt),
		SupportExt:      m.Flags.Has(core.GFlagSupportExtension),
	}
	if !out.Recalled && !out.Deleted {
		out.Body = json.RawMessage(m.Body)
	} else {
		out.CloudCustomData = ""
	}
	return out
}

// sessionGroups are the groups a session receives.
type sessionGroups struct {
	mu  sync.Mutex
	ids map[string]bool
	// rooms are AVChatRooms this session entered (presence in memory).
	rooms map[string]bool
}

// joinGroups puts the session in the fan-out of each group.
func (s *session) joinGroups(ids ...string) {
	s.groups.mu.Lock()
	defer s.groups.mu.Unlock()
	if s.groups.ids == nil {
		s.groups.ids = map[string]bool{}
	}
	for _, id := range ids {
		if !s.groups.ids[id] {
			s.groups.ids[id] = true
			s.g.groups.add(s, groupKey{s.key.app, id})
		}
	}
}

// leaveGroup takes the session out of a group's fan-out.
func (s *session) leaveGroup(id string) {
	s.groups.mu.Lock()
	defer s.groups.mu.Unlock()
	if s.groups.ids[id] {
		delete(s.groups.ids, id)
		s.g.groups.remove(s, groupKey{s.key.app, id})
	}
}

// leaveAllGroups ends the session's group fan-outs and room presences.
func (s *session) leaveAllGroups() {
	s.groups.mu.Lock()
	defer s.groups.mu.Unlock()
	for id := range s.groups.ids {
		s.g.groups.remove(s, groupKey{s.key.app, id})
	}
	for id := range s.groups.rooms {
		s.g.svc.LeaveRoom(s.key.app, id, s.key.user)
	}
	s.groups.ids, s.groups.rooms = nil, nil
}

// followMembership reacts to the user's group.join and group.leave events.
func (s *session) followMembership(frame []byte) {
	var ev protocol.Event
	if json.Unmarshal(frame, &ev) != nil || ev.Group == "" {
		return
	}
	switch ev.Kind {
	case protocol.KindGroupJoined:
		s.joinGroups(ev.Group)
	case protocol.KindGroupLeft:
		s.leaveGroup(ev.Group)
	}
}
