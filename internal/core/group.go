package core

import "strings"

// Groups use read diffusion: a group message is stored once, numbered by a
// per-group (per-topic) MsgSeq that rises by exactly 1 from 1, and members'
// devices fetch what they have not seen. Nothing is copied per member.

// GroupType is a group's kind. The names are the REST API's Type values.
type GroupType string

const (
	GroupPrivate   GroupType = "Private"    // "Work": friends' work group, invite only
	GroupPublic    GroupType = "Public"     // strangers' social group
	GroupChatRoom  GroupType = "ChatRoom"   // "Meeting": temporary, free join
	GroupAVChat    GroupType = "AVChatRoom" // live streaming: no member storage, no history
	GroupCommunity GroupType = "Community"  // large, with topics
)

// ParseGroupType accepts the REST names and the newer product names
// (Work, Meeting).
func ParseGroupType(s string) (GroupType, bool) {
	switch s {
	case "Private", "Work":
		return GroupPrivate, true
	case "Public":
		return GroupPublic, true
	case "ChatRoom", "Meeting":
		return GroupChatRoom, true
	case "AVChatRoom":
		return GroupAVChat, true
	case "Community":
		return GroupCommunity, true
	}
	return "", false
}

// The rules that differ by type, in one place.

// StoresMembers: AVChatRoom keeps no member list (members are whoever is
// in the room now, in memory).
func (t GroupType) StoresMembers() bool { return t != GroupAVChat }

// StoresHistory: AVChatRoom messages are never stored.
func (t GroupType) StoresHistory() bool { return t != GroupAVChat }

// CountsUnread: Meeting and AVChatRoom count no unread messages.
func (t GroupType) CountsUnread() bool { return t != GroupChatRoom && t != GroupAVChat }

// HasAdmins: Work groups have no admins.
func (t GroupType) HasAdmins() bool { return t != GroupPrivate }

// CanMute: members of Work groups cannot be muted.
func (t GroupType) CanMute() bool { return t != GroupPrivate }

// CanRecall: AVChatRoom messages cannot be recalled (they are not stored).
func (t GroupType) CanRecall() bool { return t != GroupAVChat }

// RESTMembers: REST may add and remove members, except in AVChatRoom.
func (t GroupType) RESTMembers() bool { return t != GroupAVChat }

// FreeJoin: a device may join without approval by default.
func (t GroupType) FreeJoin() bool {
	return t == GroupChatRoom || t == GroupAVChat || t == GroupCommunity
}

// TargetedMessages: To_Account messages are allowed in Work, Public and Meeting.
func (t GroupType) TargetedMessages() bool {
	return t == GroupPrivate || t == GroupPublic || t == GroupChatRoom
}

// idPrefix is the generated GroupId prefix of each type.
func (t GroupType) idPrefix() string {
	switch t {
	case GroupPrivate:
		return "@TGS#1"
	case GroupPublic:
		return "@TGS#2"
	case GroupChatRoom:
		return "@TGS#3"
	case GroupAVChat:
		return "@TGS#a"
	case GroupCommunity:
		return "@TGS#_@TGS#c"
	}
	return "@TGS#"
}

// Role is a member's role.
type Role string

const (
	RoleOwner     Role = "Owner"
	RoleAdmin     Role = "Admin"
	RoleMember    Role = "Member"
	RoleNotMember Role = "NotMember"
)

// Group limits.
const (
	MaxGroupIDBytes        = 48
	MaxTopicIDBytes        = 96
	MaxGroupNameBytes      = 30
	MaxIntroductionBytes   = 240
	MaxNotificationBytes   = 300
	MaxGroupFaceURLBytes   = 100
	MaxNameCardBytes       = 50
	MaxGroupDefinedKeys    = 10
	MaxMemberDefinedKeys   = 5
	MaxCreateMembers       = 100
	MaxAddMembers          = 300
	MaxDeleteMembers       = 100
	MaxMuteMembers         = 500
	MaxTargetedReceivers   = 50
	MaxAtInfo              = 30
	MaxTopicsPerCommunity  = 200
	DefaultMaxMembers      = 2000
	CommunityMaxMembers    = 100000
	MaxGroupRecall         = 10
	MaxGroupHistoryPage    = 20
	MaxImportGroupMessages = 7
	// MuteForever is the mute time (seconds) meaning "until unmuted".
	MuteForever = 4294967295
)

// KV is an app-defined key-value pair of a group or member.
type KV struct {
	Key   string
	Value string
}

// Group is a group's stored state.
type Group struct {
	App              AppID
	ID               string
	Type             GroupType
	Name             string
	Introduction     string
	Notification     string
	FaceURL          string
	Owner            string // "" for an ownerless group
	CreateTime       int64
	InfoSeq          uint64 // bumps on every info change
	LastInfoTime     int64
	MaxMembers       int
	ApplyJoinOption  string // FreeAccess, NeedPermission, DisableApply
	InviteJoinOption string // FreeAccess, NeedPermission, DisableInvite
	MuteAll          bool
	SupportTopic     bool
	AppDefined       []KV
	// NextSeq is the MsgSeq the next message gets (1 for a new group).
	NextSeq uint64
	// LastSeq and LastTime identify the last message that updates
	// conversations (not NoLastMsg); 0 when none.
	LastSeq  uint64
	LastTime int64
	// LastMsgTime is the time of the newest message of any kind.
	LastMsgTime int64
	// Counted is how many messages so far count as unread; a member's
	// unread count is Counted minus the member's ReadCounted.
	Counted uint64
	// AtAllSeq is the seq of the newest @all message.
	AtAllSeq uint64
	// ClearedSeq: messages up to it are hidden from members (clear_group_msg).
	ClearedSeq  uint64
	MemberCount int
	// Mutes maps muted users to the end of their mute (Unix seconds;
	// MuteForever for no end). It lives on the group, not the member, so a
	// mute survives leaving and joining again.
	Mutes map[string]int64
}

// Member is one member of a group.
type Member struct {
	App      AppID
	Group    string
	User     string
	Role     Role
	JoinTime int64
	// ReadSeq is the newest seq the member read; ReadCounted is Group.Counted
	// at that point, so unread is Group.Counted - ReadCounted.
	ReadSeq         uint64
	ReadCounted     uint64
	MsgFlag         string // AcceptAndNotify, AcceptNotNotify, Discard
	LastSendMsgTime int64
	MuteUntil       int64 // Unix seconds; 0 = not muted. Core fills it from Group.Mutes
	NameCard        string
	AppDefined      []KV
	// AtMeSeq is the seq of the newest message that @-mentioned the member.
	AtMeSeq uint64
}

// Muted reports whether the member is muted at now.
func (m *Member) Muted(now int64) bool { return m.MuteUntil > now }

// ValidGroupID checks a custom group ID: printable ASCII, at most 48 bytes,
// not starting with "@TGS#" unless it is a Community's "@TGS#_" id.
func ValidGroupID(id string, t GroupType) bool {
	if id == "" || len(id) > MaxGroupIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return false
		}
	}
	if t == GroupCommunity {
		return strings.HasPrefix(id, "@TGS#_")
	}
	return !strings.HasPrefix(id, "@TGS#")
}

// GroupMsgFlags are a group message's stored properties.
type GroupMsgFlags uint32

const (
	GFlagRecalled         GroupMsgFlags = 1 << iota // recalled
	GFlagModified                                   // content overwritten
	GFlagSystem                                     // a system notification
	GFlagSupportExtension                           // extensions allowed
	GFlagNeedReadReceipt                            // receipts wanted
	GFlagNoUnread                                   // counts no unread
	GFlagNoLastMsg                                  // does not update conversations
	GFlagImported                                   // imported
	GFlagAtAll                                      // @all
	GFlagDeleted                                    // deleted (by sender deletion): a placeholder
)

// Has reports whether every bit of want is set.
func (f GroupMsgFlags) Has(want GroupMsgFlags) bool { return f&want == want }

// Priority of a group message: 1 High, 2 Normal, 3 Low, 4 Lowest.
type Priority uint8

const (
	PriorityHigh   Priority = 1
	PriorityNormal Priority = 2
	PriorityLow    Priority = 3
	PriorityLowest Priority = 4
)

// GroupMessage is one group (or topic) message, stored once.
type GroupMessage struct {
	App             AppID
	Group           string
	Topic           string // "" outside topics
	Seq             uint64 // assigned by the store: the group's (topic's) next seq
	ID              int64  // store-assigned
	From            string
	Random          uint32
	Time            int64
	Priority        Priority
	Body            []byte
	CloudCustomData string
	OfflinePush     []byte
	Flags           GroupMsgFlags
	// To lists the only members who receive it (targeted); nil: everyone.
	To []string
	// AtUsers are the members @-mentioned (besides @all).
	AtUsers []string
}

// VisibleTo reports whether member user sees m (targeted messages only
// reach their receivers and the sender).
func (m *GroupMessage) VisibleTo(user string) bool {
	if m.To == nil || user == m.From {
		return true
	}
	for _, u := range m.To {
		if u == user {
			return true
		}
	}
	return false
}

// CountsUnread reports whether m counts as unread for members (by flags;
// the group type's rule applies on top).
func (m *GroupMessage) CountsUnread() bool {
	return m.To == nil && m.Flags&(GFlagNoUnread|GFlagSystem|GFlagImported|GFlagRecalled|GFlagDeleted) == 0
}

// UpdatesConversation reports whether m becomes the conversation's last message.
func (m *GroupMessage) UpdatesConversation() bool {
	return m.Flags&GFlagNoLastMsg == 0 && m.To == nil
}

// Topic is a Community topic.
type Topic struct {
	App          AppID
	Group        string
	ID           string
	Name         string
	Introduction string
	Notification string
	FaceURL      string
	CustomString string
	CreateTime   int64
	NextSeq      uint64
	LastSeq      uint64
	LastTime     int64
	MuteAll      bool
}
