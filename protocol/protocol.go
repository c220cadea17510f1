// Package protocol defines Parley's WebSocket protocol: the frames devices
// and the server exchange on GET /v1/ws, their operations, event kinds and
// close codes. docs/protocol.md describes it in prose; the server
// (internal/gateway) and the public Go client (package client) share these
// types, so the two cannot drift apart.
//
// Every frame is one JSON object in one WebSocket text message. A device's
// request carries an "id" of its choosing and an "op"; the server's answer
// carries the same id and op "ok", "pong" or "error". The server also
// pushes frames of op "event" (numbered by the user's sync sequence; a kick
// is an event of kind "kick"), "synced" and "bye".
package protocol

import "encoding/json"

// Path is where the server accepts WebSocket connections.
const Path = "/v1/ws"

// Client operations (a device's requests).
const (
	OpLogin         = "login"         // must be the first frame
	OpPing          = "ping"          // answered with "pong"
	OpSend          = "send"          // send a C2C message as the logged-in user
	OpSync          = "sync"          // events after a sync number
	OpRead          = "read"          // mark a conversation read
	OpHistory       = "history"       // a page of a conversation's history
	OpConversations = "conversations" // a page of the conversation list
	OpUnread        = "unread"        // unread counts
	OpPin           = "pin"           // pin or unpin a conversation
	OpDeleteConv    = "delete_conversation"
	OpReceipt       = "receipt"       // read receipts for messages
	OpExtension     = "extension"     // set, delete or clear message extensions
	OpGroups        = "groups"        // the groups the user is in, with their newest seqs
	OpGroupSync     = "group_sync"    // a group's messages after a seq
	OpGroupSend     = "group_send"    // send a group message
	OpGroupRead     = "group_read"    // mark a group read up to a seq
	OpGroupHistory  = "group_history" // a page of a group's history, newest first
	OpGroupJoin     = "group_join"    // join a group that lets anyone in (or enter an AVChatRoom)
	OpGroupQuit     = "group_quit"    // leave a group (or an AVChatRoom)
)

// Server operations.
const (
	OpOK     = "ok"     // a request succeeded; the answer's fields depend on the request
	OpError  = "error"  // a request (or the login) failed: Code and Message say why
	OpPong   = "pong"   // the answer to "ping"
	OpEvent  = "event"  // something the user's devices must see (Event)
	OpSynced = "synced" // the catch-up after login is complete
	OpBye    = "bye"    // the server is about to close the connection (Code, Message)
)

// Event kinds.
const (
	KindC2C          = "c2c"                 // a C2C message to or from the user
	KindC2CRecall    = "c2c.recall"          // a C2C message was recalled
	KindC2CModify    = "c2c.modify"          // a C2C message's content changed
	KindC2CExtension = "c2c.extension"       // a C2C message's extensions changed
	KindC2CDelete    = "c2c.delete"          // the user deleted C2C messages from their history
	KindRead         = "read"                // the user read a conversation (on some device)
	KindPeerRead     = "peer_read"           // the peer read the user's messages
	KindConvDelete   = "conversation.delete" // the user deleted a conversation
	KindConvPin      = "conversation.pin"    // the user pinned or unpinned a conversation
	KindKick         = "kick"                // the user was kicked: the connection closes
	KindExpired      = "expired"             // a sync number whose message expired (MsgLifeTime)
	KindGroupJoined  = "group.join"          // the user became a member of a group (Group)
	KindGroupLeft    = "group.leave"         // the user left a group: removed, quit or destroyed (Group)
	KindGroupMuted   = "group.mute"          // the user was muted or unmuted in a group (Group, MuteUntil)
	KindGroupRead    = "group.read"          // the user's read position of a group moved (Group, Unread)
	// Group events go to every online member and carry no sync number:
	// a group message carries its group (topic) seq in GroupMsg.Seq.
	KindGroupMessage = "group"        // a group message (GroupMsg)
	KindGroupChange  = "group.change" // members, mutes or messages of a group changed (GroupChange)
)

// Close codes, besides the standard 1000 (normal), 1001 (going away: the
// server is shutting down; reconnect and sync), 1009 (a frame over the size
// limit) and 1011 (the server failed).
const (
	CloseBadRequest   = 4000 // a malformed frame or a first frame that is not "login"
	CloseUnauthorized = 4001 // UserSig missing, malformed, expired or wrong
	CloseNotImported  = 4004 // the account does not exist
	CloseKicked       = 4003 // kicked: old UserSigs no longer work
	CloseSlow         = 4008 // the device fell too far behind; reconnect and sync
	CloseIdle         = 4009 // no frame for too long
	CloseLoginTimeout = 4010 // no login frame in time
)

// Platforms a device may log in as.
var Platforms = []string{"iPhone", "Android", "Web", "PC", "iPad", "Mac"}

// Frame is the envelope of every frame: op and id, plus the operation's
// fields. Decoding reads Op and ID first, then the whole frame into the
// operation's type.
type Frame struct {
	ID int64  `json:"id,omitempty"`
	Op string `json:"op"`
}

// Login is the first frame of a connection.
type Login struct {
	Frame
	SDKAppID uint64 `json:"sdkappid"`
	User     string `json:"user"`
	UserSig  string `json:"usersig"`
	Platform string `json:"platform"`
	Device   string `json:"device,omitempty"`
	// SyncFrom, when set, asks for every event after this sync number
	// before live events: what a reconnecting device last saw.
	SyncFrom *uint64 `json:"sync_from,omitempty"`
	// PushToken registers the device for offline push: after it goes away
	// the user shows as PushOnline.
	PushToken string `json:"push_token,omitempty"`
}

// LoginOK answers a successful login.
type LoginOK struct {
	Frame
	// Head is the user's newest sync number at login.
	Head       uint64 `json:"head"`
	ServerTime int64  `json:"server_time"`
	Session    string `json:"session"`
}

// Error answers a failed request, or a failed login before the close.
type Error struct {
	Frame
	// Code says what kind of refusal it is (the Code* constants).
	Code    int    `json:"code"`
	Message string `json:"message"`
	// Field names the offending request field, when one is to blame.
	Field string `json:"field,omitempty"`
}

// Error codes, modelled on HTTP status codes.
const (
	CodeInvalid      = 400 // the request breaks a rule (a field is missing or wrong)
	CodeUnauthorized = 401 // login refused: bad, expired or kicked UserSig
	CodeForbidden    = 403 // not allowed for this user (or muted)
	CodeNotFound     = 404 // an account, message or conversation does not exist
	CodeConflict     = 409 // a stale extension Seq
	CodeDuplicate    = 410 // already done (e.g. already recalled)
	CodeTooLarge     = 413 // a body or list over its limit
	CodeUnsupported  = 422 // the target does not support it (e.g. no extensions)
	CodeRateLimited  = 429 // too many requests
	CodeRejected     = 451 // refused by the app's callback
	CodeInternal     = 500 // the server failed; retry
)

// Send sends a C2C message as the logged-in user.
type Send struct {
	Frame
	To              string          `json:"to"`
	Seq             *uint32         `json:"seq,omitempty"` // random when absent
	Random          uint32          `json:"random"`
	Body            json.RawMessage `json:"body"` // MsgBody: Tencent's element array
	CloudCustomData string          `json:"cloud_custom_data,omitempty"`
	OfflinePush     json.RawMessage `json:"offline_push,omitempty"` // OfflinePushInfo
	OnlineOnly      bool            `json:"online_only,omitempty"`
	NoUnread        bool            `json:"no_unread,omitempty"`
	NoLastMsg       bool            `json:"no_last_msg,omitempty"`
	NeedReadReceipt bool            `json:"need_read_receipt,omitempty"`
	// SupportExtension allows key-value extensions on the message.
	SupportExtension bool `json:"support_extension,omitempty"`
}

// Sent answers a Send.
type Sent struct {
	Frame
	MsgKey  string `json:"msg_key"`
	MsgTime int64  `json:"msg_time"`
}

// Sync asks for the events after a sync number.
type Sync struct {
	Frame
	After uint64 `json:"after"`
}

// SyncOK answers a Sync: the events after Sync.After, ascending.
type SyncOK struct {
	Frame
	Events []Event `json:"events"`
	Head   uint64  `json:"head"`
	More   bool    `json:"more"`
}

// Synced ends a catch-up: every event up to Head was sent.
type Synced struct {
	Frame
	Head uint64 `json:"head"`
}

// Message is a C2C message as devices see it.
type Message struct {
	From            string          `json:"from"`
	To              string          `json:"to"`
	Seq             uint32          `json:"msg_seq"`
	Random          uint32          `json:"random"`
	Time            int64           `json:"time"`
	Key             string          `json:"key"`
	Body            json.RawMessage `json:"body,omitempty"` // absent once recalled
	CloudCustomData string          `json:"cloud_custom_data,omitempty"`
	Recalled        bool            `json:"recalled,omitempty"`
	Modified        bool            `json:"modified,omitempty"`
	PeerRead        bool            `json:"peer_read,omitempty"`
	OnlineOnly      bool            `json:"online_only,omitempty"`
	NeedReadReceipt bool            `json:"need_read_receipt,omitempty"`
	SupportExt      bool            `json:"support_extension,omitempty"`
	NoUnread        bool            `json:"no_unread,omitempty"`
}

// Conversation is an entry of the conversation list.
type Conversation struct {
	Type     int    `json:"type"` // 1 C2C, 2 group
	Peer     string `json:"peer"`
	LastTime int64  `json:"last_time"`
	Unread   int    `json:"unread"`
	ReadTime int64  `json:"read_time,omitempty"`
	Pinned   bool   `json:"pinned,omitempty"`
	AtMe     bool   `json:"at_me,omitempty"`
	AtAll    bool   `json:"at_all,omitempty"`
}

// Event is something the user's devices must see. Seq is its number in the
// user's sync sequence (1, 2, 3 … per user); 0 for online-only messages,
// which are never stored or synced.
type Event struct {
	Frame
	Seq  uint64 `json:"seq"`
	Kind string `json:"kind"`
	Time int64  `json:"time"` // when the event happened (Unix seconds)
	// Message is set for message events.
	Message *Message `json:"msg,omitempty"`
	// Conversation is the user's conversation after the event, when the
	// event changed it (new message, read, recall, delete, pin).
	Conversation *Conversation `json:"conversation,omitempty"`
	// Peer and ReadTime are set for read and peer_read events.
	Peer     string `json:"peer,omitempty"`
	ReadTime int64  `json:"read_time,omitempty"`
	// ConvType and ClearHistory describe conversation events.
	ConvType     int   `json:"conv_type,omitempty"`
	ClearHistory bool  `json:"clear_history,omitempty"`
	Pinned       *bool `json:"pinned,omitempty"`
	// Group names the group of group.* user events; GroupMsg and
	// GroupChange carry group events.
	Group       string        `json:"group,omitempty"`
	GroupMsg    *GroupMessage `json:"group_msg,omitempty"`
	GroupChange *GroupChange  `json:"group_change,omitempty"`
	Unread      *int          `json:"unread,omitempty"`
	MuteUntil   int64         `json:"mute_until,omitempty"`
	// Reason says why the user left a group: removed, quit or destroyed.
	Reason string `json:"reason,omitempty"`
	// ReadSeq is the user's new read position in a group (group.read).
	ReadSeq uint64 `json:"read_seq,omitempty"`
}

// GroupMessage is a group message as devices see it.
type GroupMessage struct {
	Group           string          `json:"group"`
	Topic           string          `json:"topic,omitempty"`
	Seq             uint64          `json:"seq"` // the group's (topic's) seq; 0 online-only
	From            string          `json:"from"`
	Random          uint32          `json:"random"`
	Time            int64           `json:"time"`
	Priority        int             `json:"priority"` // 1 High … 4 Lowest
	Body            json.RawMessage `json:"body,omitempty"`
	CloudCustomData string          `json:"cloud_custom_data,omitempty"`
	System          bool            `json:"system,omitempty"`
	Recalled        bool            `json:"recalled,omitempty"`
	Modified        bool            `json:"modified,omitempty"`
	Deleted         bool            `json:"deleted,omitempty"` // a placeholder
	OnlineOnly      bool            `json:"online_only,omitempty"`
	AtAll           bool            `json:"at_all,omitempty"`
	AtUsers         []string        `json:"at_users,omitempty"`
	To              []string        `json:"to,omitempty"`
	NeedReadReceipt bool            `json:"need_read_receipt,omitempty"`
	SupportExt      bool            `json:"support_extension,omitempty"`
}

// GroupChange describes a change of a group (event kind "group.change").
type GroupChange struct {
	Group  string   `json:"group"`
	Topic  string   `json:"topic,omitempty"`
	Change string   `json:"change"` // members_added, members_removed, members_muted, destroyed, messages_cleared, message_recalled, message_modified, message_extension, message_deleted
	Users  []string `json:"users,omitempty"`
	Until  int64    `json:"until,omitempty"` // members_muted: end of the mute, 0 unmuted
	Seq    uint64   `json:"seq,omitempty"`   // the message concerned, or cleared up to
}

// GroupSummary is a group the user is in (answer to "groups").
type GroupSummary struct {
	Group   string `json:"group"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	LastSeq uint64 `json:"last_seq"` // the group's newest message seq
	ReadSeq uint64 `json:"read_seq"`
	Unread  int    `json:"unread"`
	AtMe    bool   `json:"at_me,omitempty"`
	AtAll   bool   `json:"at_all,omitempty"`
}

// GroupsOK answers "groups".
type GroupsOK struct {
	Frame
	Groups []GroupSummary `json:"groups"`
}

// GroupSync asks for a group's (topic's) messages after a seq.
type GroupSync struct {
	Frame
	Group string `json:"group"`
	Topic string `json:"topic,omitempty"`
	After uint64 `json:"after"`
	Limit int    `json:"limit,omitempty"` // 0: 100; at most 500
}

// GroupSyncOK answers a GroupSync: messages ascending by seq.
type GroupSyncOK struct {
	Frame
	Messages []GroupMessage `json:"messages"`
	More     bool           `json:"more"`
}

// GroupSend sends a group message as the logged-in user.
type GroupSend struct {
	Frame
	Group           string          `json:"group"`
	Topic           string          `json:"topic,omitempty"`
	Random          uint32          `json:"random"`
	Priority        string          `json:"priority,omitempty"` // High, Normal (default), Low, Lowest
	Body            json.RawMessage `json:"body"`
	CloudCustomData string          `json:"cloud_custom_data,omitempty"`
	OnlineOnly      bool            `json:"online_only,omitempty"`
	NoUnread        bool            `json:"no_unread,omitempty"`
	NoLastMsg       bool            `json:"no_last_msg,omitempty"`
	To              []string        `json:"to,omitempty"`
	AtAll           bool            `json:"at_all,omitempty"`
	AtUsers         []string        `json:"at_users,omitempty"`
	NeedReadReceipt bool            `json:"need_read_receipt,omitempty"`
	SupportExt      bool            `json:"support_extension,omitempty"`
}

// GroupSent answers a GroupSend.
type GroupSent struct {
	Frame
	Seq        uint64 `json:"seq"`
	Time       int64  `json:"time"`
	DropReason string `json:"drop_reason,omitempty"` // "MsgFreqCtrl": accepted but dropped
}

// GroupRead marks a group read up to Seq (0: all).
type GroupRead struct {
	Frame
	Group string `json:"group"`
	Seq   uint64 `json:"seq,omitempty"`
}

// GroupHistory asks for a page of a group's history, newest first.
type GroupHistory struct {
	Frame
	Group     string `json:"group"`
	Topic     string `json:"topic,omitempty"`
	BeforeSeq uint64 `json:"before_seq,omitempty"` // 0: the newest
	Limit     int    `json:"limit,omitempty"`      // 0: 20; at most 20
}

// GroupHistoryOK answers GroupHistory.
type GroupHistoryOK struct {
	Frame
	Messages []GroupMessage `json:"messages"`
	Finished bool           `json:"finished"`
}

// GroupJoin joins or quits a group (op group_join / group_quit).
type GroupJoin struct {
	Frame
	Group string `json:"group"`
}

// Read marks the conversation with Peer read up to Time (0 or absent: now).
type Read struct {
	Frame
	Peer string `json:"peer"`
	Time int64  `json:"time,omitempty"`
}

// ReadOK answers a Read.
type ReadOK struct {
	Frame
	Unread int `json:"unread"`
}

// History asks for a page of the conversation with Peer, newest first.
type History struct {
	Frame
	Peer    string `json:"peer"`
	MinTime int64  `json:"min_time,omitempty"`
	MaxTime int64  `json:"max_time,omitempty"` // 0: now
	Limit   int    `json:"limit,omitempty"`    // 0: 20; at most 100
	// BeforeKey continues after the oldest message of the previous page.
	BeforeKey string `json:"before_key,omitempty"`
}

// HistoryOK answers a History: Messages newest first.
type HistoryOK struct {
	Frame
	Messages []Message `json:"messages"`
	More     bool      `json:"more"`
}

// Conversations asks for a page of the conversation list.
type Conversations struct {
	Frame
	CursorTime  int64 `json:"cursor_time,omitempty"`
	CursorIndex int   `json:"cursor_index,omitempty"`
	// PinnedFirst lists pinned conversations first.
	PinnedFirst bool `json:"pinned_first,omitempty"`
}

// ConversationsOK answers Conversations.
type ConversationsOK struct {
	Frame
	Conversations []Conversation `json:"conversations"`
	Complete      bool           `json:"complete"`
	CursorTime    int64          `json:"cursor_time"`
	CursorIndex   int            `json:"cursor_index"`
}

// Unread asks for the total C2C unread count, or per peer (at most 10).
type Unread struct {
	Frame
	Peers []string `json:"peers,omitempty"`
}

// UnreadOK answers Unread.
type UnreadOK struct {
	Frame
	Total int            `json:"total"`
	Peers map[string]int `json:"peers,omitempty"`
}

// Pin pins or unpins a conversation.
type Pin struct {
	Frame
	Type   int    `json:"type"` // 1 C2C, 2 group
	Peer   string `json:"peer"`
	Pinned bool   `json:"pinned"`
}

// DeleteConversation deletes a conversation from the list, and with
// ClearHistory the user's history of it.
type DeleteConversation struct {
	Frame
	Type         int    `json:"type"`
	Peer         string `json:"peer"`
	ClearHistory bool   `json:"clear_history,omitempty"`
}

// Receipt sends read receipts for messages Peer sent to the user.
type Receipt struct {
	Frame
	Peer string   `json:"peer"`
	Keys []string `json:"keys"`
}

// Extension sets (op 1), deletes (2) or clears (3) a C2C message's
// extensions. Each item names the Seq the device last saw for its key: a
// stale Seq is refused for that item (CodeConflict).
type Extension struct {
	Frame
	From      string          `json:"from"`
	To        string          `json:"to"`
	Key       string          `json:"key"`
	Operation int             `json:"operation"`
	Items     []ExtensionItem `json:"items,omitempty"`
}

// ExtensionItem is one key-value pair.
type ExtensionItem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Seq   uint64 `json:"seq"`
	// Code is set in answers: 0 or why this item was refused (CodeConflict:
	// Seq was stale; Value and Seq are then the stored ones).
	Code int `json:"code,omitempty"`
}

// ExtensionOK answers Extension, item by item.
type ExtensionOK struct {
	Frame
	Items []ExtensionItem `json:"items"`
}

// Bye tells the device why the server closes the connection.
type Bye struct {
	Frame
	Code    int    `json:"code"`
	Message string `json:"message"`
}
