package core

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// AppID identifies an app: the SDKAppID of the Tencent dialect. An Agora app id
// maps onto one AppID, so both dialects see the same data.
type AppID uint64

func (a AppID) String() string { return strconv.FormatUint(uint64(a), 10) }

// Secret is a key that must never be logged. Its String method redacts it.
type Secret string

func (Secret) String() string { return "[redacted]" }

// DefaultRoaming is how long C2C history is kept when an app sets no period.
const DefaultRoaming = 7 * 24 * time.Hour

// App is one tenant of the server: its signing key, its admins and its limits.
type App struct {
	ID     AppID
	Key    Secret   // HMAC key for UserSigs (used as raw bytes)
	Admins []string // identifiers allowed to call the admin REST API
	// Roaming is how long C2C history is kept. Zero means DefaultRoaming.
	Roaming time.Duration
	// GroupMsgRate is how many messages per second one group takes before
	// frequency control drops some. Zero means DefaultGroupMsgRate;
	// negative turns frequency control off.
	GroupMsgRate int
}

// DefaultGroupMsgRate is the documented per-group message rate.
const DefaultGroupMsgRate = 40

// groupMsgRate returns the effective rate, or 0 when control is off.
func (a *App) groupMsgRate() int {
	switch {
	case a.GroupMsgRate < 0:
		return 0
	case a.GroupMsgRate == 0:
		return DefaultGroupMsgRate
	}
	return a.GroupMsgRate
}

// IsAdmin reports whether user is one of a's admin identifiers.
func (a *App) IsAdmin(user string) bool {
	for _, x := range a.Admins {
		if x == user {
			return true
		}
	}
	return false
}

// RoamingPeriod returns a.Roaming or DefaultRoaming.
func (a *App) RoamingPeriod() time.Duration {
	if a.Roaming > 0 {
		return a.Roaming
	}
	return DefaultRoaming
}

// MaxUserIDBytes is the longest UserID the model accepts.
const MaxUserIDBytes = 32

// ValidUserID reports whether id is 1 to 32 bytes of printable ASCII
// (0x20–0x7e), the rule every vendor SDK enforces.
func ValidUserID(id string) bool {
	if len(id) == 0 || len(id) > MaxUserIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// Account is an imported user.
type Account struct {
	App     AppID
	ID      string
	Nick    string
	FaceURL string
	Created int64 // Unix seconds
	// KickedAt is when the account was last kicked (Unix seconds): UserSigs
	// generated before it are refused. Zero means never.
	KickedAt int64
}

// MaxProfileBytes bounds Nick and FaceURL.
const MaxProfileBytes = 500

// MsgKey identifies a C2C message inside its conversation. Its wire form is
// "{Seq}_{Random}_{Time}".
type MsgKey struct {
	Seq    uint32
	Random uint32
	Time   int64 // Unix seconds
}

func (k MsgKey) String() string {
	b := make([]byte, 0, 32)
	b = strconv.AppendUint(b, uint64(k.Seq), 10)
	b = append(b, '_')
	b = strconv.AppendUint(b, uint64(k.Random), 10)
	b = append(b, '_')
	b = strconv.AppendInt(b, k.Time, 10)
	return string(b)
}

// ParseMsgKey parses the wire form of a MsgKey. It refuses anything but three
// unsigned decimal numbers joined by '_' with Seq and Random in uint32 range.
func ParseMsgKey(s string) (MsgKey, error) {
	parts := strings.Split(s, "_")
	if len(parts) != 3 {
		return MsgKey{}, Errorf(Invalid, FieldKey, "msg key %q: want 3 parts", s)
	}
	var n [3]uint64
	for i, p := range parts {
		if p == "" || p[0] == '+' || p[0] == '-' {
			return MsgKey{}, Errorf(Invalid, FieldKey, "msg key %q: bad number", s)
		}
		bits := 32
		if i == 2 {
			bits = 63
		}
		v, err := strconv.ParseUint(p, 10, bits)
		if err != nil {
			return MsgKey{}, Errorf(Invalid, FieldKey, "msg key %q: bad number", s)
		}
		n[i] = v
	}
	return MsgKey{Seq: uint32(n[0]), Random: uint32(n[1]), Time: int64(n[2])}, nil
}

// MsgFlags are a C2C message's stored properties.
type MsgFlags uint32

const (
	FlagSenderHistory         MsgFlags = 1 << iota // the sender's history shows it
	FlagReceiverHistory                            // the receiver's history shows it
	FlagSyncSender                                 // the sender's other online devices get it live
	FlagNoUnread                                   // not counted as unread
	FlagNoLastMsg                                  // does not update the conversation list
	FlagSupportExtension                           // key-value extensions allowed
	FlagNeedReadReceipt                            // the sender wants a read receipt
	FlagRecalled                                   // recalled: shown as a recall, content hidden
	FlagModified                                   // body or custom data overwritten after send
	FlagPeerRead                                   // the receiver sent a read receipt
	FlagWithMuteNotifications                      // the receiver's do-not-disturb applies
	FlagNoMsgCheck                                 // skip content moderation
	FlagImported                                   // imported as history: no unread, no push
	FlagDeletedBySender                            // the sender deleted it from their history
	FlagDeletedByReceiver                          // the receiver deleted it from their history
)

// Has reports whether every bit of want is set.
func (f MsgFlags) Has(want MsgFlags) bool { return f&want == want }

// Origin says how a message entered the system; it selects de-dup and callback rules.
type Origin uint8

const (
	OriginSend   Origin = iota // REST single send
	OriginBatch                // REST batch send
	OriginImport               // history import
	OriginDevice               // sent by a device over the gateway
)

// C2CMessage is one single-chat message as stored: once, seen from two sides.
type C2CMessage struct {
	App    AppID
	ID     int64 // assigned by the store, ascending in commit order; the last tiebreak of history order
	From   string
	To     string
	Seq    uint32
	Random uint32
	Time   int64 // MsgTime, Unix seconds
	// Body is the validated MsgBody element array, exactly as the sender wrote it.
	Body            json.RawMessage
	CloudCustomData string
	// OfflinePush is the validated OfflinePushInfo object, or nil.
	OfflinePush json.RawMessage
	Flags       MsgFlags
	Origin      Origin
	// OfflineUntil is when offline delivery of the message ends (Unix seconds):
	// a device that comes back later finds it in history but not pushed.
	OfflineUntil int64
}

// Key returns the message's MsgKey.
func (m *C2CMessage) Key() MsgKey { return MsgKey{Seq: m.Seq, Random: m.Random, Time: m.Time} }

// VisibleTo reports whether user's history shows m (before any
// conversation-wide clear, which the conversation records).
func (m *C2CMessage) VisibleTo(user string) bool {
	sender := m.Flags&FlagSenderHistory != 0 && m.Flags&FlagDeletedBySender == 0
	receiver := m.Flags&FlagReceiverHistory != 0 && m.Flags&FlagDeletedByReceiver == 0
	switch user {
	case m.From:
		return sender || (m.From == m.To && receiver)
	case m.To:
		return receiver
	}
	return false
}

// CountsUnread reports whether m counts as unread for its receiver until
// read: it reached the receiver's history and was not sent NoUnread, imported
// as history, recalled or deleted by the receiver.
func (m *C2CMessage) CountsUnread() bool {
	return m.Flags&FlagReceiverHistory != 0 && m.From != m.To &&
		m.Flags&(FlagNoUnread|FlagImported|FlagRecalled|FlagDeletedByReceiver) == 0
}

// ConvUpdate is how storing one message changes one side's conversation.
type ConvUpdate struct {
	Owner string
	Peer  string
	// Last: the message becomes the conversation's last message when it is
	// newer than the current one; a hidden (deleted) conversation reappears.
	Last bool
	// Unread: the message counts one unread when it is newer than the
	// owner's read time.
	Unread bool
}

// ConvUpdates returns the conversation changes storing m makes: each side
// whose history shows it gets it as last message unless it was sent
// NoLastMsg, and the receiver counts it unread when CountsUnread. Stores
// apply these in the transaction that stores m.
func (m *C2CMessage) ConvUpdates() []ConvUpdate {
	var out []ConvUpdate
	last := m.Flags&FlagNoLastMsg == 0
	if m.VisibleTo(m.From) && m.From != m.To {
		out = append(out, ConvUpdate{Owner: m.From, Peer: m.To, Last: last})
	}
	if m.VisibleTo(m.To) {
		out = append(out, ConvUpdate{Owner: m.To, Peer: m.From, Last: last, Unread: m.CountsUnread()})
	}
	return out
}

// Peer returns the other side of m's conversation as seen by user.
func (m *C2CMessage) Peer(user string) string {
	if user == m.From {
		return m.To
	}
	return m.From
}

// Before reports whether m comes before o in history order: time, then MsgSeq,
// then the store's ID.
func (m *C2CMessage) Before(o *C2CMessage) bool {
	if m.Time != o.Time {
		return m.Time < o.Time
	}
	if m.Seq != o.Seq {
		return m.Seq < o.Seq
	}
	return m.ID < o.ID
}

// HistoryCursor is a position in a conversation's history order.
type HistoryCursor struct {
	Time int64
	Seq  uint32
	ID   int64
}

// CursorOf returns m's position.
func CursorOf(m *C2CMessage) HistoryCursor { return HistoryCursor{Time: m.Time, Seq: m.Seq, ID: m.ID} }

// Less reports whether c comes before d in history order.
func (c HistoryCursor) Less(d HistoryCursor) bool {
	if c.Time != d.Time {
		return c.Time < d.Time
	}
	if c.Seq != d.Seq {
		return c.Seq < d.Seq
	}
	return c.ID < d.ID
}
