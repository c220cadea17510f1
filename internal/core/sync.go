package core

import "context"

// LiveDelivery delivers what is never stored: online-only messages reach the
// devices online right now, or nobody; so do AVChatRoom messages and changes
// of a group's members. The gateway implements it. Its methods must not block.
type LiveDelivery interface {
	// DeliverOnlineOnly offers m to the online devices of users.
	DeliverOnlineOnly(m *C2CMessage, users []string)
	// DeliverGroupOnline offers an unstored group message (online-only, or
	// any AVChatRoom message) to the group's online members.
	DeliverGroupOnline(m *GroupMessage)
	// DeliverGroupChange tells the group's online members of a change.
	DeliverGroupChange(ev GroupChangeEvent)
}

type noLiveDelivery struct{}

func (noLiveDelivery) DeliverOnlineOnly(*C2CMessage, []string) {}
func (noLiveDelivery) DeliverGroupOnline(*GroupMessage)        {}
func (noLiveDelivery) DeliverGroupChange(GroupChangeEvent)     {}

// GroupChangeKind says what changed in a group.
type GroupChangeKind string

const (
	GroupMembersAdded   GroupChangeKind = "members_added"
	GroupMembersRemoved GroupChangeKind = "members_removed"
	GroupMembersMuted   GroupChangeKind = "members_muted" // Until: 0 unmuted
	GroupInfoChanged    GroupChangeKind = "info_changed"
	GroupDestroyed      GroupChangeKind = "destroyed"
	GroupMessagesClear  GroupChangeKind = "messages_cleared"  // Seq: cleared up to
	GroupMessageRecall  GroupChangeKind = "message_recalled"  // Seq (Topic)
	GroupMessageModify  GroupChangeKind = "message_modified"  // Seq (Topic)
	GroupMessageExt     GroupChangeKind = "message_extension" // Seq (Topic)
	GroupMessageDeleted GroupChangeKind = "message_deleted"   // Seq (Topic)
)

// GroupChangeEvent is a change of a group that its online members see live.
type GroupChangeEvent struct {
	App   AppID
	Group string
	Kind  GroupChangeKind
	Topic string
	Users []string
	Until int64
	Seq   uint64
}

// SetLiveDelivery installs the gateway's live delivery. Call it before serving.
func (s *Service) SetLiveDelivery(l LiveDelivery) { s.live = l }

// onlineOnlyReceivers returns who an online-only message m reaches: the
// receiver unless it is kept from them, and the sender's other devices when
// it syncs to them.
func onlineOnlyReceivers(m *C2CMessage) []string {
	var users []string
	if m.Flags&FlagReceiverHistory != 0 {
		users = append(users, m.To)
	}
	if m.Flags&FlagSyncSender != 0 && m.From != m.To {
		users = append(users, m.From)
	}
	return users
}

// MaxSyncBatch bounds one Sync call.
const MaxSyncBatch = 500

// Sync returns up to limit entries of user's inbox numbered above after,
// ascending, with the message of each message event attached (Message). An
// entry whose message is gone (purged) or whose offline lifetime
// (MsgLifeTime) ended keeps its number but has no message: devices skip it.
func (s *Service) Sync(ctx context.Context, app AppID, user string, after uint64, limit int) ([]InboxEntry, error) {
	if _, err := s.app(app); err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), MaxSyncBatch)
	entries, err := s.store.InboxAfter(ctx, app, user, after, limit)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, e := range entries {
		if e.MsgID != 0 {
			ids = append(ids, e.MsgID)
		}
	}
	if len(ids) == 0 {
		return entries, nil
	}
	msgs, err := s.store.C2CByID(ctx, app, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*C2CMessage, len(msgs))
	for i := range msgs {
		byID[msgs[i].ID] = &msgs[i]
	}
	now := s.Now()
	for i := range entries {
		e := &entries[i]
		m := byID[e.MsgID]
		if m == nil {
			continue
		}
		if e.Kind == EventC2C && m.OfflineUntil < now {
			continue // the message's offline lifetime ended: not pushed any more
		}
		e.Message = m
	}
	return entries, nil
}

// InboxHead returns user's newest sync number.
func (s *Service) InboxHead(ctx context.Context, app AppID, user string) (uint64, error) {
	if _, err := s.app(app); err != nil {
		return 0, err
	}
	return s.store.InboxHead(ctx, app, user)
}
