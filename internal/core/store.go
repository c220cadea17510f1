package core

import (
	"context"
	"errors"
)

// ErrClosed is returned by a store after Close.
var ErrClosed = errors.New("store closed")

// Store is everything core persists. Implementations live under
// internal/store, are safe for concurrent use, and pass storetest.Run.
//
// Where a write has effects that core's rules define (conversation updates,
// inbox events), the store asks core for them (C2CMessage.ConvUpdates,
// C2CMessage.InboxEvents, the callbacks of UpdateC2C) and applies them in the
// same transaction as the write: all of it is durable, or none of it.
type Store interface {
	AccountStore
	C2CStore
	ConversationStore
	InboxStore
	GroupStore
	// Close flushes pending writes and releases the store. Calls after
	// Close return ErrClosed.
	Close() error
}

// AccountStore persists imported accounts.
type AccountStore interface {
	// PutAccounts creates each account or, when it already exists (live or
	// deleted), revives it and overwrites Nick and FaceURL where the new
	// value is not empty. Created is kept from the first import. All or none
	// are stored.
	PutAccounts(ctx context.Context, accts []Account) error

	// DeleteAccounts deletes the accounts and the conversations they own,
	// and reports for each id whether it was live before. Deleting an
	// unknown account is not an error. Messages stay until retention.
	DeleteAccounts(ctx context.Context, app AppID, ids []string) (existed []bool, err error)

	// ScanAccounts calls fn with every live account of every app, in no
	// particular order, stopping at the first error fn returns.
	ScanAccounts(ctx context.Context, fn func(Account) error) error

	// SetKickedAt records that UserSigs of the live account generated
	// before t are no longer accepted, and adds events to its inbox. It
	// reports false (adding nothing) for an unknown account.
	SetKickedAt(ctx context.Context, app AppID, id string, t int64, events []InboxEvent) (bool, error)
}

// C2CQuery selects a page of one conversation's history as one side sees it.
type C2CQuery struct {
	App     AppID
	Owner   string // the side whose history is read
	Peer    string
	MinTime int64 // inclusive, Unix seconds
	MaxTime int64 // inclusive, Unix seconds
	// AfterID keeps only messages with a greater ID (the owner's cleared history).
	AfterID int64
	// Before, when set, keeps only messages strictly before it in history order.
	Before *HistoryCursor
	Limit  int
}

// C2CStore persists single-chat messages.
type C2CStore interface {
	// AppendC2C stores msgs in one transaction, in order, and sets each new
	// message's ID. With each new message it applies m.ConvUpdates() and
	// adds m.InboxEvents() (with MsgID set), in the same transaction.
	//
	// A message equal to one already stored under its de-dup rule is not
	// stored again (and has no effects); instead dup[i] is true and
	// msgs[i].ID is set to the stored message's ID. The rules: for
	// OriginImport, same conversation in either direction with the same Seq,
	// Random and Time; for every other origin, the same From, To, Seq,
	// Random and Time. Duplicates inside msgs follow the same rules. On error
	// nothing was stored.
	AppendC2C(ctx context.Context, msgs []*C2CMessage) (dup []bool, err error)

	// C2CHistory returns up to q.Limit messages of the conversation between
	// q.Owner and q.Peer that q.Owner's history shows (VisibleTo), with Time
	// in [q.MinTime, q.MaxTime], ID above q.AfterID and before q.Before,
	// newest first.
	C2CHistory(ctx context.Context, q C2CQuery) ([]C2CMessage, error)

	// FindC2C returns the messages of the conversation between a and b
	// (either direction) whose MsgKey is key, in history order; usually one.
	FindC2C(ctx context.Context, app AppID, a, b string, key MsgKey) ([]C2CMessage, error)

	// C2CByID returns the messages with the given IDs that exist, in no
	// particular order.
	C2CByID(ctx context.Context, app AppID, ids []int64) ([]C2CMessage, error)

	// UpdateC2C changes a stored message in one transaction: it finds the
	// message sent by from to to with key (the first in history order if
	// several), calls fn with a copy, and stores what fn may change — Flags,
	// Body and CloudCustomData — plus the inbox events fn returns (MsgID
	// defaults to the message's). When m.CountsUnread() changes, the
	// receiver's unread count follows, as far as the message is newer than
	// the read time and above the unread floor. An error from fn aborts
	// the change and is returned as is. No such message: an *Error of kind
	// NotFound. It returns the message as stored.
	UpdateC2C(ctx context.Context, app AppID, from, to string, key MsgKey,
		fn func(m *C2CMessage) ([]InboxEvent, error)) (C2CMessage, error)

	// UpdateC2CExtensions is UpdateC2C for a message's key-value
	// extensions: fn also gets the stored extensions to change in place,
	// and the store saves what changed.
	UpdateC2CExtensions(ctx context.Context, app AppID, from, to string, key MsgKey,
		fn func(m *C2CMessage, ext *Extensions) ([]InboxEvent, error)) (C2CMessage, error)

	// C2CExtensions returns a message's extensions (empty if it has none).
	C2CExtensions(ctx context.Context, app AppID, msgID int64) (Extensions, error)

	// PurgeC2C deletes app's messages with Time before before, takes the
	// unread ones out of their receivers' unread counts, and reports how
	// many it deleted.
	PurgeC2C(ctx context.Context, app AppID, before int64) (int64, error)
}

// ConvListQuery selects a stretch of one owner's C2C conversation list
// (ConversationStore.ListConversations).
type ConvListQuery struct {
	App   AppID
	Owner string
	Pins  PinFilter
	// WithEmpty also selects conversations without a last message.
	WithEmpty bool
	// MaxTime keeps conversations with LastTime up to it (inclusive).
	MaxTime int64
	// Skip leaves out the first Skip selected conversations whose
	// LastTime is MaxTime (all of them, when there are fewer).
	Skip  int
	Limit int
}

// PinFilter selects conversations by whether they are pinned.
type PinFilter uint8

const (
	PinnedOrNot  PinFilter = iota // every conversation
	PinnedOnly                    // pinned ones
	UnpinnedOnly                  // the others
)

// Keeps reports whether a conversation pinned or not passes f.
func (f PinFilter) Keeps(pinned bool) bool {
	return f == PinnedOrNot || pinned == (f == PinnedOnly)
}

// ConversationStore persists each user's conversation list and read state.
type ConversationStore interface {
	// Conversation returns owner's conversation of type typ with peer.
	Conversation(ctx context.Context, app AppID, owner string, typ ConvType, peer string) (Conversation, bool, error)

	// Conversations returns every conversation owner has (listed, empty and
	// hidden), in no particular order.
	Conversations(ctx context.Context, app AppID, owner string) ([]Conversation, error)

	// ConversationsOfType is Conversations restricted to type typ.
	ConversationsOfType(ctx context.Context, app AppID, owner string, typ ConvType) ([]Conversation, error)

	// ListConversations returns up to q.Limit of q.Owner's C2C
	// conversations in list order (newest LastTime first, then by Peer):
	// those not hidden, with a last message (any, with q.WithEmpty),
	// pinned or not as q.Pins says, and with LastTime up to q.MaxTime,
	// leaving out the first q.Skip of them whose LastTime is q.MaxTime.
	ListConversations(ctx context.Context, q ConvListQuery) ([]Conversation, error)

	// C2CUnreadTotal returns the sum of Unread over all of owner's C2C
	// conversations (hidden and empty ones too); 0 when there are none.
	C2CUnreadTotal(ctx context.Context, app AppID, owner string) (int, error)

	// MarkC2CRead moves owner's read time with peer to t if later, recounts
	// the unread messages (counting ones newer than the read time and above
	// the unread floor), adds events, and returns the conversation, which
	// it creates (empty) when there is none.
	MarkC2CRead(ctx context.Context, app AppID, owner, peer string, t int64, events []InboxEvent) (Conversation, error)

	// DeleteConversation hides the conversation and sets its unread count
	// to 0 and its unread floor to its last message (for a group
	// conversation: the group's LastSeq); with clearHistory it also hides
	// every C2C message stored so far from owner's history (ClearedID). It adds events and reports whether the conversation existed.
	DeleteConversation(ctx context.Context, app AppID, owner string, typ ConvType, peer string,
		clearHistory bool, events []InboxEvent) (bool, error)

	// SetConversationPinned pins (at time at) or unpins the conversation,
	// creating it (empty) when there is none, and adds events.
	SetConversationPinned(ctx context.Context, app AppID, owner string, typ ConvType, peer string,
		pinned bool, at int64, events []InboxEvent) error
}

// InboxStore reads users' inboxes (writes happen with the changes they report).
type InboxStore interface {
	// InboxAfter returns up to limit entries of user's inbox numbered above
	// after, ascending. A user with no entries, known or not, gets none.
	InboxAfter(ctx context.Context, app AppID, user string, after uint64, limit int) ([]InboxEntry, error)

	// InboxHead returns the number of user's newest inbox entry (0 if none).
	InboxHead(ctx context.Context, app AppID, user string) (uint64, error)

	// AddInbox adds events that come with no other write (a kick, an
	// online-only notice never does: those are not stored).
	AddInbox(ctx context.Context, app AppID, events []InboxEvent) ([]InboxEntry, error)

	// PurgeInbox deletes app's inbox entries stored before before.
	PurgeInbox(ctx context.Context, app AppID, before int64) (int64, error)
}

// Extension is one key-value pair attached to a message.
type Extension struct {
	Key   string
	Value string
	Seq   uint64 // the message's extension Seq when the pair last changed
}

// Extensions are a message's key-value pairs and their sequence numbers.
type Extensions struct {
	// LatestSeq is the Seq of the last change; every set, delete or clear
	// takes the next one.
	LatestSeq uint64
	// ClearSeq is the Seq of the last clear: devices drop pairs with a Seq
	// up to it.
	ClearSeq uint64
	Items    map[string]Extension
}
