package memory

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sort"

	"github.com/parleyim/parley/internal/core"
)

var _ core.GroupStore = (*Store)(nil)

// Groups (core.GroupStore) behave as package sqlstore's do: the same
// counters move on each write, and everything a caller gets is a copy.

// groupState is the Store's groups, guarded by Store.mu. Its maps are made
// on first write (see groupsLocked).
type groupState struct {
	groups map[groupKey]*group
	ext    map[int64]*core.Extensions // per group message ID (an ID space of its own)
	lastID int64
}

type groupKey struct {
	app core.AppID
	id  string
}

type group struct {
	g        core.Group
	members  map[string]*core.Member
	msgs     []*core.GroupMessage // outside topics, by seq, without gaps (purge drops a prefix)
	receipts map[uint64][]string  // seq → readers in byte order
	topics   map[string]*topic
}

type topic struct {
	t    core.Topic
	msgs []*core.GroupMessage // by seq, without gaps
}

// groupsLocked returns the state with its maps made.
func (s *Store) groupsLocked() *groupState {
	gs := &s.groups
	if gs.groups == nil {
		gs.groups = make(map[groupKey]*group)
		gs.ext = make(map[int64]*core.Extensions)
	}
	return gs
}

// groupLocked returns the live group or nil.
func (s *Store) groupLocked(app core.AppID, id string) *group {
	return s.groups.groups[groupKey{app, id}]
}

func noGroup(id string) error { return core.Errorf(core.NotFound, "", "no group %s", id) }

func noGroupOrTopic(group, topic string) error {
	if topic != "" {
		return core.Errorf(core.NotFound, "", "no topic %s in group %s", topic, group)
	}
	return noGroup(group)
}

func cloneGroup(g core.Group) core.Group {
	g.AppDefined = slices.Clone(g.AppDefined)
	g.Mutes = maps.Clone(g.Mutes)
	return g
}

func cloneMember(m core.Member) core.Member {
	m.AppDefined = slices.Clone(m.AppDefined)
	return m
}

func cloneGroupMsg(m core.GroupMessage) core.GroupMessage {
	m.Body = slices.Clone(m.Body)
	m.OfflinePush = slices.Clone(m.OfflinePush)
	m.To = slices.Clone(m.To)
	m.AtUsers = slices.Clone(m.AtUsers)
	return m
}

// withMsgID returns events with MsgID set to id where it is 0.
func withMsgID(events []core.InboxEvent, id int64) []core.InboxEvent {
	out := slices.Clone(events)
	for i := range out {
		if out[i].MsgID == 0 {
			out[i].MsgID = id
		}
	}
	return out
}

func (s *Store) CreateGroup(ctx context.Context, g *core.Group, members []core.Member, events []core.InboxEvent) error {
	return s.write(func() error {
		gs := s.groupsLocked()
		k := groupKey{g.App, g.ID}
		if gs.groups[k] != nil {
			return core.Errorf(core.Duplicate, "", "group %s exists", g.ID)
		}
		gr := &group{g: cloneGroup(*g), members: map[string]*core.Member{}, receipts: map[uint64][]string{},
			topics: map[string]*topic{}}
		gr.g.NextSeq = 1
		for i := range members {
			gr.putMember(members[i])
		}
		gr.g.MemberCount = len(gr.members)
		gs.groups[k] = gr
		g.NextSeq, g.MemberCount = gr.g.NextSeq, gr.g.MemberCount
		s.addInboxLocked(g.App, events, nil, nil)
		return nil
	})
}

// putMember adds m unless it is a member already, reporting whether it did.
func (gr *group) putMember(m core.Member) bool {
	if gr.members[m.User] != nil {
		return false
	}
	m = cloneMember(m)
	m.App, m.Group = gr.g.App, gr.g.ID
	gr.members[m.User] = &m
	return true
}

func (s *Store) ScanGroups(ctx context.Context, fn func(g core.Group, members []core.Member) error) error {
	type entry struct {
		g       core.Group
		members []core.Member
	}
	var all []entry
	err := s.read(func() error {
		for _, gr := range s.groups.groups {
			e := entry{g: cloneGroup(gr.g)}
			for _, m := range gr.members {
				e.members = append(e.members, cloneMember(*m))
			}
			slices.SortFunc(e.members, func(a, b core.Member) int { return cmp.Compare(a.User, b.User) })
			all = append(all, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.g.App, b.g.App), cmp.Compare(a.g.ID, b.g.ID))
	})
	for _, e := range all {
		if err := fn(e.g, e.members); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) UpdateGroup(ctx context.Context, app core.AppID, id string, fn func(g *core.Group) ([]core.InboxEvent, error)) (core.Group, error) {
	var out core.Group
	err := s.write(func() error {
		gr := s.groupLocked(app, id)
		if gr == nil {
			return noGroup(id)
		}
		g := cloneGroup(gr.g)
		events, err := fn(&g)
		if err != nil {
			return err
		}
		st := &gr.g
		st.Name, st.Introduction, st.Notification, st.FaceURL, st.Owner = g.Name, g.Introduction, g.Notification, g.FaceURL, g.Owner
		st.MaxMembers, st.ApplyJoinOption, st.InviteJoinOption, st.MuteAll = g.MaxMembers, g.ApplyJoinOption, g.InviteJoinOption, g.MuteAll
		st.AppDefined, st.InfoSeq, st.LastInfoTime, st.ClearedSeq = slices.Clone(g.AppDefined), g.InfoSeq, g.LastInfoTime, g.ClearedSeq
		st.Mutes = maps.Clone(g.Mutes)
		if len(st.AppDefined) == 0 {
			st.AppDefined = nil
		}
		if len(st.Mutes) == 0 {
			st.Mutes = nil
		}
		s.addInboxLocked(app, events, nil, nil)
		out = cloneGroup(gr.g)
		return nil
	})
	return out, err
}

func (s *Store) DestroyGroup(ctx context.Context, app core.AppID, id string, events []core.InboxEvent) error {
	return s.write(func() error {
		gs := s.groupsLocked()
		gr := gs.groups[groupKey{app, id}]
		if gr == nil {
			return noGroup(id)
		}
		s.dropExtLocked(gr.msgs)
		for _, t := range gr.topics {
			s.dropExtLocked(t.msgs)
		}
		delete(gs.groups, groupKey{app, id})
		for k, list := range s.lists {
			if k.app == app {
				delete(list, peerKey{core.ConvGroup, id})
			}
		}
		s.addInboxLocked(app, events, nil, nil)
		return nil
	})
}

// dropExtLocked deletes the extensions of msgs.
func (s *Store) dropExtLocked(msgs []*core.GroupMessage) {
	for _, m := range msgs {
		delete(s.groups.ext, m.ID)
	}
}

func (s *Store) PutMembers(ctx context.Context, app core.AppID, group string, members []core.Member, events []core.InboxEvent) ([]bool, core.Group, error) {
	var isNew []bool
	var out core.Group
	err := s.write(func() error {
		gr := s.groupLocked(app, group)
		if gr == nil {
			return noGroup(group)
		}
		isNew = make([]bool, len(members))
		for i := range members {
			isNew[i] = gr.putMember(members[i])
		}
		gr.g.MemberCount = len(gr.members)
		s.addInboxLocked(app, events, nil, nil)
		out = cloneGroup(gr.g)
		return nil
	})
	if err != nil {
		return nil, core.Group{}, err
	}
	return isNew, out, nil
}

func (s *Store) RemoveMembers(ctx context.Context, app core.AppID, group string, users []string, events []core.InboxEvent) ([]bool, core.Group, error) {
	var existed []bool
	var out core.Group
	err := s.write(func() error {
		gr := s.groupLocked(app, group)
		if gr == nil {
			return noGroup(group)
		}
		existed = make([]bool, len(users))
		for i, u := range users {
			if gr.members[u] != nil {
				existed[i] = true
				delete(gr.members, u)
			}
			delete(s.lists[userKey{app, u}], peerKey{core.ConvGroup, group})
		}
		gr.g.MemberCount = len(gr.members)
		s.addInboxLocked(app, events, nil, nil)
		out = cloneGroup(gr.g)
		return nil
	})
	if err != nil {
		return nil, core.Group{}, err
	}
	return existed, out, nil
}

// memberLocked returns the member or nil.
func (s *Store) memberLocked(app core.AppID, group, user string) *core.Member {
	if gr := s.groupLocked(app, group); gr != nil {
		return gr.members[user]
	}
	return nil
}

// saveMember stores the fields of edited that core may change.
func saveMember(stored *core.Member, edited *core.Member) {
	stored.Role, stored.ReadSeq, stored.ReadCounted, stored.MsgFlag = edited.Role, edited.ReadSeq, edited.ReadCounted, edited.MsgFlag
	stored.MuteUntil, stored.NameCard, stored.AppDefined = edited.MuteUntil, edited.NameCard, slices.Clone(edited.AppDefined)
	stored.AtMeSeq, stored.LastSendMsgTime = edited.AtMeSeq, edited.LastSendMsgTime
	if len(stored.AppDefined) == 0 {
		stored.AppDefined = nil
	}
}

func (s *Store) UpdateMember(ctx context.Context, app core.AppID, group, user string,
	fn func(m *core.Member) ([]core.InboxEvent, error)) (core.Member, error) {
	var out core.Member
	err := s.write(func() error {
		stored := s.memberLocked(app, group, user)
		if stored == nil {
			return core.Errorf(core.NotFound, "", "%s is not a member of %s", user, group)
		}
		m := cloneMember(*stored)
		events, err := fn(&m)
		if err != nil {
			return err
		}
		saveMember(stored, &m)
		s.addInboxLocked(app, events, nil, nil)
		out = cloneMember(*stored)
		return nil
	})
	return out, err
}

func (s *Store) UpdateMembers(ctx context.Context, app core.AppID, group string, users []string,
	fn func(m *core.Member) bool, events []core.InboxEvent) ([]core.Member, error) {
	var out []core.Member
	err := s.write(func() error {
		out = make([]core.Member, 0, len(users))
		for _, u := range users {
			stored := s.memberLocked(app, group, u)
			if stored == nil {
				continue
			}
			m := cloneMember(*stored)
			if fn(&m) {
				saveMember(stored, &m)
			}
			out = append(out, cloneMember(*stored))
		}
		s.addInboxLocked(app, events, nil, nil)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) AppendGroupMessage(ctx context.Context, a *core.GroupAppend) (core.Group, error) {
	m := a.Msg
	var out core.Group
	err := s.write(func() error {
		gr, t := s.spaceLocked(m.App, m.Group, m.Topic)
		if gr == nil {
			return noGroupOrTopic(m.Group, m.Topic)
		}
		s.appendGroupMsgLocked(gr, t, m, a.UpdatesConversation, a.Counts, true)
		s.pendingGroup = append(s.pendingGroup, cloneGroupMsg(*m))
		s.addInboxLocked(m.App, withMsgID(a.Events, m.ID), nil, nil)
		out = cloneGroup(gr.g)
		return nil
	})
	if err != nil {
		return core.Group{}, err
	}
	return out, nil
}

// spaceLocked returns the live group and, for a topic, the topic; gr is
// nil when either is missing.
func (s *Store) spaceLocked(app core.AppID, group, topicID string) (gr *group, t *topic) {
	gr = s.groupLocked(app, group)
	if gr == nil || topicID == "" {
		return gr, nil
	}
	if t = gr.topics[topicID]; t == nil {
		return nil, nil
	}
	return gr, t
}

// appendGroupMsgLocked stores m in gr (or its topic t) as sqlstore's
// appendGroupMsg does.
func (s *Store) appendGroupMsgLocked(gr *group, t *topic, m *core.GroupMessage, updates, counts, live bool) {
	g := &gr.g
	if t == nil {
		m.Seq = g.NextSeq
		g.NextSeq++
		if updates {
			g.LastSeq, g.LastTime = m.Seq, m.Time
		}
		if counts {
			g.Counted++
		}
		if live && m.Flags.Has(core.GFlagAtAll) {
			g.AtAllSeq = m.Seq
		}
	} else {
		m.Seq = t.t.NextSeq
		t.t.NextSeq++
		if updates {
			t.t.LastSeq, t.t.LastTime = m.Seq, m.Time
		}
	}
	g.LastMsgTime = max(g.LastMsgTime, m.Time)
	gs := s.groupsLocked()
	gs.lastID++
	m.ID = gs.lastID
	stored := cloneGroupMsg(*m)
	if t == nil {
		gr.msgs = append(gr.msgs, &stored)
	} else {
		t.msgs = append(t.msgs, &stored)
	}
	if !live {
		return
	}
	if sender := gr.members[m.From]; sender != nil {
		sender.LastSendMsgTime = max(sender.LastSendMsgTime, m.Time)
		if t == nil { // nobody has unread messages of their own
			sender.ReadSeq = max(sender.ReadSeq, m.Seq)
			sender.ReadCounted = max(sender.ReadCounted, g.Counted)
		}
	}
	if t == nil {
		for _, u := range m.AtUsers {
			if mem := gr.members[u]; mem != nil {
				mem.AtMeSeq = m.Seq
			}
		}
	}
}

func (s *Store) ImportGroupMessages(ctx context.Context, app core.AppID, group string, msgs []*core.GroupMessage) (core.Group, error) {
	var out core.Group
	err := s.write(func() error {
		gr := s.groupLocked(app, group)
		if gr == nil {
			return noGroup(group)
		}
		for _, m := range msgs { // all or nothing: check before storing any
			if m.Topic != "" && gr.topics[m.Topic] == nil {
				return noGroupOrTopic(group, m.Topic)
			}
		}
		for _, m := range msgs {
			m.App, m.Group = app, group
			s.appendGroupMsgLocked(gr, gr.topics[m.Topic], m, m.UpdatesConversation(), m.CountsUnread(), false)
		}
		for _, mem := range gr.members {
			mem.ReadCounted, mem.ReadSeq = gr.g.Counted, max(mem.ReadSeq, gr.g.NextSeq-1)
		}
		out = cloneGroup(gr.g)
		return nil
	})
	if err != nil {
		return core.Group{}, err
	}
	return out, nil
}

// msgsOf returns the messages of the group or topic (nil if none).
func (s *Store) msgsOf(app core.AppID, group, topicID string) []*core.GroupMessage {
	gr, t := s.spaceLocked(app, group, topicID)
	switch {
	case gr == nil:
		return nil
	case t != nil:
		return t.msgs
	}
	return gr.msgs
}

// firstFrom returns the index of the first of msgs with a seq at or above seq.
func firstFrom(msgs []*core.GroupMessage, seq uint64) int {
	return sort.Search(len(msgs), func(i int) bool { return msgs[i].Seq >= seq })
}

// msgAt returns the message with seq, or nil.
func msgAt(msgs []*core.GroupMessage, seq uint64) *core.GroupMessage {
	if i := firstFrom(msgs, seq); i < len(msgs) && msgs[i].Seq == seq {
		return msgs[i]
	}
	return nil
}

func (s *Store) GroupMessages(ctx context.Context, q core.GroupMsgQuery) ([]core.GroupMessage, error) {
	var out []core.GroupMessage
	err := s.read(func() error {
		if q.Limit <= 0 || q.MinSeq > q.MaxSeq {
			return nil
		}
		msgs := s.msgsOf(q.App, q.Group, q.Topic)
		lo, hi := firstFrom(msgs, q.MinSeq), len(msgs)
		if q.MaxSeq < ^uint64(0) {
			hi = firstFrom(msgs, q.MaxSeq+1)
		}
		for i := range max(hi-lo, 0) {
			if len(out) == q.Limit {
				break
			}
			j := lo + i
			if q.Desc {
				j = hi - 1 - i
			}
			out = append(out, cloneGroupMsg(*msgs[j]))
		}
		return nil
	})
	return out, err
}

func (s *Store) UpdateGroupMessage(ctx context.Context, app core.AppID, group, topicID string, seq uint64,
	fn func(m *core.GroupMessage, ext *core.Extensions) ([]core.InboxEvent, error)) (core.GroupMessage, error) {
	var out core.GroupMessage
	err := s.write(func() error {
		stored := msgAt(s.msgsOf(app, group, topicID), seq)
		if stored == nil {
			return core.Errorf(core.NotFound, "", "no message %d in %s/%s", seq, group, topicID)
		}
		withExt := stored.Flags.Has(core.GFlagSupportExtension)
		ext := core.Extensions{Items: map[string]core.Extension{}}
		if withExt {
			ext = cloneExt(s.groups.ext[stored.ID])
		}
		m := cloneGroupMsg(*stored)
		events, err := fn(&m, &ext)
		if err != nil {
			return err
		}
		if withExt && (ext.LatestSeq != 0 || len(ext.Items) > 0) {
			s.groupsLocked().ext[stored.ID] = &ext
		}
		stored.Flags, stored.Body, stored.CloudCustomData = m.Flags, m.Body, m.CloudCustomData
		if stored.Body == nil {
			stored.Body = []byte{}
		}
		s.addInboxLocked(app, withMsgID(events, stored.ID), nil, nil)
		out = cloneGroupMsg(*stored)
		return nil
	})
	return out, err
}

func (s *Store) GroupMessageExtensions(ctx context.Context, app core.AppID, msgID int64) (core.Extensions, error) {
	var out core.Extensions
	err := s.read(func() error {
		out = cloneExt(s.groups.ext[msgID])
		return nil
	})
	return out, err
}

func (s *Store) AddGroupReceipts(ctx context.Context, app core.AppID, group string, user string, seqs []uint64) ([]bool, error) {
	var added []bool
	err := s.write(func() error {
		added = make([]bool, len(seqs))
		gr := s.groupLocked(app, group)
		if gr == nil {
			return nil
		}
		for i, seq := range seqs {
			m := msgAt(gr.msgs, seq)
			if m == nil || !m.Flags.Has(core.GFlagNeedReadReceipt) {
				continue
			}
			readers := gr.receipts[seq]
			j, found := slices.BinarySearch(readers, user)
			if found {
				continue
			}
			gr.receipts[seq] = slices.Insert(readers, j, user)
			added[i] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

func (s *Store) GroupReceipts(ctx context.Context, app core.AppID, group string, seq uint64) ([]string, error) {
	var out []string
	err := s.read(func() error {
		if gr := s.groupLocked(app, group); gr != nil {
			out = slices.Clone(gr.receipts[seq])
		}
		return nil
	})
	return out, err
}

func (s *Store) CreateTopic(ctx context.Context, t *core.Topic) error {
	return s.write(func() error {
		gr := s.groupLocked(t.App, t.Group)
		if gr == nil {
			return noGroup(t.Group)
		}
		if gr.g.Type != core.GroupCommunity {
			return core.Errorf(core.Invalid, "", "group %s is a %s, not a Community", t.Group, gr.g.Type)
		}
		if gr.topics[t.ID] != nil {
			return core.Errorf(core.Duplicate, "", "topic %s exists in %s", t.ID, t.Group)
		}
		t.NextSeq, t.LastSeq, t.LastTime = 1, 0, 0
		gr.topics[t.ID] = &topic{t: *t}
		return nil
	})
}

func (s *Store) DestroyTopic(ctx context.Context, app core.AppID, group, topicID string) error {
	return s.write(func() error {
		gr, t := s.spaceLocked(app, group, topicID)
		if t == nil {
			return noGroupOrTopic(group, topicID)
		}
		s.dropExtLocked(t.msgs)
		delete(gr.topics, topicID)
		return nil
	})
}

func (s *Store) Topics(ctx context.Context, app core.AppID, group string) ([]core.Topic, error) {
	var out []core.Topic
	err := s.read(func() error {
		if gr := s.groupLocked(app, group); gr != nil {
			for _, t := range gr.topics {
				out = append(out, t.t)
			}
		}
		slices.SortFunc(out, func(a, b core.Topic) int { return cmp.Compare(a.ID, b.ID) })
		return nil
	})
	return out, err
}

// PurgeGroupMessages deletes each group's and topic's prefix of messages
// before before, as sqlstore does.
func (s *Store) PurgeGroupMessages(ctx context.Context, app core.AppID, before int64) (int64, error) {
	var n int64
	err := s.write(func() error {
		for k, gr := range s.groups.groups {
			if k.app != app {
				continue
			}
			i := s.purgePrefixLocked(&gr.msgs, before)
			if i > 0 {
				n += int64(i)
				for seq := range gr.receipts {
					if len(gr.msgs) == 0 || seq < gr.msgs[0].Seq {
						delete(gr.receipts, seq)
					}
				}
			}
			for _, t := range gr.topics {
				n += int64(s.purgePrefixLocked(&t.msgs, before))
			}
		}
		return nil
	})
	return n, err
}

// purgePrefixLocked drops the messages before the first at or after before
// (and their extensions) and reports how many.
func (s *Store) purgePrefixLocked(msgs *[]*core.GroupMessage, before int64) int {
	i := 0
	for i < len(*msgs) && (*msgs)[i].Time < before {
		i++
	}
	if i > 0 {
		s.dropExtLocked((*msgs)[:i])
		*msgs = slices.Clone((*msgs)[i:])
	}
	return i
}
