package core

// ConvType says what a conversation is with.
type ConvType uint8

const (
	ConvC2C   ConvType = 1 // with another user
	ConvGroup ConvType = 2 // in a group
)

// Conversation is one owner's recent contact with a peer: what the
// conversation list shows, the unread count and the read position.
type Conversation struct {
	App   AppID
	Owner string
	Type  ConvType
	Peer  string // UserID (C2C) or GroupId (group)
	// LastID, LastTime and LastSeq identify the last message. LastTime 0
	// means the conversation has no last message (it is "empty").
	LastID   int64
	LastTime int64
	LastSeq  uint32
	// Unread is how many messages count as unread.
	Unread int
	// ReadTime: C2C messages up to this time (Unix seconds) are read.
	ReadTime int64
	// UnreadFloor: messages with an ID up to it never count as unread again
	// (set when the conversation is deleted).
	UnreadFloor int64
	// ClearedID: the owner's history no longer shows messages with an ID up
	// to it (set when the conversation is deleted with its history).
	ClearedID int64
	Pinned    bool
	PinnedAt  int64 // Unix seconds; orders pinned conversations
	// Hidden conversations were deleted; a new last message shows them again.
	Hidden bool
	// AtMe and AtAll (group conversations) say an unread message mentions
	// the owner, or everyone.
	AtMe  bool
	AtAll bool
}

// Listed reports whether the conversation list shows c when empty
// conversations are not asked for.
func (c *Conversation) Listed() bool { return !c.Hidden && c.LastTime > 0 }
