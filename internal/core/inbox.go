package core

// EventKind says what an inbox entry tells a user's devices.
type EventKind uint8

const (
	// EventC2C: a C2C message to or from the user (MsgID names it).
	EventC2C EventKind = iota + 1
	// EventC2CRecall: a C2C message was recalled (MsgID).
	EventC2CRecall
	// EventC2CModify: a C2C message's body or custom data changed (MsgID).
	EventC2CModify
	// EventC2CExtension: a C2C message's extensions changed (MsgID).
	EventC2CExtension
	// EventC2CDelete: the user deleted C2C messages from their history (MsgID).
	EventC2CDelete
	// EventReadReport: the user read a conversation up to a time; their
	// other devices update its unread count (Payload: ReadReport).
	EventReadReport
	// EventPeerRead: the peer read the user's messages up to a time
	// (Payload: ReadReport), or sent a receipt for one (MsgID).
	EventPeerRead
	// EventConversationDeleted: the user deleted a conversation (Payload).
	EventConversationDeleted
	// EventConversationPinned: the user pinned or unpinned a conversation (Payload).
	EventConversationPinned
	// EventKick: the user was kicked; their devices log out.
	EventKick
	// EventGroupJoined: the user became a member of a group (Payload: GroupRef).
	EventGroupJoined
	// EventGroupLeft: the user stopped being a member (removed, or the group
	// was destroyed) (Payload: GroupRef).
	EventGroupLeft
	// EventGroupMuted: the user was muted or unmuted in a group (Payload: GroupRef).
	EventGroupMuted
	// EventGroupRead: the user's read position or unread count of a group
	// changed (Payload: GroupRef).
	EventGroupRead
)

var eventNames = [...]string{
	EventC2C:                 "c2c",
	EventC2CRecall:           "c2c.recall",
	EventC2CModify:           "c2c.modify",
	EventC2CExtension:        "c2c.extension",
	EventC2CDelete:           "c2c.delete",
	EventReadReport:          "read",
	EventPeerRead:            "peer_read",
	EventConversationDeleted: "conversation.delete",
	EventConversationPinned:  "conversation.pin",
	EventKick:                "kick",
	EventGroupJoined:         "group.join",
	EventGroupLeft:           "group.leave",
	EventGroupMuted:          "group.mute",
	EventGroupRead:           "group.read",
}

func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return "event"
}

// InboxEvent is an event to add to one user's inbox. The store numbers it.
type InboxEvent struct {
	User  string
	Kind  EventKind
	MsgID int64 // the message concerned, if any
	// Payload is kind-specific JSON (small); nil for message events.
	Payload []byte
}

// InboxEntry is a numbered event in a user's inbox.
type InboxEntry struct {
	App  AppID
	User string
	// Seq is the entry's number in the user's sync sequence: 1, 2, 3 …
	// without gaps, in commit order.
	Seq     uint64
	Kind    EventKind
	MsgID   int64
	Payload []byte
	Time    int64 // Unix seconds the event was stored

	// Message and Conv are not stored: a store fills them in the entries
	// it hands to its CommitFeed, so that live delivery needs no read.
	// Message is the message a message event concerns, as stored after the
	// change; Conv is the user's conversation after the change, when the
	// event changed one.
	Message *C2CMessage
	Conv    *Conversation
}

// Commit is what one store commit reports to its feed: the inbox entries
// it added and the group messages it stored.
type Commit struct {
	Inbox []InboxEntry
	// Group holds stored group messages with their seqs, in commit order
	// (so each group's or topic's messages arrive with ascending Seq).
	Group []GroupMessage
}

// CommitFeed is implemented by stores that report what they commit: fn gets
// every commit that added inbox entries or group messages, after the
// commit, in commit order, from one goroutine at a time. fn must not block
// for long: it hands the commit on. Set it before the store takes writes.
type CommitFeed interface {
	SetCommitFeed(fn func(Commit))
}

// FeedInterest is implemented by stores that can leave out of a commit's
// entries what costs them extra to read (Conv) for users nobody listens to.
// wants must be cheap and safe to call from the store's writer.
type FeedInterest interface {
	SetFeedInterest(wants func(app AppID, user string) bool)
}

// InboxEvents returns the inbox entries storing m adds: the receiver's
// devices get every message that reaches their history except history
// imports; the sender's other devices get it when it syncs to them.
func (m *C2CMessage) InboxEvents() []InboxEvent {
	var out []InboxEvent
	if m.Flags&FlagReceiverHistory != 0 && m.Flags&FlagImported == 0 {
		out = append(out, InboxEvent{User: m.To, Kind: EventC2C})
	}
	if m.Flags&FlagSyncSender != 0 && m.From != m.To && m.Flags&FlagImported == 0 {
		out = append(out, InboxEvent{User: m.From, Kind: EventC2C})
	}
	return out
}

// sidesSeeing returns the users whose history shows m, for events about a
// change to m.
func (m *C2CMessage) sidesSeeing() []string {
	var out []string
	if m.VisibleTo(m.From) {
		out = append(out, m.From)
	}
	if m.To != m.From && m.VisibleTo(m.To) {
		out = append(out, m.To)
	}
	return out
}

// GroupRef is the payload of a user's group events.
type GroupRef struct {
	Group     string `json:"GroupId"`
	Reason    string `json:"Reason,omitempty"` // leave: "removed", "destroyed", "quit"
	MuteUntil int64  `json:"MuteUntil,omitempty"`
	ReadSeq   uint64 `json:"ReadSeq,omitempty"`
	Unread    int    `json:"Unread,omitempty"`
}
