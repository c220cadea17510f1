package core

import (
	"cmp"
	"context"
	"math"
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
//
// The store lists C2C conversations a page at a time, in list order
// (ConversationStore.ListConversations); group conversations come from
// memory (groupConversations) and are merged into the same order.
func (s *Service) Conversations(ctx context.Context, req ConvListRequest) (ConvPage, error) {
	if _, err := s.app(req.App); err != nil {
		return ConvPage{}, err
	}
	if err := s.needAccount(req.App, req.Owner, FieldFrom); err != nil {
		return ConvPage{}, err
	}
	groups, err := s.groupConversations(ctx, req.App, req.Owner)
	if err != nil {
		return ConvPage{}, err
	}
	var gPinned, gNormal []Conversation
	for _, c := range groups {
		if c.Hidden || (c.LastTime == 0 && !req.WithEmpty) {
			continue
		}
		if c.Pinned && req.SupportPinned {
			gPinned = append(gPinned, c)
		} else {
			gNormal = append(gNormal, c)
		}
	}
	sortConversations(gPinned)
	sortConversations(gNormal)
	q := ConvListQuery{App: req.App, Owner: req.Owner, WithEmpty: req.WithEmpty}
	page := ConvPage{Normal: req.Normal, Pinned: req.Pinned}
	room := ConversationPageSize
	firstPage := req.Pinned == ConvCursor{} && req.Normal == ConvCursor{}
	pinnedDone := true
	if req.SupportPinned && (req.PagePinned || firstPage) {
		q.Pins = PinnedOnly
		var taken []Conversation
		if req.PagePinned {
			taken, page.Pinned, pinnedDone, err = s.convPage(ctx, q, gPinned, req.Pinned, room)
		} else {
			// All of them, on the first page only; the cursor still
			// stops after a page's worth.
			taken, _, _, err = s.convPage(ctx, q, gPinned, ConvCursor{}, allRoom)
			page.Pinned = advanceCursor(req.Pinned, taken[:min(len(taken), room)])
		}
		if err != nil {
			return ConvPage{}, err
		}
		page.Items = taken
		room -= len(taken)
	}
	normalDone := false
	if pinnedDone {
		q.Pins = PinnedOrNot
		if req.SupportPinned {
			q.Pins = UnpinnedOnly
		}
		var taken []Conversation
		taken, page.Normal, normalDone, err = s.convPage(ctx, q, gNormal, req.Normal, max(room, 0))
		if err != nil {
			return ConvPage{}, err
		}
		if len(page.Items) == 0 {
			page.Items = taken
		} else {
			page.Items = append(slices.Clip(page.Items), taken...)
		}
	}
	page.Complete = pinnedDone && normalDone
	return page, nil
}

// allRoom is room for every conversation a list can have.
const allRoom = 1 << 30

// convPage takes a page of up to room conversations after cur from the
// list made of the C2C conversations q selects and groups (selected the
// same way and sorted), in list order; it returns them, the cursor after
// them and whether nothing is left. The store reads the page and no more:
// at the cursor's time C2C conversations come before group ones (type 1
// sorts first), so the store skips the C2C ones the cursor has passed
// itself, unless group conversations share that time: then the page is
// read from the cursor's time on and the skipping done here.
func (s *Service) convPage(ctx context.Context, q ConvListQuery, groups []Conversation, cur ConvCursor, room int) ([]Conversation, ConvCursor, bool, error) {
	q.MaxTime, q.Skip = math.MaxInt64, 0
	if cur != (ConvCursor{}) {
		q.MaxTime, q.Skip = cur.Time, cur.Index
	}
	for len(groups) > 0 && groups[0].LastTime > q.MaxTime {
		groups = groups[1:]
	}
	skip := 0 // skipped here
	if len(groups) > 0 && groups[0].LastTime == q.MaxTime {
		skip, q.Skip = q.Skip, 0
	}
	// One more than the page, to know whether something is left.
	q.Limit = min(skip, allRoom) + room + 1
	c2c, err := s.store.ListConversations(ctx, q)
	if err != nil {
		return nil, cur, false, err
	}
	list := c2c
	if len(groups) > 0 {
		list = make([]Conversation, 0, len(c2c)+len(groups))
		list = append(append(list, c2c...), groups...)
		sortConversations(list)
	}
	start := 0
	for start < len(list) && start < skip && list[start].LastTime == q.MaxTime {
		start++
	}
	end := min(len(list), start+room)
	taken := list[start:end]
	return taken, advanceCursor(cur, taken), end == len(list), nil
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

// advanceCursor returns the cursor after taken, listed after cur.
func advanceCursor(cur ConvCursor, taken []Conversation) ConvCursor {
	next := cur
	for _, c := range taken {
		if c.LastTime == next.Time && next != (ConvCursor{}) {
			next.Index++
		} else {
			next = ConvCursor{Time: c.LastTime, Index: 1}
		}
	}
	return next
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

// groupConversations returns owner's group conversations: groups keep
// no per-member conversation rows (read diffusion), so each joined group's
// conversation is derived from the group and the membership; a stored row
// (type 2) only adds pinning and hiding.
func (s *Service) groupConversations(ctx context.Context, app AppID, owner string) ([]Conversation, error) {
	joined := s.gcache.joinedBy(app, owner)
	if len(joined) == 0 {
		return nil, nil
	}
	rows, err := s.store.ConversationsOfType(ctx, app, owner, ConvGroup)
	if err != nil {
		return nil, err
	}
	stored := make(map[string]Conversation, len(rows))
	for _, c := range rows {
		stored[c.Peer] = c
	}
	var out []Conversation
	for _, id := range joined {
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
	return out, nil
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
