// Package memory is a core.Store held in process memory: for tests and local
// emulation. Nothing survives the process.
package memory

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parleyim/parley/internal/core"
)

var _ core.Store = (*Store)(nil)

// Store is a core.Store in memory. The zero value is not usable; call New.
// One mutex guards everything: every write is one "transaction".
type Store struct {
	mu           sync.RWMutex
	closed       bool
	accounts     map[userKey]*account
	convs        map[convKey]*conversation  // messages per conversation
	byID         map[int64]*core.C2CMessage // every stored message
	ext          map[int64]*core.Extensions // extensions per message ID
	lists        map[userKey]map[peerKey]*core.Conversation
	inboxes      map[userKey]*inbox
	groups       groupState // groups.go
	lastID       int64
	now          func() time.Time
	feed         func(core.Commit)
	pending      []core.InboxEntry   // entries of the write in progress, for feed
	pendingGroup []core.GroupMessage // group messages of the write in progress, for feed
}

type userKey struct {
	app core.AppID
	id  string
}

type peerKey struct {
	typ  core.ConvType
	peer string
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

type inbox struct {
	head    uint64
	entries []core.InboxEntry
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		accounts: make(map[userKey]*account),
		convs:    make(map[convKey]*conversation),
		byID:     make(map[int64]*core.C2CMessage),
		ext:      make(map[int64]*core.Extensions),
		lists:    make(map[userKey]map[peerKey]*core.Conversation),
		inboxes:  make(map[userKey]*inbox),
		now:      time.Now,
	}
}

// Close makes every later call return core.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// SetCommitFeed implements core.CommitFeed: fn is called under the write
// lock, so commits reach it in order.
func (s *Store) SetCommitFeed(fn func(core.Commit)) {
	s.mu.Lock()
	s.feed = fn
	s.mu.Unlock()
}

// write runs fn under the write lock unless the store is closed, then hands
// the inbox entries fn added to the feed.
func (s *Store) write(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return core.ErrClosed
	}
	s.pending, s.pendingGroup = s.pending[:0], s.pendingGroup[:0]
	if err := fn(); err != nil {
		return err
	}
	if s.feed != nil && (len(s.pending) > 0 || len(s.pendingGroup) > 0) {
		s.feed(core.Commit{
			Inbox: append([]core.InboxEntry(nil), s.pending...),
			Group: append([]core.GroupMessage(nil), s.pendingGroup...),
		})
	}
	return nil
}

// read runs fn under the read lock unless the store is closed.
func (s *Store) read(fn func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return core.ErrClosed
	}
	return fn()
}

func (s *Store) PutAccounts(ctx context.Context, accts []core.Account) error {
	return s.write(func() error {
		for _, a := range accts {
			k := userKey{a.App, a.ID}
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
	})
}

func (s *Store) DeleteAccounts(ctx context.Context, app core.AppID, ids []string) ([]bool, error) {
	existed := make([]bool, len(ids))
	err := s.write(func() error {
		for i, id := range ids {
			if a := s.accounts[userKey{app, id}]; a != nil && !a.deleted {
				a.deleted = true
				existed[i] = true
			}
			delete(s.lists, userKey{app, id})
		}
		return nil
	})
	return existed, err
}

func (s *Store) ScanAccounts(ctx context.Context, fn func(core.Account) error) error {
	var live []core.Account
	err := s.read(func() error {
		for _, a := range s.accounts {
			if !a.deleted {
				live = append(live, a.Account)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range live {
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) SetKickedAt(ctx context.Context, app core.AppID, id string, t int64, events []core.InboxEvent) (bool, error) {
	var ok bool
	err := s.write(func() error {
		a := s.accounts[userKey{app, id}]
		if a == nil || a.deleted {
			return nil
		}
		a.KickedAt, ok = t, true
		s.addInboxLocked(app, events, nil, nil)
		return nil
	})
	return ok, err
}

func (s *Store) AppendC2C(ctx context.Context, msgs []*core.C2CMessage) ([]bool, error) {
	dup := make([]bool, len(msgs))
	err := s.write(func() error {
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
			s.byID[stored.ID] = &stored
			for _, u := range stored.ConvUpdates() {
				s.applyConvUpdateLocked(&stored, u)
			}
			s.addInboxLocked(m.App, stored.InboxEvents(), &stored, nil)
		}
		return nil
	})
	return dup, err
}

// convLocked returns owner's conversation with peer, creating it if asked.
func (s *Store) convLocked(app core.AppID, owner string, typ core.ConvType, peer string, create bool) *core.Conversation {
	uk := userKey{app, owner}
	list := s.lists[uk]
	if list == nil {
		if !create {
			return nil
		}
		list = map[peerKey]*core.Conversation{}
		s.lists[uk] = list
	}
	c := list[peerKey{typ, peer}]
	if c == nil && create {
		c = &core.Conversation{App: app, Owner: owner, Type: typ, Peer: peer}
		list[peerKey{typ, peer}] = c
	}
	return c
}

func (s *Store) applyConvUpdateLocked(m *core.C2CMessage, u core.ConvUpdate) {
	c := s.convLocked(m.App, u.Owner, core.ConvC2C, u.Peer, true)
	if u.Last {
		last := core.HistoryCursor{Time: c.LastTime, Seq: c.LastSeq, ID: c.LastID}
		if last.Less(core.CursorOf(m)) {
			c.LastTime, c.LastSeq, c.LastID = m.Time, m.Seq, m.ID
		}
		c.Hidden = false
	}
	if u.Unread && unreadFor(c, m) {
		c.Unread++
	}
}

// unreadFor reports whether m, counting as unread, is unread in c.
func unreadFor(c *core.Conversation, m *core.C2CMessage) bool {
	return m.Time > c.ReadTime && m.ID > c.UnreadFloor
}

// addInboxLocked numbers and stores events. For the feed, entries about msg
// carry a copy of it and the user's conversation with its peer; entries for
// conv's owner carry a copy of conv.
func (s *Store) addInboxLocked(app core.AppID, events []core.InboxEvent, msg *core.C2CMessage, conv *core.Conversation) []core.InboxEntry {
	var msgID int64
	if msg != nil {
		msgID = msg.ID
	}
	out := make([]core.InboxEntry, 0, len(events))
	now := s.now().Unix()
	for _, e := range events {
		k := userKey{app, e.User}
		in := s.inboxes[k]
		if in == nil {
			in = &inbox{}
			s.inboxes[k] = in
		}
		in.head++
		entry := core.InboxEntry{App: app, User: e.User, Seq: in.head, Kind: e.Kind, MsgID: e.MsgID, Payload: e.Payload, Time: now}
		if entry.MsgID == 0 {
			entry.MsgID = msgID
		}
		in.entries = append(in.entries, entry)
		out = append(out, entry)
		if msg != nil && entry.MsgID == msg.ID {
			m := *msg
			entry.Message = &m
			if c := s.convLocked(app, e.User, core.ConvC2C, msg.Peer(e.User), false); c != nil {
				cc := *c
				entry.Conv = &cc
			}
		}
		if conv != nil && conv.Owner == e.User {
			cc := *conv
			entry.Conv = &cc
		}
		s.pending = append(s.pending, entry)
	}
	return out
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
	var out []core.C2CMessage
	err := s.read(func() error {
		c := s.convs[convOf(q.App, q.Owner, q.Peer)]
		if c == nil || q.Limit <= 0 {
			return nil
		}
		end := c.firstAt(core.HistoryCursor{Time: q.MaxTime + 1})
		if q.Before != nil {
			end = min(end, c.firstAt(*q.Before))
		}
		for i := end - 1; i >= 0 && len(out) < q.Limit; i-- {
			m := c.msgs[i]
			if m.Time < q.MinTime {
				break
			}
			if m.ID > q.AfterID && m.VisibleTo(q.Owner) {
				out = append(out, *m)
			}
		}
		return nil
	})
	return out, err
}

func (s *Store) FindC2C(ctx context.Context, app core.AppID, a, b string, key core.MsgKey) ([]core.C2CMessage, error) {
	var out []core.C2CMessage
	err := s.read(func() error {
		for _, m := range s.findLocked(app, a, b, key) {
			out = append(out, *m)
		}
		return nil
	})
	return out, err
}

func (s *Store) findLocked(app core.AppID, a, b string, key core.MsgKey) []*core.C2CMessage {
	c := s.convs[convOf(app, a, b)]
	if c == nil {
		return nil
	}
	var out []*core.C2CMessage
	for i := c.firstAt(core.HistoryCursor{Time: key.Time, Seq: key.Seq}); i < len(c.msgs); i++ {
		m := c.msgs[i]
		if m.Time != key.Time || m.Seq != key.Seq {
			break
		}
		if m.Random == key.Random {
			out = append(out, m)
		}
	}
	return out
}

func (s *Store) C2CByID(ctx context.Context, app core.AppID, ids []int64) ([]core.C2CMessage, error) {
	var out []core.C2CMessage
	err := s.read(func() error {
		for _, id := range ids {
			if m := s.byID[id]; m != nil && m.App == app {
				out = append(out, *m)
			}
		}
		return nil
	})
	return out, err
}

// directedLocked returns the first message from→to with key.
func (s *Store) directedLocked(app core.AppID, from, to string, key core.MsgKey) *core.C2CMessage {
	for _, m := range s.findLocked(app, from, to, key) {
		if m.From == from && m.To == to {
			return m
		}
	}
	return nil
}

func (s *Store) UpdateC2C(ctx context.Context, app core.AppID, from, to string, key core.MsgKey,
	fn func(m *core.C2CMessage) ([]core.InboxEvent, error)) (core.C2CMessage, error) {
	return s.UpdateC2CExtensions(ctx, app, from, to, key, func(m *core.C2CMessage, _ *core.Extensions) ([]core.InboxEvent, error) {
		return fn(m)
	})
}

func (s *Store) UpdateC2CExtensions(ctx context.Context, app core.AppID, from, to string, key core.MsgKey,
	fn func(m *core.C2CMessage, ext *core.Extensions) ([]core.InboxEvent, error)) (core.C2CMessage, error) {
	var out core.C2CMessage
	err := s.write(func() error {
		stored := s.directedLocked(app, from, to, key)
		if stored == nil {
			return core.Errorf(core.NotFound, "", "no message %s from %s to %s", key, from, to)
		}
		m := *stored
		ext := cloneExt(s.ext[m.ID])
		events, err := fn(&m, &ext)
		if err != nil {
			return err
		}
		before := stored.CountsUnread()
		stored.Flags, stored.Body, stored.CloudCustomData = m.Flags, m.Body, m.CloudCustomData
		if after := stored.CountsUnread(); after != before {
			if c := s.convLocked(app, stored.To, core.ConvC2C, stored.From, false); c != nil && unreadFor(c, stored) {
				if after {
					c.Unread++
				} else if c.Unread > 0 {
					c.Unread--
				}
			}
		}
		if ext.LatestSeq != 0 || len(ext.Items) > 0 {
			s.ext[m.ID] = &ext
		}
		s.addInboxLocked(app, events, stored, nil)
		out = *stored
		return nil
	})
	return out, err
}

func cloneExt(e *core.Extensions) core.Extensions {
	if e == nil {
		return core.Extensions{Items: map[string]core.Extension{}}
	}
	c := *e
	c.Items = maps.Clone(e.Items)
	if c.Items == nil {
		c.Items = map[string]core.Extension{}
	}
	return c
}

func (s *Store) C2CExtensions(ctx context.Context, app core.AppID, msgID int64) (core.Extensions, error) {
	var out core.Extensions
	err := s.read(func() error {
		out = cloneExt(s.ext[msgID])
		return nil
	})
	return out, err
}

func (s *Store) PurgeC2C(ctx context.Context, app core.AppID, before int64) (int64, error) {
	var n int64
	err := s.write(func() error {
		for k, c := range s.convs {
			if k.app != app {
				continue
			}
			i := c.firstAt(core.HistoryCursor{Time: before})
			if i == 0 {
				continue
			}
			for _, m := range c.msgs[:i] {
				if m.CountsUnread() {
					if conv := s.convLocked(app, m.To, core.ConvC2C, m.From, false); conv != nil && unreadFor(conv, m) && conv.Unread > 0 {
						conv.Unread--
					}
				}
				delete(s.byID, m.ID)
				delete(s.ext, m.ID)
			}
			n += int64(i)
			c.msgs = append(c.msgs[:0:0], c.msgs[i:]...)
			if len(c.msgs) == 0 {
				delete(s.convs, k)
			}
		}
		return nil
	})
	return n, err
}

func (s *Store) Conversation(ctx context.Context, app core.AppID, owner string, typ core.ConvType, peer string) (core.Conversation, bool, error) {
	var out core.Conversation
	var ok bool
	err := s.read(func() error {
		if c := s.convLocked(app, owner, typ, peer, false); c != nil {
			out, ok = *c, true
		}
		return nil
	})
	return out, ok, err
}

func (s *Store) Conversations(ctx context.Context, app core.AppID, owner string) ([]core.Conversation, error) {
	var out []core.Conversation
	err := s.read(func() error {
		for _, c := range s.lists[userKey{app, owner}] {
			out = append(out, *c)
		}
		return nil
	})
	return out, err
}

func (s *Store) ConversationsOfType(ctx context.Context, app core.AppID, owner string, typ core.ConvType) ([]core.Conversation, error) {
	var out []core.Conversation
	err := s.read(func() error {
		for k, c := range s.lists[userKey{app, owner}] {
			if k.typ == typ {
				out = append(out, *c)
			}
		}
		return nil
	})
	return out, err
}

func (s *Store) C2CUnreadTotal(ctx context.Context, app core.AppID, owner string) (int, error) {
	var n int
	err := s.read(func() error {
		for k, c := range s.lists[userKey{app, owner}] {
			if k.typ == core.ConvC2C {
				n += c.Unread
			}
		}
		return nil
	})
	return n, err
}

// ListConversations picks the page's conversations out of owner's list
// (firstListed) and copies only them.
func (s *Store) ListConversations(ctx context.Context, q core.ConvListQuery) ([]core.Conversation, error) {
	var out []core.Conversation
	err := s.read(func() error {
		list := s.lists[userKey{q.App, q.Owner}]
		if q.Limit <= 0 || len(list) == 0 {
			return nil
		}
		sel := make([]*core.Conversation, 0, len(list))
		for k, c := range list {
			if k.typ == core.ConvC2C && !c.Hidden && (c.LastTime != 0 || q.WithEmpty) &&
				q.Pins.Keeps(c.Pinned) && c.LastTime <= q.MaxTime {
				sel = append(sel, c)
			}
		}
		// The page is among the first Skip+Limit: the skipped ones
		// (at MaxTime) come first.
		sel = firstListed(sel, min(q.Skip, len(sel))+min(q.Limit, len(sel)))
		skip := 0
		for skip < len(sel) && skip < q.Skip && sel[skip].LastTime == q.MaxTime {
			skip++
		}
		sel = sel[skip:]
		sel = sel[:min(len(sel), q.Limit)]
		out = make([]core.Conversation, len(sel))
		for i, c := range sel {
			out[i] = *c
		}
		return nil
	})
	return out, err
}

// listOrder is the conversation list's order for C2C conversations.
func listOrder(a, b *core.Conversation) int {
	if c := cmp.Compare(b.LastTime, a.LastTime); c != 0 {
		return c
	}
	return strings.Compare(a.Peer, b.Peer)
}

// firstListed returns the first k of cs in list order, sorted, reordering
// cs: a heap keeps the k first seen so far, so that a page out of a long
// list costs about one comparison per conversation, not a sort of them all.
func firstListed(cs []*core.Conversation, k int) []*core.Conversation {
	if k = min(k, len(cs)); k >= len(cs)/2 {
		slices.SortFunc(cs, listOrder)
		return cs[:k]
	}
	h := cs[:k] // a max-heap: h[0] is the last in list order
	down := func(i int) {
		for {
			j := 2*i + 1
			if j >= len(h) {
				return
			}
			if j+1 < len(h) && listOrder(h[j+1], h[j]) > 0 {
				j++
			}
			if listOrder(h[j], h[i]) <= 0 {
				return
			}
			h[i], h[j] = h[j], h[i]
			i = j
		}
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for _, c := range cs[k:] {
		if k > 0 && listOrder(c, h[0]) < 0 {
			h[0] = c
			down(0)
		}
	}
	slices.SortFunc(h, listOrder)
	return h
}

func (s *Store) MarkC2CRead(ctx context.Context, app core.AppID, owner, peer string, t int64, events []core.InboxEvent) (core.Conversation, error) {
	var out core.Conversation
	err := s.write(func() error {
		c := s.convLocked(app, owner, core.ConvC2C, peer, true)
		c.ReadTime = max(c.ReadTime, t)
		c.Unread = 0
		if conv := s.convs[convOf(app, owner, peer)]; conv != nil {
			for _, m := range conv.msgs {
				if m.To == owner && m.From == peer && m.CountsUnread() && unreadFor(c, m) {
					c.Unread++
				}
			}
		}
		s.addInboxLocked(app, events, nil, c)
		out = *c
		return nil
	})
	return out, err
}

func (s *Store) DeleteConversation(ctx context.Context, app core.AppID, owner string, typ core.ConvType, peer string,
	clearHistory bool, events []core.InboxEvent) (bool, error) {
	var existed bool
	err := s.write(func() error {
		c := s.convLocked(app, owner, typ, peer, false)
		existed = c != nil && !c.Hidden
		if c == nil {
			c = s.convLocked(app, owner, typ, peer, true)
		}
		var maxID int64
		switch typ {
		case core.ConvC2C:
			if conv := s.convs[convOf(app, owner, peer)]; conv != nil {
				for _, m := range conv.msgs {
					maxID = max(maxID, m.ID)
				}
			}
		case core.ConvGroup:
			// A group conversation's floor is the group's last seq: it
			// shows again when a later message comes.
			if gr := s.groupLocked(app, peer); gr != nil {
				maxID = int64(gr.g.LastSeq)
			}
		}
		c.Hidden, c.Unread = true, 0
		c.UnreadFloor = max(c.UnreadFloor, maxID)
		if clearHistory {
			c.ClearedID = max(c.ClearedID, maxID)
		}
		s.addInboxLocked(app, events, nil, c)
		return nil
	})
	return existed, err
}

func (s *Store) SetConversationPinned(ctx context.Context, app core.AppID, owner string, typ core.ConvType, peer string,
	pinned bool, at int64, events []core.InboxEvent) error {
	return s.write(func() error {
		c := s.convLocked(app, owner, typ, peer, true)
		c.Pinned = pinned
		if pinned {
			c.PinnedAt = at
		} else {
			c.PinnedAt = 0
		}
		s.addInboxLocked(app, events, nil, c)
		return nil
	})
}

func (s *Store) InboxAfter(ctx context.Context, app core.AppID, user string, after uint64, limit int) ([]core.InboxEntry, error) {
	var out []core.InboxEntry
	err := s.read(func() error {
		in := s.inboxes[userKey{app, user}]
		if in == nil || limit <= 0 {
			return nil
		}
		i := sort.Search(len(in.entries), func(i int) bool { return in.entries[i].Seq > after })
		out = append(out, in.entries[i:min(len(in.entries), i+limit)]...)
		return nil
	})
	return out, err
}

func (s *Store) InboxHead(ctx context.Context, app core.AppID, user string) (uint64, error) {
	var head uint64
	err := s.read(func() error {
		if in := s.inboxes[userKey{app, user}]; in != nil {
			head = in.head
		}
		return nil
	})
	return head, err
}

func (s *Store) AddInbox(ctx context.Context, app core.AppID, events []core.InboxEvent) ([]core.InboxEntry, error) {
	var out []core.InboxEntry
	err := s.write(func() error {
		out = s.addInboxLocked(app, events, nil, nil)
		return nil
	})
	return out, err
}

func (s *Store) PurgeInbox(ctx context.Context, app core.AppID, before int64) (int64, error) {
	var n int64
	err := s.write(func() error {
		for k, in := range s.inboxes {
			if k.app != app {
				continue
			}
			i := sort.Search(len(in.entries), func(i int) bool { return in.entries[i].Time >= before })
			n += int64(i)
			in.entries = append(in.entries[:0:0], in.entries[i:]...)
		}
		return nil
	})
	return n, err
}
