package core

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"slices"
	"sync"
)

// Group messages: send, system notifications, recall, history, import,
// modify, clear, delete by sender, read state. Stored group messages reach
// devices through the store's commit feed; unstored ones (online-only,
// AVChatRoom) through LiveDelivery.

// GroupAt is one @-mention: All for @all, else User.
type GroupAt struct {
	All  bool
	User string
}

// GroupSend asks to send a group (or topic) message.
type GroupSend struct {
	App             AppID
	Group           string
	Topic           string
	From            string
	Random          uint32
	Priority        Priority // 0 means Normal
	Body            json.RawMessage
	CloudCustomData string
	OfflinePush     json.RawMessage
	OnlineOnly      bool
	NoLastMsg       bool
	NoUnread        bool
	// To, when set, names the only members who receive it (no unread).
	To               []string
	At               []GroupAt
	SupportExtension bool
	NeedReadReceipt  bool
	// AsAdmin: the request comes from an app admin (REST), so the sender
	// need not be a member.
	AsAdmin              bool
	ForbidBeforeCallback bool
	ForbidAfterCallback  bool
}

// GroupSent is the outcome of an accepted group send.
type GroupSent struct {
	Seq  uint64 // 0 for online-only and dropped messages
	Time int64
	// DropReason is "MsgFreqCtrl" when frequency control dropped the
	// message: it was accepted but not delivered or stored.
	DropReason string
	Duplicate  bool
}

// DropFreqCtrl is the drop reason of frequency control.
const DropFreqCtrl = "MsgFreqCtrl"

// dedupWindow is how long a send with the same sender, Random and content
// is recognised as a retry.
const dedupWindow = 5 * 60

// SendGroupMessage sends a group (or topic) message and returns its seq.
//
// Refusals: NotFound (FieldGroup, FieldTopic; FieldUser: sender not
// imported), Forbidden (sender not a member), Muted (sender muted, or all
// muted), Invalid (body, options that do not go together or with the
// group type), TooLarge (over MaxMessageBytes; FieldAt: over MaxAtInfo
// mentions; FieldList: over MaxTargetedReceivers), Unsupported (To in a
// group type without targeted messages). A send with the same sender,
// Random and content within five minutes answers the first one's seq and
// stores nothing. Over the group's rate, lower priorities are dropped
// first: the answer then carries DropReason and nothing is stored.
func (s *Service) SendGroupMessage(ctx context.Context, req *GroupSend) (GroupSent, error) {
	cg, err := s.group(req.App, req.Group)
	if err != nil {
		return GroupSent{}, err
	}
	app, _ := s.app(req.App)
	g := cg.snapshot()
	if err := s.checkTopic(cg, req.Topic); err != nil {
		return GroupSent{}, err
	}
	if err := validateMessage(req.Body, req.CloudCustomData, req.OfflinePush); err != nil {
		return GroupSent{}, err
	}
	if err := s.checkGroupSender(cg, &g, req.From, req.AsAdmin); err != nil {
		return GroupSent{}, err
	}
	if err := checkSendOptions(&g, req); err != nil {
		return GroupSent{}, err
	}
	now := s.Now()
	m := &GroupMessage{
		App: req.App, Group: req.Group, Topic: req.Topic, From: req.From, Random: req.Random,
		Time: now, Priority: req.Priority, Body: req.Body, CloudCustomData: req.CloudCustomData,
		OfflinePush: req.OfflinePush, To: req.To,
	}
	if m.Priority == 0 {
		m.Priority = PriorityNormal
	}
	for _, c := range [...]struct {
		on   bool
		flag GroupMsgFlags
	}{
		{req.NoLastMsg, GFlagNoLastMsg}, {req.NoUnread, GFlagNoUnread},
		{req.SupportExtension, GFlagSupportExtension}, {req.NeedReadReceipt, GFlagNeedReadReceipt},
	} {
		if c.on {
			m.Flags |= c.flag
		}
	}
	for _, at := range req.At {
		if at.All {
			m.Flags |= GFlagAtAll
		} else if at.User != "" && !slices.Contains(m.AtUsers, at.User) {
			m.AtUsers = append(m.AtUsers, at.User)
		}
	}
	hash := contentHash(req.Topic, req.Body, req.CloudCustomData)
	if seen, ok := cg.dedup.find(req.From, req.Random, hash, now); ok {
		return GroupSent{Seq: seen.seq, Time: seen.time, Duplicate: true}, nil
	}
	if !cg.freq.allow(now, m.Priority, app.groupMsgRate()) {
		return GroupSent{Time: now, DropReason: DropFreqCtrl}, nil
	}
	if req.OnlineOnly {
		s.live.DeliverGroupOnline(m)
		return GroupSent{Time: now}, nil
	}
	if !g.Type.StoresHistory() {
		cg.mu.Lock()
		cg.avSeq++
		m.Seq = cg.avSeq
		cg.noteUnstored(m)
		s.live.DeliverGroupOnline(m) // in seq order: under the lock
		cg.mu.Unlock()
		cg.dedup.add(req.From, req.Random, hash, m.Seq, now)
		return GroupSent{Seq: m.Seq, Time: now}, nil
	}
	stored, err := s.gstore.AppendGroupMessage(ctx, &GroupAppend{
		Msg:                 m,
		Counts:              g.Type.CountsUnread() && m.CountsUnread(),
		UpdatesConversation: m.UpdatesConversation(),
	})
	if err != nil {
		return GroupSent{}, groupNotFound(err, req.Group)
	}
	if req.Topic == "" {
		cg.mergeCounters(stored)
	} else {
		cg.touchTopic(req.Topic, m.Seq, m.Time, m.UpdatesConversation())
	}
	cg.noteSent(m, stored)
	cg.dedup.add(req.From, req.Random, hash, m.Seq, now)
	return GroupSent{Seq: m.Seq, Time: m.Time}, nil
}

// noteSent mirrors in the cache what the store's append changed on
// members: the sender's LastSendMsgTime and the AtMeSeq of each member the
// message mentions. (Without it the cache, which answers member queries
// and conversation lists, never saw either change.)
func (cg *cachedGroup) noteSent(m *GroupMessage, stored Group) {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	if mem := cg.members[m.From]; mem != nil {
		mem.LastSendMsgTime = max(mem.LastSendMsgTime, m.Time)
		if m.Topic == "" { // the sender has read their own message
			mem.ReadSeq = max(mem.ReadSeq, m.Seq)
			mem.ReadCounted = max(mem.ReadCounted, stored.Counted)
		}
	}
	if m.Topic != "" {
		return // mentions count in the group's seq space, not a topic's
	}
	for _, u := range m.AtUsers {
		if mem := cg.members[u]; mem != nil {
			mem.AtMeSeq = max(mem.AtMeSeq, m.Seq)
		}
	}
}

// noteUnstored moves the counters of a group whose messages are never
// stored (AVChatRoom) past m, so that NextMsgSeq and LastMsgTime follow
// the seqs its sends answer. Caller holds cg.mu.
func (cg *cachedGroup) noteUnstored(m *GroupMessage) {
	cg.g.NextSeq = max(cg.g.NextSeq, m.Seq+1)
	cg.g.LastMsgTime = max(cg.g.LastMsgTime, m.Time)
}

// checkTopic checks that topic (if any) exists in the group.
func (s *Service) checkTopic(cg *cachedGroup, topic string) error {
	if topic == "" {
		return nil
	}
	cg.mu.RLock()
	defer cg.mu.RUnlock()
	if !cg.g.SupportTopic {
		return Errorf(Unsupported, FieldTopic, "group %q has no topics", cg.g.ID)
	}
	if cg.topics[topic] == nil {
		return Errorf(NotFound, FieldTopic, "no topic %q", topic)
	}
	return nil
}

// checkGroupSender applies who may speak: an imported account that is a
// member (or any account when an admin sends in an AVChatRoom or as the
// app), not muted, and, with everyone muted, the owner or an admin.
func (s *Service) checkGroupSender(cg *cachedGroup, g *Group, from string, asAdmin bool) error {
	if err := s.needAccount(g.App, from, FieldUser); err != nil {
		return err
	}
	app, _ := s.app(g.App)
	appAdmin := app.IsAdmin(from)
	m, member := cg.member(from)
	if !member && g.Type.StoresMembers() && !appAdmin && !(asAdmin && from == g.Owner) {
		return Errorf(Forbidden, FieldUser, "%q is not a member of %q", from, g.ID)
	}
	now := s.Now()
	if until := g.Mutes[from]; until > now {
		return Errorf(Muted, FieldUser, "%q is muted until %d", from, until)
	}
	if g.MuteAll && !appAdmin && from != g.Owner && m.Role != RoleAdmin && m.Role != RoleOwner {
		return Errorf(Muted, FieldGroup, "everyone is muted in %q", g.ID)
	}
	return nil
}

// checkSendOptions applies the option rules of send_group_msg.
func checkSendOptions(g *Group, req *GroupSend) error {
	stores := g.Type.StoresHistory()
	switch {
	case req.OnlineOnly && !stores:
		return Errorf(Invalid, "OnlineOnlyFlag", "an AVChatRoom takes no online-only flag")
	case req.OnlineOnly && (req.NoLastMsg || req.NoUnread):
		return Errorf(Invalid, "SendMsgControl", "SendMsgControl does not go with OnlineOnlyFlag")
	case !stores && (req.NoLastMsg || req.NoUnread):
		return Errorf(Invalid, "SendMsgControl", "an AVChatRoom takes no SendMsgControl")
	case req.Priority > PriorityLowest:
		return Errorf(Invalid, "MsgPriority", "priority %d", req.Priority)
	}
	if req.To != nil {
		if !g.Type.TargetedMessages() {
			return Errorf(Unsupported, FieldList, "%s groups take no To_Account", g.Type)
		}
		if len(req.To) == 0 {
			return Errorf(Invalid, FieldList, "To_Account is empty")
		}
		if len(req.To) > MaxTargetedReceivers {
			return Errorf(TooLarge, FieldList, "%d receivers, limit %d", len(req.To), MaxTargetedReceivers)
		}
	}
	if len(req.At) > MaxAtInfo {
		return Errorf(TooLarge, FieldAt, "%d mentions, limit %d", len(req.At), MaxAtInfo)
	}
	for _, at := range req.At {
		if at.All && !stores {
			return Errorf(Invalid, FieldAt, "no @all in an AVChatRoom")
		}
		if !at.All && at.User == "" {
			return Errorf(Invalid, FieldAt, "a mention names nobody")
		}
	}
	return nil
}

// contentHash identifies what a send carries, and where (the topic).
func contentHash(topic string, body []byte, custom string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(topic))
	h.Write([]byte{0})
	h.Write(body)
	h.Write([]byte{0})
	h.Write([]byte(custom))
	return h.Sum64()
}

// recentSends remembers recent sends of a group for Random de-duplication.
type recentSends struct {
	mu      sync.Mutex
	entries map[sendKey]sendSeen
	// sweepAt is the size at which add next drops expired entries: twice
	// what the last sweep kept (at least 4096), so that a group sending
	// faster than the window empties does not scan the whole map on every
	// send (which made sends into one busy group quadratic).
	sweepAt int
}

type sendKey struct {
	from   string
	random uint32
	hash   uint64
}

type sendSeen struct {
	seq  uint64
	time int64
}

// find returns the earlier send (its seq and time) a send repeats.
func (r *recentSends) find(from string, random uint32, hash uint64, now int64) (sendSeen, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[sendKey{from, random, hash}]
	if !ok || now-e.time > dedupWindow {
		return sendSeen{}, false
	}
	return e, true
}

func (r *recentSends) add(from string, random uint32, hash uint64, seq uint64, now int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entries == nil {
		r.entries = map[sendKey]sendSeen{}
	}
	if len(r.entries) >= max(r.sweepAt, 4096) {
		for k, e := range r.entries {
			if now-e.time > dedupWindow {
				delete(r.entries, k)
			}
		}
		r.sweepAt = 2 * len(r.entries)
	}
	r.entries[sendKey{from, random, hash}] = sendSeen{seq, now}
}

// freqWindow counts a group's messages in the current second. Over the
// app's rate, lower priorities are dropped first: Low and Lowest from 3/4 of
// the rate, Normal from the rate, High from twice the rate.
type freqWindow struct {
	mu     sync.Mutex
	second int64
	count  int
}

func (f *freqWindow) allow(now int64, p Priority, rate int) bool {
	if rate <= 0 {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if now != f.second {
		f.second, f.count = now, 0
	}
	limit := rate
	switch p {
	case PriorityHigh:
		limit = 2 * rate
	case PriorityLow, PriorityLowest:
		limit = rate * 3 / 4
	}
	if f.count >= limit {
		return false
	}
	f.count++
	return true
}

// SendGroupNotification sends a system notification (stored, taking a seq,
// counting no unread); with to, only those members receive it.
func (s *Service) SendGroupNotification(ctx context.Context, app AppID, group, topic string, to []string, content string) (uint64, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return 0, err
	}
	g := cg.snapshot()
	if err := s.checkTopic(cg, topic); err != nil {
		return 0, err
	}
	if content == "" {
		return 0, Errorf(Invalid, "Content", "empty notification")
	}
	if len(to) > MaxMuteMembers {
		return 0, Errorf(TooLarge, FieldList, "%d receivers, limit %d", len(to), MaxMuteMembers)
	}
	if len(to) > 0 && !g.Type.StoresMembers() {
		return 0, Errorf(Invalid, FieldList, "an AVChatRoom notification goes to everyone")
	}
	body := mustJSON([]map[string]any{{"MsgType": ElemCustom, "MsgContent": map[string]string{"Data": content}}})
	if len(body) > MaxMessageBytes {
		return 0, Errorf(TooLarge, FieldBody, "notification is %d bytes", len(body))
	}
	m := &GroupMessage{App: app, Group: group, Topic: topic, Time: s.Now(), Priority: PriorityHigh,
		Body: body, Flags: GFlagSystem | GFlagNoLastMsg | GFlagNoUnread}
	if len(to) > 0 {
		m.To = to
	}
	if !g.Type.StoresHistory() {
		cg.mu.Lock()
		cg.avSeq++
		m.Seq = cg.avSeq
		cg.noteUnstored(m)
		s.live.DeliverGroupOnline(m)
		cg.mu.Unlock()
		return m.Seq, nil
	}
	stored, err := s.gstore.AppendGroupMessage(ctx, &GroupAppend{Msg: m})
	if err != nil {
		return 0, groupNotFound(err, group)
	}
	if topic == "" {
		cg.mergeCounters(stored)
	} else {
		cg.touchTopic(topic, m.Seq, m.Time, false)
	}
	return m.Seq, nil
}

// RecallResult is the outcome of recalling one group message.
type RecallResult struct {
	Seq uint64
	Err error // NotFound: no such message; Duplicate: already recalled or a system message
}

// RecallGroupMessages recalls messages by seq; online members are told.
// Refusals: NotFound (FieldGroup), Unsupported (AVChatRoom keeps nothing to
// recall), TooLarge (FieldList: more than MaxGroupRecall).
func (s *Service) RecallGroupMessages(ctx context.Context, app AppID, group, topic string, seqs []uint64) ([]RecallResult, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return nil, err
	}
	if !cg.snapshot().Type.CanRecall() {
		return nil, Errorf(Unsupported, FieldGroup, "AVChatRoom messages cannot be recalled")
	}
	if err := s.checkTopic(cg, topic); err != nil {
		return nil, err
	}
	if len(seqs) == 0 {
		return nil, Errorf(Invalid, FieldList, "no messages")
	}
	if len(seqs) > MaxGroupRecall {
		return nil, Errorf(TooLarge, FieldList, "%d messages, limit %d", len(seqs), MaxGroupRecall)
	}
	out := make([]RecallResult, len(seqs))
	for i, seq := range seqs {
		out[i].Seq = seq
		_, err := s.gstore.UpdateGroupMessage(ctx, app, group, topic, seq, func(m *GroupMessage, _ *Extensions) ([]InboxEvent, error) {
			if m.Flags.Has(GFlagRecalled) || m.Flags.Has(GFlagSystem) || m.Flags.Has(GFlagDeleted) {
				return nil, Errorf(Duplicate, FieldKey, "message %d cannot be recalled", seq)
			}
			m.Flags |= GFlagRecalled
			return nil, nil
		})
		switch KindOf(err) {
		case 0:
			s.live.DeliverGroupChange(GroupChangeEvent{App: app, Group: group, Topic: topic, Kind: GroupMessageRecall, Seq: seq})
		case NotFound:
			out[i].Err = Errorf(NotFound, FieldKey, "no message %d", seq)
		case Duplicate:
			out[i].Err = err
		default:
			return nil, err
		}
	}
	return out, nil
}

// GroupHistoryRequest asks for group messages newest first.
type GroupHistoryRequest struct {
	App   AppID
	Group string
	Topic string
	// BeforeSeq: messages with seq up to it; 0 means the newest.
	BeforeSeq uint64
	Limit     int // at most MaxGroupHistoryPage
	// WithRecalled also returns recalled messages (as placeholders).
	WithRecalled bool
	// ForMember, when set, applies what a member may see: targeted messages
	// of others and messages cleared by clear_group_msg are left out.
	ForMember string
}

// GroupHistoryPage is a page of group messages, newest first.
type GroupHistoryPage struct {
	Messages []GroupMessage
	// Finished: the page reaches the group's first stored message.
	Finished bool
}

// GroupHistory returns up to Limit messages with seq up to BeforeSeq,
// newest first. Refusals: NotFound (FieldGroup, FieldTopic), Unsupported
// (an AVChatRoom keeps no history).
func (s *Service) GroupHistory(ctx context.Context, req GroupHistoryRequest) (GroupHistoryPage, error) {
	cg, err := s.group(req.App, req.Group)
	if err != nil {
		return GroupHistoryPage{}, err
	}
	g := cg.snapshot()
	if !g.Type.StoresHistory() {
		return GroupHistoryPage{}, Errorf(Unsupported, FieldGroup, "an AVChatRoom keeps no history")
	}
	if err := s.checkTopic(cg, req.Topic); err != nil {
		return GroupHistoryPage{}, err
	}
	limit := min(max(req.Limit, 1), MaxGroupHistoryPage)
	maxSeq := req.BeforeSeq
	if maxSeq == 0 {
		maxSeq = 1<<63 - 1
	}
	minSeq := uint64(1)
	if req.ForMember != "" && req.Topic == "" {
		minSeq = g.ClearedSeq + 1
	}
	page := GroupHistoryPage{Messages: []GroupMessage{}}
	for maxSeq >= minSeq && len(page.Messages) < limit {
		batch, err := s.gstore.GroupMessages(ctx, GroupMsgQuery{App: req.App, Group: req.Group, Topic: req.Topic,
			MinSeq: minSeq, MaxSeq: maxSeq, Limit: limit * 2, Desc: true})
		if err != nil {
			return GroupHistoryPage{}, err
		}
		if len(batch) == 0 {
			page.Finished = true
			break
		}
		for _, m := range batch {
			if (!req.WithRecalled && m.Flags.Has(GFlagRecalled)) || (req.ForMember != "" && !m.VisibleTo(req.ForMember)) {
				continue
			}
			if len(page.Messages) == limit {
				return page, nil
			}
			page.Messages = append(page.Messages, m)
		}
		last := batch[len(batch)-1].Seq
		if last <= minSeq || len(batch) < limit*2 {
			page.Finished = true
			break
		}
		maxSeq = last - 1
	}
	return page, nil
}

// GroupImport is one message to import into a group.
type GroupImport struct {
	From   string
	Time   int64
	Random uint32
	Body   json.RawMessage
}

// ImportResult is the outcome of importing one group message.
type ImportResult struct {
	Seq  uint64
	Time int64
	Err  error // Invalid (FieldTime: out of order or range; FieldBody), TooLarge
}

// importTypes are the element types import_group_msg takes.
var importTypes = []string{ElemText, ElemFace, ElemLocation, ElemCustom}

// ImportGroupMessages imports messages in order: each must be after the
// group's creation and its latest message, before now, and later than the
// one before it in the request; bad ones are refused one by one. Every
// member's unread count becomes 0. No callbacks, no live delivery.
// Refusals: NotFound (FieldGroup), Forbidden (AVChatRoom), TooLarge
// (FieldList: more than MaxImportGroupMessages).
func (s *Service) ImportGroupMessages(ctx context.Context, app AppID, group, topic string, msgs []GroupImport) ([]ImportResult, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return nil, err
	}
	g := cg.snapshot()
	if !g.Type.StoresHistory() {
		return nil, Errorf(Forbidden, FieldGroup, "an AVChatRoom keeps no history")
	}
	if err := s.checkTopic(cg, topic); err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, Errorf(Invalid, FieldList, "no messages")
	}
	if len(msgs) > MaxImportGroupMessages {
		return nil, Errorf(TooLarge, FieldList, "%d messages, limit %d", len(msgs), MaxImportGroupMessages)
	}
	out := make([]ImportResult, len(msgs))
	var accepted []*GroupMessage
	var at []int
	latest := max(g.LastMsgTime, g.CreateTime)
	now := s.Now()
	for i, im := range msgs {
		out[i].Time = im.Time
		switch {
		case im.Time <= latest || im.Time >= now:
			out[i].Err = Errorf(Invalid, FieldTime, "send time %d must be after %d and before now", im.Time, latest)
			continue
		case !s.AccountExists(app, im.From):
			out[i].Err = Errorf(Invalid, FieldUser, "sender %q not imported", im.From)
			continue
		}
		if err := validateImportBody(im.Body); err != nil {
			out[i].Err = err
			continue
		}
		latest = im.Time
		accepted = append(accepted, &GroupMessage{App: app, Group: group, Topic: topic, From: im.From, Random: im.Random,
			Time: im.Time, Priority: PriorityNormal, Body: im.Body, Flags: GFlagImported})
		at = append(at, i)
	}
	if len(accepted) == 0 {
		return out, nil
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	stored, err := s.gstore.ImportGroupMessages(ctx, app, group, accepted)
	if err != nil {
		return nil, groupNotFound(err, group)
	}
	cg.mergeCounters(stored)
	for j, m := range accepted {
		out[at[j]].Seq = m.Seq
		if topic != "" {
			cg.touchTopic(topic, m.Seq, m.Time, m.UpdatesConversation())
		}
	}
	cg.mu.Lock()
	for _, mem := range cg.members {
		mem.ReadSeq, mem.ReadCounted = max(mem.ReadSeq, stored.NextSeq-1), stored.Counted
	}
	cg.mu.Unlock()
	return out, nil
}

func validateImportBody(body json.RawMessage) error {
	if err := ValidateBody(body); err != nil {
		return err
	}
	if len(body) > MaxMessageBytes {
		return Errorf(TooLarge, FieldBody, "message is %d bytes", len(body))
	}
	var elems []struct{ MsgType string }
	if err := json.Unmarshal(body, &elems); err != nil {
		return Errorf(Invalid, FieldBody, "body: %v", err)
	}
	for _, e := range elems {
		if !slices.Contains(importTypes, e.MsgType) {
			return Errorf(Invalid, FieldBody, "%s cannot be imported into a group", e.MsgType)
		}
	}
	return nil
}

// ModifyGroupMessage overwrites a group message's body and/or custom data;
// online members are told. Refusals: NotFound (FieldGroup; FieldKey: no
// such message), Unsupported (AVChatRoom), Invalid, TooLarge.
func (s *Service) ModifyGroupMessage(ctx context.Context, app AppID, group, topic string, seq uint64, body json.RawMessage, custom *string) error {
	cg, err := s.group(app, group)
	if err != nil {
		return err
	}
	if !cg.snapshot().Type.StoresHistory() {
		return Errorf(Unsupported, FieldGroup, "AVChatRoom messages are not stored")
	}
	if err := s.checkTopic(cg, topic); err != nil {
		return err
	}
	if body == nil && custom == nil {
		return Errorf(Invalid, FieldBody, "nothing to modify")
	}
	if body != nil {
		if err := ValidateBody(body); err != nil {
			return err
		}
	}
	_, err = s.gstore.UpdateGroupMessage(ctx, app, group, topic, seq, func(m *GroupMessage, _ *Extensions) ([]InboxEvent, error) {
		if body != nil {
			m.Body = body
		}
		if custom != nil {
			m.CloudCustomData = *custom
		}
		if n := len(m.Body) + len(m.CloudCustomData); n > MaxMessageBytes {
			return nil, Errorf(TooLarge, FieldBody, "message would be %d bytes", n)
		}
		m.Flags |= GFlagModified
		return nil, nil
	})
	if err != nil {
		if KindOf(err) == NotFound {
			return Errorf(NotFound, FieldKey, "no message %d", seq)
		}
		return err
	}
	s.live.DeliverGroupChange(GroupChangeEvent{App: app, Group: group, Topic: topic, Kind: GroupMessageModify, Seq: seq})
	return nil
}

// ClearGroupMessages hides messages up to seq (0: all so far) from members;
// admins still read them over REST. Refusals: NotFound (FieldGroup),
// Unsupported (Community).
func (s *Service) ClearGroupMessages(ctx context.Context, app AppID, group string, seq uint64) error {
	cg, err := s.group(app, group)
	if err != nil {
		return err
	}
	if cg.snapshot().Type == GroupCommunity {
		return Errorf(Unsupported, FieldGroup, "a Community's history cannot be cleared")
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	g, err := s.gstore.UpdateGroup(ctx, app, group, func(g *Group) ([]InboxEvent, error) {
		upTo := seq
		if upTo == 0 || upTo >= g.NextSeq {
			upTo = max(g.NextSeq, 1) - 1
		}
		g.ClearedSeq = max(g.ClearedSeq, upTo)
		return nil, nil
	})
	if err != nil {
		return groupNotFound(err, group)
	}
	cg.setGroup(mergeStored(cg.snapshot(), g))
	s.live.DeliverGroupChange(GroupChangeEvent{App: app, Group: group, Kind: GroupMessagesClear, Seq: g.ClearedSeq})
	return nil
}

// DeleteGroupMessagesBySender replaces every message sender sent in the
// group with a placeholder (empty body, "deleted"). NotFound (FieldGroup).
func (s *Service) DeleteGroupMessagesBySender(ctx context.Context, app AppID, group, sender string) (int, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return 0, err
	}
	if !cg.snapshot().Type.StoresHistory() {
		return 0, Errorf(Unsupported, FieldGroup, "an AVChatRoom keeps no history")
	}
	deleted := 0
	for from := uint64(1); ; {
		batch, err := s.gstore.GroupMessages(ctx, GroupMsgQuery{App: app, Group: group, MinSeq: from, MaxSeq: 1<<63 - 1, Limit: 500})
		if err != nil {
			return deleted, err
		}
		for _, m := range batch {
			if m.From != sender || m.Flags.Has(GFlagDeleted) {
				continue
			}
			_, err := s.gstore.UpdateGroupMessage(ctx, app, group, "", m.Seq, func(m *GroupMessage, _ *Extensions) ([]InboxEvent, error) {
				m.Flags |= GFlagDeleted
				m.Body, m.CloudCustomData = []byte("[]"), ""
				return nil, nil
			})
			if err != nil && KindOf(err) != NotFound {
				return deleted, err
			}
			deleted++
			s.live.DeliverGroupChange(GroupChangeEvent{App: app, Group: group, Kind: GroupMessageDeleted, Seq: m.Seq})
		}
		if len(batch) < 500 {
			return deleted, nil
		}
		from = batch[len(batch)-1].Seq + 1
	}
}

// GroupUnread returns user's unread count in the group (0 for types that
// count none).
func (s *Service) GroupUnread(app AppID, group, user string) (int, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return 0, err
	}
	m, ok := cg.member(user)
	if !ok {
		return 0, Errorf(NotFound, FieldUser, "%q is not a member", user)
	}
	return unreadOf(cg.snapshot(), m), nil
}

func unreadOf(g Group, m Member) int {
	if !g.Type.CountsUnread() || g.Counted <= m.ReadCounted {
		return 0
	}
	return int(g.Counted - m.ReadCounted)
}

// SetGroupUnread sets user's unread count of the group to n (at most the
// messages counted so far). NotFound (FieldGroup; FieldUser: not a member).
func (s *Service) SetGroupUnread(ctx context.Context, app AppID, group, user string, n int) error {
	cg, err := s.group(app, group)
	if err != nil {
		return err
	}
	if n < 0 {
		return Errorf(Invalid, "UnreadMsgNum", "unread %d", n)
	}
	g := cg.snapshot()
	if _, ok := cg.member(user); !ok {
		return Errorf(NotFound, FieldUser, "%q is not a member", user)
	}
	read := uint64(0)
	if uint64(n) < g.Counted {
		read = g.Counted - uint64(n)
	}
	payload := mustJSON(GroupRef{Group: group, Unread: int(g.Counted - read)})
	m, err := s.gstore.UpdateMember(ctx, app, group, user, func(m *Member) ([]InboxEvent, error) {
		m.ReadCounted = read
		return []InboxEvent{{User: user, Kind: EventGroupRead, Payload: payload}}, nil
	})
	if err != nil {
		return err
	}
	cg.putMember(m)
	return nil
}

// MarkGroupRead marks the group read by user up to seq (0: everything so
// far); the user's other devices are told. NotFound (FieldGroup, FieldUser).
func (s *Service) MarkGroupRead(ctx context.Context, app AppID, group, user string, seq uint64) (int, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return 0, err
	}
	g := cg.snapshot()
	if _, ok := cg.member(user); !ok {
		return 0, Errorf(NotFound, FieldUser, "%q is not a member", user)
	}
	last := max(g.NextSeq, 1) - 1
	if seq == 0 || seq > last {
		seq = last
	}
	counted := g.Counted
	if seq < last && g.Type.CountsUnread() {
		later, err := s.gstore.GroupMessages(ctx, GroupMsgQuery{App: app, Group: group, MinSeq: seq + 1, MaxSeq: last, Limit: 100000})
		if err != nil {
			return 0, err
		}
		for _, m := range later {
			if m.CountsUnread() && counted > 0 {
				counted--
			}
		}
	}
	var unread int
	m, err := s.gstore.UpdateMember(ctx, app, group, user, func(m *Member) ([]InboxEvent, error) {
		if seq <= m.ReadSeq {
			unread = unreadOf(g, *m)
			return nil, nil
		}
		m.ReadSeq, m.ReadCounted = seq, max(m.ReadCounted, counted)
		unread = unreadOf(g, *m)
		return []InboxEvent{{User: user, Kind: EventGroupRead, Payload: mustJSON(GroupRef{Group: group, ReadSeq: seq, Unread: unread})}}, nil
	})
	if err != nil {
		return 0, err
	}
	cg.putMember(m)
	return unread, nil
}

// GroupMessagesAfter returns what member user may see of the group's
// messages after seq, ascending (device catch-up).
func (s *Service) GroupMessagesAfter(ctx context.Context, app AppID, group, topic, user string, after uint64, limit int) ([]GroupMessage, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return nil, err
	}
	g := cg.snapshot()
	if _, ok := cg.member(user); !ok && g.Type.StoresMembers() {
		return nil, Errorf(Forbidden, FieldUser, "%q is not a member", user)
	}
	if err := s.checkTopic(cg, topic); err != nil {
		return nil, err
	}
	if !g.Type.StoresHistory() {
		return nil, nil
	}
	from := after + 1
	if topic == "" {
		from = max(from, g.ClearedSeq+1)
	}
	msgs, err := s.gstore.GroupMessages(ctx, GroupMsgQuery{App: app, Group: group, Topic: topic, MinSeq: from,
		MaxSeq: 1<<63 - 1, Limit: min(max(limit, 1), MaxSyncBatch)})
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		if !msgs[i].VisibleTo(user) { // a placeholder keeps the seq continuous
			m := &msgs[i]
			*m = GroupMessage{App: m.App, Group: m.Group, Topic: m.Topic, Seq: m.Seq, ID: m.ID, Time: m.Time, Flags: GFlagDeleted}
		}
	}
	return msgs, nil
}

// GroupMemberIDs returns the group's member ids (shared, read-only; for
// AVChatRoom the users in the room), or nil for an unknown group.
func (s *Service) GroupMemberIDs(app AppID, group string) []string {
	cg := s.gcache.get(app, group)
	if cg == nil {
		return nil
	}
	if !cg.snapshot().Type.StoresMembers() {
		cg.mu.RLock()
		defer cg.mu.RUnlock()
		out := make([]string, 0, len(cg.online))
		for u := range cg.online {
			out = append(out, u)
		}
		return out
	}
	return cg.memberIDs()
}

// JoinedGroupIDs returns the ids of the groups user is a member of.
func (s *Service) JoinedGroupIDs(app AppID, user string) []string {
	return s.gcache.joinedBy(app, user)
}

// GroupSnapshot returns the group's current state, or false.
func (s *Service) GroupSnapshot(app AppID, group string) (Group, bool) {
	cg := s.gcache.get(app, group)
	if cg == nil {
		return Group{}, false
	}
	return cg.snapshot(), true
}

// touchTopic moves a topic's counters after a message; updates says the
// message becomes the topic's last (not NoLastMsg).
func (cg *cachedGroup) touchTopic(topic string, seq uint64, t int64, updates bool) {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	if tp := cg.topics[topic]; tp != nil {
		tp.NextSeq = max(tp.NextSeq, seq+1)
		if updates && seq > tp.LastSeq {
			tp.LastSeq, tp.LastTime = seq, t
		}
	}
	cg.g.LastMsgTime = max(cg.g.LastMsgTime, t)
}

// loadGroups fills the group cache from the store at start.
func (s *Service) loadGroups(ctx context.Context) error {
	if s.gstore == nil {
		return nil
	}
	type loaded struct {
		g       Group
		members []Member
	}
	var all []loaded
	err := s.gstore.ScanGroups(ctx, func(g Group, members []Member) error {
		all = append(all, loaded{g, members})
		return nil
	})
	if err != nil {
		return err
	}
	for _, l := range all {
		var topics []Topic
		if l.g.SupportTopic {
			if topics, err = s.gstore.Topics(ctx, l.g.App, l.g.ID); err != nil {
				return err
			}
		}
		s.gcache.put(l.g, l.members, topics)
	}
	return nil
}
