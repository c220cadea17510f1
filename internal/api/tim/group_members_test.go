package tim_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/parleytest"
)

// Group member commands: add_group_member, delete_group_member,
// get_group_member_info, modify_group_member_info, forbid_send_msg,
// get_group_muted_account / get_group_shutted_uin, set_unread_msg_num.

func TestAddGroupMember(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice")
	var a struct {
		MemberList []struct {
			Member_Account string
			Result         int
		}
	}
	n.MustTIM(t, gsvc+"add_group_member", fmt.Sprintf(`{"GroupId":%q,"Silence":1,"MemberList":[
		{"Member_Account":"bob"},{"Member_Account":"alice"},{"Member_Account":"ghost"},{"Member_Account":"bob"},{"Member_Account":"carol"}]}`, g)).Decode(t, &a)
	if got := fmt.Sprint(a.MemberList); got != "[{bob 1} {alice 2} {ghost 0} {bob 2} {carol 1}]" {
		t.Errorf("Results %s, want bob added, alice already, ghost failed, bob already, carol added", got)
	}
	if r := roles(members(t, n, g)); r != "alice:Owner bob:Member carol:Member" {
		t.Errorf("members %s", r)
	}
	if got := info(t, n, g).MemberNum; got != 3 {
		t.Errorf("MemberNum %d, want 3", got)
	}

	full := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","Name":"x","MaxMemberCount":3,"MemberList":[{"Member_Account":"bob"}]}`)
	timCode(t, n, gsvc+"add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"carol"},{"Member_Account":"dave"}]}`, full), 10014)
	timCode(t, n, gsvc+"add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"carol"}]}`, full), 0)
	timCode(t, n, gsvc+"add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"dave"}]}`, full), 10014)

	many := make([]string, 301)
	for i := range many {
		many[i] = fmt.Sprintf(`{"Member_Account":"u%d"}`, i)
	}
	av := groupWith(t, n, "AVChatRoom", "alice")
	for _, tc := range []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"dave"}]}`, av), 10007}, // AVChatRoom: no REST members
		{fmt.Sprintf(`{"GroupId":%q,"MemberList":[%s]}`, g, strings.Join(many, ",")), 10005},
		{fmt.Sprintf(`{"GroupId":%q,"MemberList":[]}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Name":"dave"}]}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"Silence":2,"MemberList":[{"Member_Account":"dave"}]}`, g), 10004},
		{`{"GroupId":"nope","MemberList":[{"Member_Account":"dave"}]}`, 10010},
		{`{"MemberList":[{"Member_Account":"dave"}]}`, 10004},
	} {
		timCode(t, n, gsvc+"add_group_member", tc.body, tc.code)
	}
}

func TestDeleteGroupMember(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob", "carol")
	n.MustTIM(t, gsvc+"delete_group_member", fmt.Sprintf(`{"GroupId":%q,"Silence":1,"Reason":"spam","MemberToDel_Account":["bob","dave","ghost"]}`, g))
	if r := roles(members(t, n, g)); r != "alice:Owner carol:Member" {
		t.Errorf("members %s", r)
	}
	if got := info(t, n, g).MemberNum; got != 2 {
		t.Errorf("MemberNum %d, want 2", got)
	}
	if u := unreadIn(t, n, "bob", g); u != -1 {
		t.Errorf("bob still lists the group after removal")
	}
	// bob's devices no longer read it: he is not a member.
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(g, "bob", 1, "still here?", ""), 10007)

	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	av := groupWith(t, n, "AVChatRoom", "alice")
	for _, tc := range []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":["alice"]}`, g), 10004}, // the owner
		{fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":["bob"]}`, av), 10004},  // AVChatRoom
		{fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":%s}`, g, jsonList(many...)), 10005},
		{fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":[]}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"Silence":3,"MemberToDel_Account":["carol"]}`, g), 10004},
		{`{"GroupId":"nope","MemberToDel_Account":["carol"]}`, 10010},
	} {
		timCode(t, n, gsvc+"delete_group_member", tc.body, tc.code)
	}
}

func TestGetGroupMemberInfo(t *testing.T) {
	n, _ := groupNode(t)
	n.ImportAccounts(t, "erin")
	body := `{"Owner_Account":"alice","Type":%q,"Name":"x","SupportTopic":%d,"MemberList":[{"Member_Account":"bob","Role":"Admin"},
		{"Member_Account":"carol","NameCard":"cc"},{"Member_Account":"dave"},{"Member_Account":"erin"}]}`
	g := newGroup(t, n, fmt.Sprintf(body, "Public", 0))

	type page struct {
		MemberNum  int
		MemberList []memberOut
		Next       *string
	}
	get := func(body string) page {
		t.Helper()
		var p page
		n.MustTIM(t, gsvc+"get_group_member_info", body).Decode(t, &p)
		return p
	}
	p := get(fmt.Sprintf(`{"GroupId":%q,"Limit":2}`, g))
	if p.MemberNum != 5 || roles(p.MemberList) != "alice:Owner bob:Admin" || p.Next != nil {
		t.Errorf("Limit 2: %d %s Next %v", p.MemberNum, roles(p.MemberList), p.Next)
	}
	if p := get(fmt.Sprintf(`{"GroupId":%q,"Limit":2,"Offset":4}`, g)); p.MemberNum != 5 || roles(p.MemberList) != "erin:Member" {
		t.Errorf("Limit 2 Offset 4: %d %s", p.MemberNum, roles(p.MemberList))
	}
	if p := get(fmt.Sprintf(`{"GroupId":%q,"MemberRoleFilter":["Admin","Owner"]}`, g)); p.MemberNum != 5 || roles(p.MemberList) != "alice:Owner bob:Admin" {
		t.Errorf("MemberRoleFilter Admin, Owner: %d %s", p.MemberNum, roles(p.MemberList))
	}
	var raw struct{ MemberList []jsontext.Value }
	n.MustTIM(t, gsvc+"get_group_member_info", fmt.Sprintf(`{"GroupId":%q,"MemberInfoFilter":["Role","NameCard"],"Offset":2,"Limit":1}`, g)).Decode(t, &raw)
	if len(raw.MemberList) != 1 || !sameKeys(fields(t, raw.MemberList[0]), "Member_Account", "Role", "NameCard") ||
		!strings.Contains(string(raw.MemberList[0]), `"NameCard":"cc"`) {
		t.Errorf("MemberInfoFilter: %s", raw.MemberList)
	}
	n.MustTIM(t, gsvc+"get_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Limit":1}`, g)).Decode(t, &raw)
	if !sameKeys(fields(t, raw.MemberList[0]), "Member_Account", "Role", "JoinTime", "MsgSeq", "MsgFlag", "LastSendMsgTime",
		"MuteUntil", "ShutUpUntil", "NameCard", "AppMemberDefinedData") {
		t.Errorf("member keys without a filter: %v", keysOf(fields(t, raw.MemberList[0])))
	}

	// A Community pages with Next.
	c := newGroup(t, n, fmt.Sprintf(body, "Community", 1))
	var seen []string
	next := ""
	for i := 0; ; i++ {
		if i > 5 {
			t.Fatalf("Community paging does not end")
		}
		p := get(fmt.Sprintf(`{"GroupId":%q,"Limit":2,"Next":%q}`, c, next))
		if p.Next == nil {
			t.Fatalf("Community page without Next")
		}
		for _, m := range p.MemberList {
			seen = append(seen, m.Member_Account)
		}
		if *p.Next == "" {
			break
		}
		next = *p.Next
	}
	if got := strings.Join(seen, " "); got != "alice bob carol dave erin" {
		t.Errorf("Community pages: %s", got)
	}

	av := groupWith(t, n, "AVChatRoom", "alice")
	for _, tc := range []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"GroupId":%q}`, av), 10007},
		{fmt.Sprintf(`{"GroupId":%q,"Limit":101}`, c), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"Limit":6001}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"Limit":-1}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"Offset":-1}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"MemberRoleFilter":["Boss"]}`, g), 10004},
		{`{"GroupId":"nope"}`, 10010},
		{`{"GroupId":""}`, 10015},
	} {
		timCode(t, n, gsvc+"get_group_member_info", tc.body, tc.code)
	}
}

func TestModifyGroupMemberInfo(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	modify := func(user, members string, code int) {
		t.Helper()
		timCode(t, n, gsvc+"modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":%q%s}`, g, user, members), code)
	}
	modify("bob", `,"Role":"Admin","MsgFlag":"AcceptNotNotify","NameCard":"bobby","AppMemberDefinedData":[{"Key":"k","Value":"v"}]`, 0)
	m := member(t, n, g, "bob")
	if m.Role != "Admin" || m.MsgFlag != "AcceptNotNotify" || m.NameCard != "bobby" || fmt.Sprint(m.AppMemberDefinedData) != "[{k v}]" {
		t.Errorf("bob after modify: %+v", m)
	}
	modify("bob", `,"MuteTime":60`, 0)
	if m := member(t, n, g, "bob"); m.MuteUntil != gt0+60 || m.ShutUpUntil != gt0+60 {
		t.Errorf("MuteTime 60: MuteUntil %d ShutUpUntil %d, want %d", m.MuteUntil, m.ShutUpUntil, gt0+60)
	}
	modify("bob", `,"ShutUpTime":0`, 0) // the legacy name
	if m := member(t, n, g, "bob"); m.MuteUntil != 0 {
		t.Errorf("ShutUpTime 0: MuteUntil %d", m.MuteUntil)
	}
	modify("bob", `,"Role":"Member","AppMemberDefinedData":[{"Key":"k","Value":""}]`, 0)
	if m := member(t, n, g, "bob"); m.Role != "Member" || len(m.AppMemberDefinedData) != 0 {
		t.Errorf("bob back to Member: %+v", m)
	}
	modify("bob", `,"Role":"Owner"`, 10004)
	modify("alice", `,"Role":"Member"`, 10004) // the owner's role stays
	modify("bob", `,"MsgFlag":"Bogus"`, 10004)
	modify("bob", `,"NameCard":"`+strings.Repeat("c", 51)+`"`, 10004)
	modify("bob", `,"MuteTime":-1`, 10004)
	modify("bob", `,"AppMemberDefinedData":[{"Key":"k","Value":"`+strings.Repeat("v", 65)+`"}]`, 10004)
	modify("dave", `,"NameCard":"x"`, 10019) // not a member
	timCode(t, n, gsvc+"modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"NameCard":"x"}`, g), 10004)
	timCode(t, n, gsvc+"modify_group_member_info", `{"GroupId":"nope","Member_Account":"bob","NameCard":"x"}`, 10010)

	// Work groups: no admins, no mute.
	w := groupWith(t, n, "Work", "alice", "bob")
	timCode(t, n, gsvc+"modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":"bob","Role":"Admin"}`, w), 10004)
	timCode(t, n, gsvc+"modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":"bob","MuteTime":60}`, w), 10007)
	timCode(t, n, gsvc+"modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":"bob","NameCard":"ok"}`, w), 0)
}

// muted returns get_group_muted_account's list as user@until.
func muted(t testing.TB, n *parleytest.Node, group string) string {
	t.Helper()
	var a struct {
		GroupId          string
		MutedAccountList []struct {
			Member_Account string
			MutedUntil     int64
		}
	}
	n.MustTIM(t, gsvc+"get_group_muted_account", fmt.Sprintf(`{"GroupId":%q}`, group)).Decode(t, &a)
	if a.GroupId != group || a.MutedAccountList == nil {
		t.Errorf("get_group_muted_account: GroupId %q, list %v", a.GroupId, a.MutedAccountList)
	}
	parts := []string{}
	for _, m := range a.MutedAccountList {
		parts = append(parts, fmt.Sprintf("%s@%d", m.Member_Account, m.MutedUntil))
	}
	return strings.Join(parts, " ")
}

func TestForbidSendMsg(t *testing.T) {
	n, clk := groupNode(t)
	g := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","Name":"x","MemberList":[{"Member_Account":"bob","Role":"Admin"},{"Member_Account":"carol"},{"Member_Account":"dave"}]}`)
	forbid := func(members string, code int) {
		t.Helper()
		timCode(t, n, gsvc+"forbid_send_msg", fmt.Sprintf(`{"GroupId":%q%s}`, g, members), code)
	}
	forbid(`,"Members_Account":["carol"],"MuteTime":100`, 0)
	forbid(`,"Members_Account":["dave"],"ShutUpTime":4294967295`, 0) // legacy name; forever
	if got := muted(t, n, g); got != fmt.Sprintf("carol@%d dave@4294967295", gt0+100) {
		t.Errorf("muted %s", got)
	}
	var legacy struct {
		GroupId        string
		ShuttedUinList []struct {
			Member_Account string
			ShuttedUntil   int64
		}
	}
	n.MustTIM(t, gsvc+"get_group_shutted_uin", fmt.Sprintf(`{"GroupId":%q}`, g)).Decode(t, &legacy)
	if fmt.Sprint(legacy.ShuttedUinList) != fmt.Sprintf("[{carol %d} {dave 4294967295}]", gt0+100) || legacy.GroupId != g {
		t.Errorf("get_group_shutted_uin: %+v", legacy)
	}
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(g, "carol", 1, "let me talk", ""), 10017)
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(g, "dave", 1, "me too", ""), 10017)
	sendG(t, n, g, "bob", 1, "admins talk", "")

	// A mute ends on its own; 0 unmutes.
	clk.Advance(101 * time.Second)
	if got := muted(t, n, g); got != "dave@4294967295" {
		t.Errorf("after 101 s: muted %s", got)
	}
	sendG(t, n, g, "carol", 2, "free again", "")
	forbid(`,"Members_Account":["dave"],"MuteTime":0`, 0)
	if got := muted(t, n, g); got != "" {
		t.Errorf("after unmute: %s", got)
	}
	// A mute survives leaving and joining again.
	forbid(`,"Members_Account":["carol"],"MuteTime":1000`, 0)
	n.MustTIM(t, gsvc+"delete_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":["carol"]}`, g))
	n.MustTIM(t, gsvc+"add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"carol"}]}`, g))
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(g, "carol", 3, "back", ""), 10017)
	if m := member(t, n, g, "carol"); m.MuteUntil != gt0+101+1000 {
		t.Errorf("carol's MuteUntil %d after rejoining", m.MuteUntil)
	}

	// Everyone muted: members are refused, the owner, admins and the app admin speak.
	n.MustTIM(t, gsvc+"modify_group_base_info", fmt.Sprintf(`{"GroupId":%q,"MuteAllMember":"On"}`, g))
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(g, "dave", 4, "hello?", ""), 10017)
	sendG(t, n, g, "alice", 4, "owner", "")
	sendG(t, n, g, "bob", 4, "admin", "")
	sendG(t, n, g, "", 4, "app admin", "")

	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	forbid(`,"Members_Account":`+jsonList(many...)+`,"MuteTime":10`, 10005)
	forbid(`,"Members_Account":["bob"]`, 10004) // no MuteTime
	forbid(`,"Members_Account":["bob"],"MuteTime":-1`, 10004)
	forbid(`,"Members_Account":["bob"],"MuteTime":4294967296`, 10004)
	forbid(`,"Members_Account":[],"MuteTime":10`, 10004)
	forbid(`,"Members_Account":["bob"],"MuteTime":10,"TopicId":"x"`, 10004) // no topics in a Public group
	timCode(t, n, gsvc+"forbid_send_msg", `{"GroupId":"nope","Members_Account":["bob"],"MuteTime":10}`, 10010)
	w := groupWith(t, n, "Work", "alice", "bob")
	timCode(t, n, gsvc+"forbid_send_msg", fmt.Sprintf(`{"GroupId":%q,"Members_Account":["bob"],"MuteTime":10}`, w), 10007) // Work: no mute
	timCode(t, n, gsvc+"get_group_muted_account", `{"GroupId":"nope"}`, 10010)

	// A Community's topic: the topic must exist; the mute holds in the Community.
	c := groupWith(t, n, "Community", "alice", "bob")
	var topic struct{ TopicId string }
	n.MustTIM(t, msvc+"create_topic", fmt.Sprintf(`{"GroupId":%q,"TopicName":"t"}`, c)).Decode(t, &topic)
	timCode(t, n, gsvc+"forbid_send_msg", fmt.Sprintf(`{"GroupId":%q,"Members_Account":["bob"],"MuteTime":10,"TopicId":%q}`, c, topic.TopicId), 0)
	timCode(t, n, gsvc+"forbid_send_msg", fmt.Sprintf(`{"GroupId":%q,"Members_Account":["bob"],"MuteTime":10,"TopicId":%q}`, c, c+"@TOPIC#_nope"), 10010)
	timCode(t, n, gsvc+"get_group_muted_account", fmt.Sprintf(`{"GroupId":%q,"TopicId":%q}`, c, topic.TopicId), 0)
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(c, "bob", 5, "topic talk", fmt.Sprintf(`,"TopicId":%q`, topic.TopicId)), 10017)
}

func TestSetUnreadMsgNum(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	for i := range 3 {
		sendG(t, n, g, "alice", i, fmt.Sprint("m", i), "")
	}
	if u := unreadIn(t, n, "bob", g); u != 3 {
		t.Fatalf("bob's unread %d, want 3", u)
	}
	set := func(user string, num string, code int) {
		t.Helper()
		timCode(t, n, gsvc+"set_unread_msg_num", fmt.Sprintf(`{"GroupId":%q,"Member_Account":%q%s}`, g, user, num), code)
	}
	set("bob", `,"UnreadMsgNum":1`, 0)
	if u := unreadIn(t, n, "bob", g); u != 1 {
		t.Errorf("after set 1: %d", u)
	}
	set("bob", `,"UnreadMsgNum":5`, 0) // at most what was counted
	if u := unreadIn(t, n, "bob", g); u != 3 {
		t.Errorf("after set 5: %d, want 3", u)
	}
	set("bob", `,"UnreadMsgNum":0`, 0)
	if u := unreadIn(t, n, "bob", g); u != 0 {
		t.Errorf("after set 0: %d", u)
	}
	set("dave", `,"UnreadMsgNum":1`, 10019)
	set("bob", `,"UnreadMsgNum":-1`, 10004)
	set("bob", ``, 10004)
	timCode(t, n, gsvc+"set_unread_msg_num", `{"GroupId":"nope","Member_Account":"bob","UnreadMsgNum":1}`, 10010)
}
