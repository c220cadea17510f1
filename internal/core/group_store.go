package core

import "context"

// GroupStore persists groups, members, group messages and topics. Core keeps
// groups and members in memory (they are on every send's path) and merges
// what the store returns; the store is the source of truth.
type GroupStore interface {
	// CreateGroup stores g and its members in one transaction, with
	// g.NextSeq = 1 and g.MemberCount = len(members), and adds events. An
	// ID already used by a live group is an *Error of kind Duplicate.
	CreateGroup(ctx context.Context, g *Group, members []Member, events []InboxEvent) error

	// ScanGroups calls fn with every live group and its members (AVChatRoom
	// groups have none stored), stopping at fn's first error.
	ScanGroups(ctx context.Context, fn func(g Group, members []Member) error) error

	// UpdateGroup changes a live group in one transaction: fn gets a copy
	// and may change its info fields (Name, Introduction, Notification,
	// FaceURL, Owner, MaxMembers, ApplyJoinOption, InviteJoinOption,
	// MuteAll, AppDefined, InfoSeq, LastInfoTime, ClearedSeq, Mutes); the store
	// saves them and the events fn returns. It returns the group as stored.
	// No live group: NotFound. fn's error aborts and is returned as is.
	UpdateGroup(ctx context.Context, app AppID, id string, fn func(g *Group) ([]InboxEvent, error)) (Group, error)

	// DestroyGroup deletes the group, its members, messages, topics and
	// the conversations that name it, and adds events. No live group:
	// NotFound.
	DestroyGroup(ctx context.Context, app AppID, id string, events []InboxEvent) error

	// PutMembers adds members to a live group in one transaction and
	// reports which were new (an existing member is left unchanged). The
	// group's MemberCount follows. It returns the group as stored.
	PutMembers(ctx context.Context, app AppID, group string, members []Member, events []InboxEvent) ([]bool, Group, error)

	// RemoveMembers removes users from a live group, reporting which were
	// members, and deletes their conversations of the group.
	RemoveMembers(ctx context.Context, app AppID, group string, users []string, events []InboxEvent) ([]bool, Group, error)

	// UpdateMember changes one member in one transaction: fn gets a copy
	// and may change Role, ReadSeq, ReadCounted, MsgFlag, MuteUntil,
	// NameCard, AppDefined, AtMeSeq, LastSendMsgTime. Not a member: NotFound.
	UpdateMember(ctx context.Context, app AppID, group, user string, fn func(m *Member) ([]InboxEvent, error)) (Member, error)

	// UpdateMembers is UpdateMember for many members of one group in one
	// transaction; members fn leaves unchanged (returns false) are not
	// written. Users that are not members are skipped.
	UpdateMembers(ctx context.Context, app AppID, group string, users []string, fn func(m *Member) bool, events []InboxEvent) ([]Member, error)

	// AppendGroupMessage stores a.Msg in one transaction: it takes the
	// group's (or, with a topic, the topic's) next seq into a.Msg.Seq, sets
	// a.Msg.ID, and moves the group's (topic's) counters: NextSeq, LastMsgTime;
	// LastSeq and LastTime when a.UpdatesConversation; Counted when a.Counts;
	// AtAllSeq when the message has GFlagAtAll; the AtMeSeq of each member
	// in a.Msg.AtUsers; the sender's LastSendMsgTime and (outside topics)
	// ReadSeq and ReadCounted, so that nobody's own messages count as
	// unread. A topic message moves only the topic's counters and the
	// group's LastMsgTime. It adds a.Events (an event without MsgID gets the
	// message's ID), hands the message to the commit feed, and returns the
	// group as stored.
	// No live group (or topic): NotFound.
	AppendGroupMessage(ctx context.Context, a *GroupAppend) (Group, error)

	// ImportGroupMessages stores imported messages in order in one
	// transaction (each taking the next seq), resets every member's unread
	// to 0 (ReadCounted = Counted), and returns the group as stored.
	ImportGroupMessages(ctx context.Context, app AppID, group string, msgs []*GroupMessage) (Group, error)

	// GroupMessages returns messages of a group (or topic) by seq: those
	// with MinSeq <= seq <= MaxSeq, ascending, or descending when Desc,
	// at most Limit.
	GroupMessages(ctx context.Context, q GroupMsgQuery) ([]GroupMessage, error)

	// UpdateGroupMessage changes a stored message: fn gets a copy and may
	// change Flags, Body and CloudCustomData, and returns events. No such
	// message: NotFound. fn's error aborts and is returned as is.
	UpdateGroupMessage(ctx context.Context, app AppID, group, topic string, seq uint64,
		fn func(m *GroupMessage, ext *Extensions) ([]InboxEvent, error)) (GroupMessage, error)

	// GroupMessageExtensions returns a group message's extensions.
	GroupMessageExtensions(ctx context.Context, app AppID, msgID int64) (Extensions, error)

	// AddGroupReceipts records that user read the messages with seqs (those
	// that exist and want receipts), and returns which were newly recorded.
	AddGroupReceipts(ctx context.Context, app AppID, group string, user string, seqs []uint64) ([]bool, error)

	// GroupReceipts returns the users who sent a receipt for a message.
	GroupReceipts(ctx context.Context, app AppID, group string, seq uint64) ([]string, error)

	// CreateTopic stores a topic of a live Community; a taken ID is Duplicate.
	CreateTopic(ctx context.Context, t *Topic) error
	// DestroyTopic deletes a topic and its messages; none: NotFound.
	DestroyTopic(ctx context.Context, app AppID, group, topic string) error
	// Topics returns a group's topics.
	Topics(ctx context.Context, app AppID, group string) ([]Topic, error)

	// PurgeGroupMessages deletes app's group and topic messages stored
	// before before (retention) with their extensions and receipts, and
	// reports how many it deleted. In each group and topic it deletes the
	// oldest messages by seq up to the first one at or after before, so
	// the seqs kept stay a contiguous range (a message imported with an
	// older time goes once those before it went). Counters, seqs and
	// members' read state are not changed.
	PurgeGroupMessages(ctx context.Context, app AppID, before int64) (int64, error)
}

// GroupAppend is a group message to store with what it changes.
type GroupAppend struct {
	Msg *GroupMessage
	// Counts: the message counts as unread for members.
	Counts bool
	// UpdatesConversation: the message becomes the conversations' last.
	UpdatesConversation bool
	Events              []InboxEvent
}

// GroupMsgQuery selects messages of one group or topic by seq.
type GroupMsgQuery struct {
	App    AppID
	Group  string
	Topic  string
	MinSeq uint64
	MaxSeq uint64
	Limit  int
	Desc   bool
}
