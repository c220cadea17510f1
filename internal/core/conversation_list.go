package core

import (
	"cmp"
	"context"
	"slices"
)

// ConversationPageSize is how many conversations one page lists at most.
const ConversationPageSize = 100

// ConvCursor is a position in a conversation list ordered newest first:
// the last message time of the last item listed and how many items with
// that time were listed. The zero cursor is the first page.
type ConvCursor struct {
	Time  int64
	Index int
}

// ConvListRequest asks for a page of a user's conversation list.
type ConvListRequest struct {
	App   AppID
	Owner string
	// Normal continues the unpinned (or, without SupportPinned, all)
	// conversations; Pinned continues the pinned ones.
	Normal ConvCursor
	Pinned ConvCursor
	// SupportPinned lists pinned conversations first, apart.
	SupportPinned bool
	// WithEmpty also lists conversations without a last message.
	WithEmpty bool
	// PagePinned pages pinned conversations too; without it the first
	// page lists every pinned conversation and later pages none.
	PagePinned bool
}

// ConvPage is a page of conversations: pinned ones first (when asked for),
// then the others, each newest first.
type ConvPage struct {
	Items    []Conversation
	Complete bool
	Normal   ConvCursor // where the next page continues
	Pinned   ConvCursor
}

// Conversations lists a page of owner's conversation list. Deleted
// (hidden) conversations are never listed; empty ones only WithEmpty.
// NotFound (FieldFrom) when owner is not imported.
func (s *Service) Conversations(ctx context.Context, req ConvListRequest) (ConvPage, error) {
	if _, err := s.app(req.App); err != nil {
		return ConvPage{}, err
	}
	if err := s.needAccount(req.App, req.Owner, FieldFrom); err != nil {
		return ConvPage{}, err
	}
	all, err := s.store.Conversations(ctx, req.App, req.Owner)
	if err != nil {
		return ConvPage{}, err
	}
	all = s.withGroupConversations(req.App, req.Owner, all)
	var pinned, normal []Conversation
	for _, c := range all {
		if c.Hidden || (c.LastTime == 0 && !req.WithEmpty) {
			continue
		}
		if c.Pinned && req.SupportPinned {
			pinned = append(pinned, c)
		} else {
			normal = append(normal, c)
		}
	}
	sortConversations(pinned)
	sortConversations(normal)
	page := ConvPage{Normal: req.Normal, Pinned: req.Pinned}
	room := ConversationPageSize
	firstPage := req.Pinned == ConvCursor{} && req.Normal == ConvCursor{}
	pinnedDone := true
	if req.PagePinned || firstPage {
		var taken []Conversation
		taken, page.Pinned, pinnedDone = takePage(pinned, req.Pinned, room)
		if !req.PagePinned {
			taken, pinnedDone = pinned, true // all of them, on the first page only
		}
		page.Items = append(page.Items, taken...)
		room -= len(taken)
	}
	normalDone := pinnedDone && len(normal) == 0
	if pinnedDone {
		var taken []Conversation
		taken, page.Normal, normalDone = takePage(normal, req.Normal, max(room, 0))
		page.Items = append(page.Items, taken...)
	}
	page.Complete = pinnedDone && normalDone
	return page, nil
}

// sortConversations orders newest last message first; ties by type, then peer.
func sortConversations(cs []Conversation) {
	slices.SortFunc(cs, func(a, b Conversation) int {
		if c := cmp.Compare(b.LastTime, a.LastTime); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return cmp.Compare(a.Peer, b.Peer)
	})
}

// takePage returns up to room items of sorted cs after cur, the cursor after
// them, and whether nothing is left.
func takePage(cs []Conversation, cur ConvCursor, room int) ([]Conversation, ConvCursor, bool) {
	start := 0
	if cur != (ConvCursor{}) {
		for start < len(cs) && cs[start].LastTime > cur.Time {
			start++
		}
		for skipped := 0; start < len(cs) && cs[start].LastTime == cur.Time && skipped < cur.Index; skipped++ {
			start++
		}
	}
	end := min(len(cs), start+room)
	taken := cs[start:end]
	next := cur
	for _, c := range taken {
		if c.LastTime == next.Time && next != (ConvCursor{}) {
			next.Index++
		} else {
			next = ConvCursor{Time: c.LastTime, Index: 1}
		}
	}
	return taken, next, end == len(cs)
}

// DeleteConversation removes a conversation from owner's list and zeroes
// its unread count; with clearHistory, owner's history of it is cleared
// too (the peer's stays). owner's devices are told. Deleting a
// conversation that does not exist succeeds. NotFound (FieldFrom) when
// owner is not imported.
func (s *Service) DeleteConversation(ctx context.Context, app AppID, owner string, typ ConvType, peer string, clearHistory bool) error {
	if _, err := s.app(app); err != nil {
		return err
	}
	if err := s.needAccount(app, owner, FieldFrom); err != nil {
		return err
	}
	if typ != ConvC2C && typ != ConvGroup {
		return Errorf(Invalid, "", "conversation type %d", typ)
	}
	if peer == "" {
		return Errorf(Invalid, FieldPeer, "no peer")
	}
	if typ == ConvGroup {
		// Deleting a conversation zeroes its unread count: for a group,
		// read it all. It stays hidden until a later message (the store
		// keeps the group's last seq as its floor).
		if _, err := s.MarkGroupRead(ctx, app, peer, owner, 0); err != nil && KindOf(err) != NotFound {
			return err
		}
	}
	payload := mustJSON(ConversationRef{Type: typ, Peer: peer, ClearHistory: clearHistory})
	_, err := s.store.DeleteConversation(ctx, app, owner, typ, peer, clearHistory,
		[]InboxEvent{{User: owner, Kind: EventConversationDeleted, Payload: payload}})
	return err
}

// withGroupConversations merges owner's group conversations into rows:
// groups keep no per-member conversation rows (read diffusion), so each
// joined group's conversation is derived from the group and the membership;
// a stored row (type 2) only adds pinning and hiding.
func (s *Service) withGroupConversations(app AppID, owner string, rows []Conversation) []Conversation {
	stored := map[string]Conversation{}
	out := rows[:0]
	for _, c := range rows {
		if c.Type == ConvGroup {
			stored[c.Peer] = c
			continue
		}
		out = append(out, c)
	}
	for _, id := range s.gcache.joinedBy(app, owner) {
		cg := s.gcache.get(app, id)
		if cg == nil {
			continue
		}
		m, ok := cg.member(owner)
		if !ok {
			continue
		}
		g := cg.snapshot()
		c := Conversation{App: app, Owner: owner, Type: ConvGroup, Peer: id,
			LastTime: g.LastTime, LastSeq: uint32(g.LastSeq), Unread: unreadOf(g, m)}
		if r, ok := stored[id]; ok {
			c.Pinned, c.PinnedAt = r.Pinned, r.PinnedAt
			c.Hidden = r.Hidden && g.LastSeq <= uint64(r.UnreadFloor) // hidden until a later message
		}
		c.AtMe = m.AtMeSeq > m.ReadSeq
		c.AtAll = g.AtAllSeq > m.ReadSeq
		out = append(out, c)
	}
	return out
}

// ConversationRef is the payload of conversation events.
type ConversationRef struct {
	Type         ConvType `json:"Type"`
	Peer         string   `json:"Peer"`
	ClearHistory bool     `json:"ClearHistory,omitempty"`
	Pinned       *bool    `json:"Pinned,omitempty"`
}

// PinConversation pins or unpins owner's conversation with peer; pinned
// conversations are listed first. owner's devices are told.
func (s *Service) PinConversation(ctx context.Context, app AppID, owner string, typ ConvType, peer string, pinned bool) error {
	if _, err := s.app(app); err != nil {
		return err
	}
	if err := s.needAccount(app, owner, FieldFrom); err != nil {
		return err
	}
	if typ != ConvC2C && typ != ConvGroup {
		return Errorf(Invalid, "", "conversation type %d", typ)
	}
	if peer == "" {
		return Errorf(Invalid, FieldPeer, "no peer")
	}
	payload := mustJSON(ConversationRef{Type: typ, Peer: peer, Pinned: &pinned})
	return s.store.SetConversationPinned(ctx, app, owner, typ, peer, pinned, s.Now(),
		[]InboxEvent{{User: owner, Kind: EventConversationPinned, Payload: payload}})
}
