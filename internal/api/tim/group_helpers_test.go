package tim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/parleytest"
)

// Helpers of the group tests (issue 5): every request goes over real HTTP
// to a parleytest node on the memory store, on a stopped clock at gt0.

// gt0 is the group tests' clock.
const gt0 = 1_700_000_000

// Group service paths.
const (
	gsvc = "group_open_http_svc/"
	msvc = "million_group_open_http_svc/"
)

// groupNode starts a node on a stopped clock at gt0 with alice, bob, carol
// and dave imported.
func groupNode(t testing.TB) (*parleytest.Node, *parleytest.Clock) {
	t.Helper()
	clk := clockAt(gt0)
	n := parleytest.Start(t, parleytest.Options{Clock: clk})
	n.ImportAccounts(t, "alice", "bob", "carol", "dave")
	return n, clk
}

// createAnswer is create_group's answer.
type createAnswer struct {
	GroupId       string
	Type          string
	HugeGroupFlag *int
}

// newGroup creates a group with body and returns its id.
func newGroup(t testing.TB, n *parleytest.Node, body string) string {
	t.Helper()
	var a createAnswer
	n.MustTIM(t, gsvc+"create_group", body).Decode(t, &a)
	if a.GroupId == "" {
		t.Fatalf("create_group %s: no GroupId", abbrev(body))
	}
	return a.GroupId
}

// groupWith creates a group of typ owned by owner with members (plain
// members) and returns its id.
func groupWith(t testing.TB, n *parleytest.Node, typ, owner string, members ...string) string {
	t.Helper()
	list := make([]string, len(members))
	for i, m := range members {
		list[i] = fmt.Sprintf(`{"Member_Account":%q}`, m)
	}
	ownerPart := ""
	if owner != "" {
		ownerPart = fmt.Sprintf(`"Owner_Account":%q,`, owner)
	}
	memberPart := ""
	if len(members) > 0 {
		memberPart = `,"MemberList":[` + strings.Join(list, ",") + `]`
	}
	extra := ""
	if typ == "Community" {
		extra = `,"SupportTopic":1`
	}
	return newGroup(t, n, fmt.Sprintf(`{%s"Type":%q,"Name":"g"%s%s}`, ownerPart, typ, memberPart, extra))
}

// groupSent is send_group_msg's answer.
type groupSent struct {
	MsgTime       int64
	MsgSeq        uint64
	MsgDropReason string
}

// groupMsgBody is a send_group_msg request: text from from with random,
// plus extra members (a JSON fragment starting with a comma, or "").
func groupMsgBody(group, from string, random int, text, extra string) string {
	fromPart := ""
	if from != "" {
		fromPart = fmt.Sprintf(`"From_Account":%q,`, from)
	}
	return fmt.Sprintf(`{"GroupId":%q,%s"Random":%d,"MsgBody":%s%s}`, group, fromPart, random, textBody(text), extra)
}

// sendG sends a text that must be accepted.
func sendG(t testing.TB, n *parleytest.Node, group, from string, random int, text, extra string) groupSent {
	t.Helper()
	var a groupSent
	n.MustTIM(t, gsvc+"send_group_msg", groupMsgBody(group, from, random, text, extra)).Decode(t, &a)
	return a
}

// gmsg is one group_msg_get_simple RspMsgList item.
type gmsg struct {
	From_Account    string
	IsPlaceMsg      int
	IsSystemMsg     int
	MsgBody         jsontext.Value
	MsgPriority     int
	MsgRandom       uint32
	MsgSeq          uint64
	MsgTimeStamp    int64
	CloudCustomData string
}

// simpleAnswer is group_msg_get_simple's answer.
type simpleAnswer struct {
	GroupId    string
	IsFinished int
	RspMsgList []gmsg
}

// groupHistory asks for up to 20 messages of group (plus extra members).
func groupHistory(t testing.TB, n *parleytest.Node, group, extra string) simpleAnswer {
	t.Helper()
	var a simpleAnswer
	body := fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":20%s}`, group, extra)
	n.MustTIM(t, gsvc+"group_msg_get_simple", body).Decode(t, &a)
	if a.RspMsgList == nil {
		t.Errorf("group_msg_get_simple %s: no RspMsgList array", body)
	}
	return a
}

// seqList renders the seqs of msgs.
func seqList(msgs []gmsg) []uint64 {
	out := make([]uint64, len(msgs))
	for i, m := range msgs {
		out[i] = m.MsgSeq
	}
	return out
}

// textOf returns the text of a body of one text element, or the raw body.
func textOf(body jsontext.Value) string {
	var elems []struct {
		MsgType    string
		MsgContent struct{ Text string }
	}
	if err := json.Unmarshal(body, &elems); err != nil || len(elems) != 1 || elems[0].MsgType != "TIMTextElem" {
		return string(body)
	}
	return elems[0].MsgContent.Text
}

// fields decodes a JSON object into its members.
func fields(t testing.TB, raw jsontext.Value) map[string]jsontext.Value {
	t.Helper()
	var m map[string]jsontext.Value
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %v: %s", err, raw)
	}
	return m
}

// keysOf returns the sorted member names of an object.
func keysOf(m map[string]jsontext.Value) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sameKeys reports whether m has exactly the names want.
func sameKeys(m map[string]jsontext.Value, want ...string) bool {
	w := slices.Clone(want)
	slices.Sort(w)
	return slices.Equal(keysOf(m), w)
}

// groupInfo returns get_group_info's item for one group, as raw members.
func groupInfo(t testing.TB, n *parleytest.Node, group, filter string) map[string]jsontext.Value {
	t.Helper()
	body := fmt.Sprintf(`{"GroupIdList":[%q]%s}`, group, filter)
	var a struct{ GroupInfo []jsontext.Value }
	n.MustTIM(t, gsvc+"get_group_info", body).Decode(t, &a)
	if len(a.GroupInfo) != 1 {
		t.Fatalf("get_group_info %s: %d items", body, len(a.GroupInfo))
	}
	return fields(t, a.GroupInfo[0])
}

// info decodes get_group_info's item for one group.
type infoItem struct {
	GroupId         string
	ErrorCode       int
	ErrorInfo       string
	Type            string
	Name            string
	Introduction    string
	Notification    string
	FaceUrl         string
	Owner_Account   string
	CreateTime      int64
	InfoSeq         uint64
	LastInfoTime    int64
	LastMsgTime     int64
	NextMsgSeq      uint64
	MemberNum       int
	MaxMemberNum    int
	ApplyJoinOption string
	MuteAllMember   string
	AppDefinedData  []struct{ Key, Value string }
	MemberList      []memberOut
}

// memberOut is a member as get_group_info and get_group_member_info answer it.
type memberOut struct {
	Member_Account       string
	Role                 string
	JoinTime             int64
	MsgSeq               uint64
	MsgFlag              string
	LastSendMsgTime      int64
	MuteUntil            int64
	ShutUpUntil          int64
	NameCard             string
	AppMemberDefinedData []struct{ Key, Value string }
}

func info(t testing.TB, n *parleytest.Node, group string) infoItem {
	t.Helper()
	var a struct{ GroupInfo []infoItem }
	n.MustTIM(t, gsvc+"get_group_info", fmt.Sprintf(`{"GroupIdList":[%q]}`, group)).Decode(t, &a)
	if len(a.GroupInfo) != 1 || a.GroupInfo[0].ErrorCode != 0 {
		t.Fatalf("get_group_info %s: %+v", group, a.GroupInfo)
	}
	return a.GroupInfo[0]
}

// members returns the whole member list of group (get_group_member_info).
func members(t testing.TB, n *parleytest.Node, group string) []memberOut {
	t.Helper()
	var a struct {
		MemberNum  int
		MemberList []memberOut
	}
	n.MustTIM(t, gsvc+"get_group_member_info", fmt.Sprintf(`{"GroupId":%q}`, group)).Decode(t, &a)
	return a.MemberList
}

// member returns user's entry in group, failing when absent.
func member(t testing.TB, n *parleytest.Node, group, user string) memberOut {
	t.Helper()
	for _, m := range members(t, n, group) {
		if m.Member_Account == user {
			return m
		}
	}
	t.Fatalf("%s is not a member of %s", user, group)
	return memberOut{}
}

// roles renders the members as user:role, in list order.
func roles(ms []memberOut) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Member_Account + ":" + m.Role
	}
	return strings.Join(parts, " ")
}

// unreadIn returns user's unread count in group, as get_joined_group_list's
// SelfInfo says it (-1 when user is not a member).
func unreadIn(t testing.TB, n *parleytest.Node, user, group string) int {
	t.Helper()
	var a struct {
		GroupIdList []struct {
			GroupId  string
			SelfInfo struct{ UnreadMsgNum int }
		}
	}
	body := fmt.Sprintf(`{"Member_Account":%q,"ResponseFilter":{"SelfInfoFilter":["UnreadMsgNum"]}}`, user)
	n.MustTIM(t, gsvc+"get_joined_group_list", body).Decode(t, &a)
	for _, g := range a.GroupIdList {
		if g.GroupId == group {
			return g.SelfInfo.UnreadMsgNum
		}
	}
	return -1
}

// jsonList renders strings as a JSON array.
func jsonList(items ...string) string {
	b, _ := json.Marshal(items)
	return string(b)
}

// seqItems renders seqs as a MsgSeqList.
func seqItems(seqs ...uint64) string {
	parts := make([]string, len(seqs))
	for i, s := range seqs {
		parts[i] = fmt.Sprintf(`{"MsgSeq":%d}`, s)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// userQuery returns the query of a request signed as user (not an admin).
func userQuery(t testing.TB, n *parleytest.Node, user string) map[string]string {
	q := adminQuery(t, n)
	q["identifier"], q["usersig"] = user, n.Sig(t, user)
	return q
}
