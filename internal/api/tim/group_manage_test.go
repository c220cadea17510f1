package tim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// v4/group_open_http_svc management commands (reference §3.4.2):
// create_group, destroy_group, get_group_info, modify_group_base_info,
// change_group_owner, get_joined_group_list, get_role_in_group, and the
// group service's own refusals (family codes).

func TestCreateGroupTypes(t *testing.T) {
	n, _ := groupNode(t)
	cases := []struct {
		typ, stored, prefix string
		idLen               int
	}{
		{"Private", "Private", "@TGS#1", 14},
		{"Work", "Private", "@TGS#1", 14},
		{"Public", "Public", "@TGS#2", 14},
		{"ChatRoom", "ChatRoom", "@TGS#3", 14},
		{"Meeting", "ChatRoom", "@TGS#3", 14},
		{"AVChatRoom", "AVChatRoom", "@TGS#a", 14},
		{"Community", "Community", "@TGS#_@TGS#c", 24},
	}
	for _, tc := range cases {
		body := fmt.Sprintf(`{"Owner_Account":"alice","Type":%q,"Name":"n-%s"}`, tc.typ, tc.typ)
		var a createAnswer
		n.MustTIM(t, gsvc+"create_group", body).Decode(t, &a)
		if !strings.HasPrefix(a.GroupId, tc.prefix) || len(a.GroupId) != tc.idLen {
			t.Errorf("%s: GroupId %q, want %s… of %d bytes", tc.typ, a.GroupId, tc.prefix, tc.idLen)
		}
		if tc.typ == "Community" {
			if a.Type != "Community" || a.HugeGroupFlag == nil {
				t.Errorf("Community: answer Type %q HugeGroupFlag %v, want Community and a flag", a.Type, a.HugeGroupFlag)
			}
		} else if a.Type != "" || a.HugeGroupFlag != nil {
			t.Errorf("%s: answer carries Type %q / HugeGroupFlag, only Communities do", tc.typ, a.Type)
		}
		got := info(t, n, a.GroupId)
		if got.Type != tc.stored || got.Name != "n-"+tc.typ || got.Owner_Account != "alice" {
			t.Errorf("%s: info Type %q Name %q Owner %q", tc.typ, got.Type, got.Name, got.Owner_Account)
		}
		if got.NextMsgSeq != 1 || got.CreateTime != gt0 || got.InfoSeq == 0 {
			t.Errorf("%s: NextMsgSeq %d CreateTime %d InfoSeq %d, want 1, %d, > 0", tc.typ, got.NextMsgSeq, got.CreateTime, got.InfoSeq, gt0)
		}
		wantMembers := 1
		if tc.typ == "AVChatRoom" {
			wantMembers = 0 // no member storage: the owner is not a stored member
		}
		if got.MemberNum != wantMembers {
			t.Errorf("%s: MemberNum %d, want %d", tc.typ, got.MemberNum, wantMembers)
		}
	}
	// Default ApplyJoinOption: free join for Meeting, AVChatRoom and
	// Community, approval for the others.
	if o := info(t, n, groupWith(t, n, "Public", "alice")).ApplyJoinOption; o != "NeedPermission" {
		t.Errorf("Public ApplyJoinOption %q, want NeedPermission", o)
	}
	if o := info(t, n, groupWith(t, n, "Meeting", "alice")).ApplyJoinOption; o != "FreeAccess" {
		t.Errorf("Meeting ApplyJoinOption %q, want FreeAccess", o)
	}
	// An ownerless group.
	if g := info(t, n, newGroup(t, n, `{"Type":"Public","Name":"nobody's"}`)); g.Owner_Account != "" || g.MemberNum != 0 {
		t.Errorf("ownerless group: Owner %q MemberNum %d", g.Owner_Account, g.MemberNum)
	}

	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"Owner_Account":"alice","Name":"x"}`, 10004},                                               // no Type
		{`{"Owner_Account":"alice","Type":"Secret","Name":"x"}`, 10004},                               // unknown type
		{`{"Owner_Account":"alice","Type":"public","Name":"x"}`, 10004},                               // case-sensitive
		{`{"Owner_Account":"alice","Type":"Public"}`, 10004},                                          // no Name
		{`{"Owner_Account":"alice","Type":"Public","Name":""}`, 10004},                                // empty Name
		{`{"Owner_Account":"alice","Type":"Public","Name":"` + strings.Repeat("n", 31) + `"}`, 10004}, // Name > 30 B
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","Introduction":"` + strings.Repeat("i", 241) + `"}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","Notification":"` + strings.Repeat("i", 301) + `"}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","FaceUrl":"` + strings.Repeat("f", 101) + `"}`, 10004},
		{`{"Owner_Account":"ghost","Type":"Public","Name":"x"}`, 10019}, // owner not imported
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","ApplyJoinOption":"Anyone"}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","InviteJoinOption":"Anyone"}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","MaxMemberCount":0}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","MaxMemberCount":2001}`, 10004}, // over the plan's cap
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","SupportTopic":1}`, 10004},      // topics are for Communities
		{`{"Owner_Account":"alice","Type":"Community","Name":"x","SupportTopic":2}`, 10004},
		{`{"Owner_Account":"alice","Type":5,"Name":"x"}`, 10004}, // wrong JSON type
		{`{"Owner_Account":"alice","Type":"Public","Name":"x"`, 10011},
		{`[]`, 10011},
	} {
		timCode(t, n, gsvc+"create_group", tc.body, tc.code)
	}
}

func TestCreateGroupCustomID(t *testing.T) {
	n, _ := groupNode(t)
	if id := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","GroupId":"my group 1","Name":"x"}`); id != "my group 1" {
		t.Errorf("custom GroupId answered %q", id)
	}
	timCode(t, n, gsvc+"create_group", `{"Owner_Account":"alice","Type":"Public","GroupId":"my group 1","Name":"x"}`, 10025) // yours already
	timCode(t, n, gsvc+"create_group", `{"Owner_Account":"bob","Type":"Work","GroupId":"my group 1","Name":"x"}`, 10021)     // someone else's
	timCode(t, n, gsvc+"create_group", `{"Type":"Public","GroupId":"my group 1","Name":"x"}`, 10021)
	if id := newGroup(t, n, `{"Owner_Account":"alice","Type":"Community","GroupId":"@TGS#_mine","Name":"x"}`); id != "@TGS#_mine" {
		t.Errorf("custom Community GroupId answered %q", id)
	}
	if id := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","GroupId":"`+strings.Repeat("g", 48)+`","Name":"x"}`); len(id) != 48 {
		t.Errorf("48-byte GroupId answered %q", id)
	}
	for _, bad := range []string{
		`"@TGS#2ABCDEFGH"`,                  // the generated form is reserved
		`"` + strings.Repeat("g", 49) + `"`, // over 48 bytes
		`"tab\there"`,                       // not printable ASCII
		`"é"`,                               // not ASCII
		`""`,                                // empty
	} {
		timCode(t, n, gsvc+"create_group", `{"Owner_Account":"alice","Type":"Public","GroupId":`+bad+`,"Name":"x"}`, 10015)
	}
	timCode(t, n, gsvc+"create_group", `{"Owner_Account":"alice","Type":"Community","GroupId":"mine","Name":"x"}`, 10015) // Community ids start @TGS#_
	// A destroyed group's id can be used again.
	n.MustTIM(t, gsvc+"destroy_group", `{"GroupId":"my group 1"}`)
	newGroup(t, n, `{"Owner_Account":"bob","Type":"Public","GroupId":"my group 1","Name":"again"}`)
}

func TestCreateGroupMembers(t *testing.T) {
	n, _ := groupNode(t)
	// The Go SDK's member shape: legacy JoinTime, NameCard, ShutUpUntil.
	g := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","Name":"x","MaxMemberCount":500,
		"AppDefinedData":[{"Key":"level","Value":"3"}],
		"MemberList":[
			{"Member_Account":"bob","Role":"Admin","AppMemberDefinedData":[{"Key":"seat","Value":"7"}]},
			{"Member_Account":"carol","JoinTime":1631934000,"NameCard":"card","ShutUpUntil":0},
			{"Member_Account":"alice"}]}`)
	ms := members(t, n, g)
	if got := roles(ms); got != "alice:Owner bob:Admin carol:Member" {
		t.Errorf("members %s, want alice:Owner bob:Admin carol:Member", got)
	}
	for _, m := range ms {
		if m.JoinTime != gt0 || m.MsgFlag != "AcceptAndNotify" {
			t.Errorf("%s: JoinTime %d MsgFlag %q, want %d (the server's clock) and AcceptAndNotify", m.Member_Account, m.JoinTime, m.MsgFlag, gt0)
		}
	}
	if m := member(t, n, g, "bob"); len(m.AppMemberDefinedData) != 1 || m.AppMemberDefinedData[0].Key != "seat" || m.AppMemberDefinedData[0].Value != "7" {
		t.Errorf("bob's AppMemberDefinedData %+v", m.AppMemberDefinedData)
	}
	if m := member(t, n, g, "carol"); m.NameCard != "card" || m.MuteUntil != 0 {
		t.Errorf("carol: NameCard %q MuteUntil %d", m.NameCard, m.MuteUntil)
	}
	got := info(t, n, g)
	if got.MaxMemberNum != 500 || got.MemberNum != 3 || len(got.AppDefinedData) != 1 || got.AppDefinedData[0].Value != "3" {
		t.Errorf("info MaxMemberNum %d MemberNum %d AppDefinedData %+v", got.MaxMemberNum, got.MemberNum, got.AppDefinedData)
	}

	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf(`{"Member_Account":"u%d"}`, i)
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"Owner_Account":"alice","Type":"Work","Name":"x","MemberList":[{"Member_Account":"bob","Role":"Admin"}]}`, 10004}, // Work has no admins
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","MemberList":[{"Member_Account":"bob","Role":"Owner"}]}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","MemberList":[{"Member_Account":"ghost"}]}`, 10019},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","MemberList":[{"Role":"Admin"}]}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","MemberList":[` + strings.Join(many, ",") + `]}`, 10005}, // > 100
		{`{"Owner_Account":"alice","Type":"AVChatRoom","Name":"x","MemberList":[{"Member_Account":"bob"}]}`, 10007},    // no member list
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","MaxMemberCount":2,"MemberList":[{"Member_Account":"bob"},{"Member_Account":"carol"}]}`, 10014},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","MemberList":[{"Member_Account":"bob","NameCard":"` + strings.Repeat("c", 51) + `"}]}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","AppDefinedData":[{"Key":"bad-key","Value":"1"}]}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","AppDefinedData":[{"Value":"1"}]}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","AppDefinedData":[{"Key":"k","Value":"` + strings.Repeat("v", 513) + `"}]}`, 10004},
		{`{"Owner_Account":"alice","Type":"Public","Name":"x","MemberList":[{"Member_Account":"bob","AppMemberDefinedData":[{"Key":"k","Value":"` + strings.Repeat("v", 65) + `"}]}]}`, 10004},
	} {
		timCode(t, n, gsvc+"create_group", tc.body, tc.code)
	}
	kvs := make([]string, 11)
	for i := range kvs {
		kvs[i] = fmt.Sprintf(`{"Key":"k%d","Value":"v"}`, i)
	}
	timCode(t, n, gsvc+"create_group", `{"Owner_Account":"alice","Type":"Public","Name":"x","AppDefinedData":[`+strings.Join(kvs, ",")+`]}`, 10004)
	// 100 members (and the owner) are fine.
	users := make([]string, 100)
	for i := range users {
		users[i] = fmt.Sprintf("u%d", i)
	}
	importMany(t, n, users)
	big := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","Name":"x","MemberList":[`+strings.Join(many[:100], ",")+`]}`)
	if got := info(t, n, big).MemberNum; got != 101 {
		t.Errorf("MemberNum %d, want 101", got)
	}
}

func TestDestroyGroup(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	sendG(t, n, g, "alice", 1, "hi", "")
	timCode(t, n, gsvc+"destroy_group", `{}`, 10004)
	timCode(t, n, gsvc+"destroy_group", `{"GroupId":"`+strings.Repeat("x", 49)+`"}`, 10015)
	n.MustTIM(t, gsvc+"destroy_group", fmt.Sprintf(`{"GroupId":%q}`, g))
	timCode(t, n, gsvc+"destroy_group", fmt.Sprintf(`{"GroupId":%q}`, g), 10010)
	if it := groupInfo(t, n, g, ""); string(it["ErrorCode"]) != "10010" {
		t.Errorf("get_group_info of a destroyed group: %v", it)
	}
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(g, "alice", 2, "again", ""), 10010)
	timCode(t, n, gsvc+"group_msg_get_simple", fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":5}`, g), 10010)
	if u := unreadIn(t, n, "bob", g); u != -1 {
		t.Errorf("bob still lists the destroyed group")
	}
	for _, s := range contacts(t, n, "bob", 0) {
		if s.GroupId == g {
			t.Errorf("bob's conversation list still has the destroyed group")
		}
	}
}

func TestGetGroupInfo(t *testing.T) {
	n, clk := groupNode(t)
	g := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","Name":"n","Introduction":"i","Notification":"o","FaceUrl":"f",
		"MaxMemberCount":50,"ApplyJoinOption":"FreeAccess","InviteJoinOption":"DisableInvite",
		"AppDefinedData":[{"Key":"k1","Value":"v1"},{"Key":"k2","Value":"v2"}],
		"MemberList":[{"Member_Account":"bob","Role":"Admin","AppMemberDefinedData":[{"Key":"m1","Value":"a"},{"Key":"m2","Value":"b"}]}]}`)
	clk.Advance(10e9)
	sendG(t, n, g, "alice", 1, "hi", "")

	full := groupInfo(t, n, g, "")
	if !sameKeys(full, "GroupId", "ErrorCode", "ErrorInfo", "Type", "Name", "Introduction", "Notification", "FaceUrl",
		"Owner_Account", "CreateTime", "InfoSeq", "LastInfoTime", "LastMsgTime", "NextMsgSeq", "MemberNum", "MaxMemberNum",
		"ApplyJoinOption", "InviteJoinOption", "MuteAllMember", "AppDefinedData", "MemberList") {
		t.Errorf("get_group_info keys %v", keysOf(full))
	}
	it := info(t, n, g)
	if it.NextMsgSeq != 2 || it.MemberNum != 2 || it.MaxMemberNum != 50 || it.MuteAllMember != "Off" ||
		it.LastMsgTime != gt0+10 || it.CreateTime != gt0 || it.LastInfoTime != gt0 || it.ApplyJoinOption != "FreeAccess" {
		t.Errorf("info %+v", it)
	}
	if len(it.MemberList) != 2 || !sameKeys(fields(t, mustMember(t, full, 1)), "Member_Account", "Role", "JoinTime", "MsgSeq", "MsgFlag",
		"LastSendMsgTime", "MuteUntil", "ShutUpUntil", "NameCard", "AppMemberDefinedData") {
		t.Errorf("member keys %v", keysOf(fields(t, mustMember(t, full, 1))))
	}
	if m := it.MemberList[0]; m.Member_Account != "alice" || m.LastSendMsgTime != gt0+10 {
		t.Errorf("first member %+v, want the owner alice with LastSendMsgTime %d", m, gt0+10)
	}

	// With a filter, only what it lists.
	f := groupInfo(t, n, g, `,"ResponseFilter":{"GroupBaseInfoFilter":["Name","MemberNum","NextMsgSeq"]}`)
	if !sameKeys(f, "GroupId", "ErrorCode", "ErrorInfo", "Name", "MemberNum", "NextMsgSeq") {
		t.Errorf("base filter keys %v", keysOf(f))
	}
	f = groupInfo(t, n, g, `,"ResponseFilter":{"MemberInfoFilter":["Role"],"AppDefinedDataFilter_Group":["k2"]}`)
	if !sameKeys(f, "GroupId", "ErrorCode", "ErrorInfo", "MemberList", "AppDefinedData") || string(f["AppDefinedData"]) != `[{"Key":"k2","Value":"v2"}]` {
		t.Errorf("member/app filter: keys %v AppDefinedData %s", keysOf(f), f["AppDefinedData"])
	}
	if m := fields(t, mustMember(t, f, 1)); !sameKeys(m, "Member_Account", "Role") {
		t.Errorf("MemberInfoFilter [Role]: member keys %v", keysOf(m))
	}
	f = groupInfo(t, n, g, `,"ResponseFilter":{"MemberInfoFilter":["Account","NameCard"],"AppDefinedDataFilter_GroupMember":["m2"]}`)
	if m := fields(t, mustMember(t, f, 1)); !sameKeys(m, "Member_Account", "NameCard", "AppMemberDefinedData") || string(m["AppMemberDefinedData"]) != `[{"Key":"m2","Value":"b"}]` {
		t.Errorf("member app filter: %v", m)
	}

	// Several groups, per-group codes; the top level says OK.
	body := fmt.Sprintf(`{"GroupIdList":[%q,"nope","%s"]}`, g, strings.Repeat("x", 60))
	var a struct {
		GroupInfo []struct {
			GroupId   string
			ErrorCode int
			Name      string
		}
	}
	n.MustTIM(t, gsvc+"get_group_info", body).Decode(t, &a)
	if len(a.GroupInfo) != 3 || a.GroupInfo[0].ErrorCode != 0 || a.GroupInfo[0].Name != "n" ||
		a.GroupInfo[1].GroupId != "nope" || a.GroupInfo[1].ErrorCode != 10010 || a.GroupInfo[2].ErrorCode != 10015 {
		t.Errorf("mixed get_group_info: %+v", a.GroupInfo)
	}
	ids := make([]string, 51)
	for i := range ids {
		ids[i] = g
	}
	timCode(t, n, gsvc+"get_group_info", `{"GroupIdList":`+jsonList(ids...)+`}`, 10004)
	timCode(t, n, gsvc+"get_group_info", `{"GroupIdList":`+jsonList(ids[:50]...)+`}`, 0)
	timCode(t, n, gsvc+"get_group_info", `{"GroupIdList":[]}`, 10004)
	timCode(t, n, gsvc+"get_group_info", `{"GroupIdList":"x"}`, 10004)
}

// mustMember returns item i of a get_group_info item's MemberList.
func mustMember(t testing.TB, it map[string]jsontext.Value, i int) jsontext.Value {
	t.Helper()
	var list []jsontext.Value
	if err := json.Unmarshal(it["MemberList"], &list); err != nil || len(list) <= i {
		t.Fatalf("MemberList %s: no item %d", it["MemberList"], i)
	}
	return list[i]
}

func TestModifyGroupBaseInfo(t *testing.T) {
	n, clk := groupNode(t)
	g := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","Name":"n","AppDefinedData":[{"Key":"k1","Value":"v1"},{"Key":"k2","Value":"v2"}],
		"MemberList":[{"Member_Account":"bob"},{"Member_Account":"carol"}]}`)
	before := info(t, n, g)
	clk.Advance(5e9)
	n.MustTIM(t, gsvc+"modify_group_base_info", fmt.Sprintf(`{"GroupId":%q,"Name":"new","Introduction":"intro","Notification":"notice",
		"FaceUrl":"http://f","MaxMemberNum":100,"ApplyJoinOption":"DisableApply","MuteAllMember":"On",
		"AppDefinedData":[{"Key":"k1","Value":""},{"Key":"k2","Value":"w"},{"Key":"k3","Value":"x"}]}`, g))
	after := info(t, n, g)
	if after.Name != "new" || after.Introduction != "intro" || after.Notification != "notice" || after.FaceUrl != "http://f" ||
		after.MaxMemberNum != 100 || after.ApplyJoinOption != "DisableApply" || after.MuteAllMember != "On" {
		t.Errorf("after modify: %+v", after)
	}
	if after.InfoSeq <= before.InfoSeq || after.LastInfoTime != gt0+5 {
		t.Errorf("InfoSeq %d → %d, LastInfoTime %d; want a rise and %d", before.InfoSeq, after.InfoSeq, after.LastInfoTime, gt0+5)
	}
	if kv := fmt.Sprint(after.AppDefinedData); kv != "[{k2 w} {k3 x}]" {
		t.Errorf("AppDefinedData %s, want k1 deleted, k2 changed, k3 added", kv)
	}
	// The legacy name of MuteAllMember.
	n.MustTIM(t, gsvc+"modify_group_base_info", fmt.Sprintf(`{"GroupId":%q,"ShutUpAllMember":"Off"}`, g))
	if m := info(t, n, g).MuteAllMember; m != "Off" {
		t.Errorf("ShutUpAllMember Off: MuteAllMember %q", m)
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{`"MuteAllMember":"on"`, 10004},
		{`"Name":""`, 10004},
		{`"Name":"` + strings.Repeat("n", 31) + `"`, 10004},
		{`"MaxMemberNum":2`, 10004}, // below the 3 members
		{`"MaxMemberNum":0`, 10004},
		{`"ApplyJoinOption":"Whatever"`, 10004},
		{`"AppDefinedData":[{"Key":"bad key","Value":"v"}]`, 10004},
		{`"Name":7`, 10004},
	} {
		timCode(t, n, gsvc+"modify_group_base_info", fmt.Sprintf(`{"GroupId":%q,%s}`, g, tc.body), tc.code)
	}
	timCode(t, n, gsvc+"modify_group_base_info", `{"GroupId":"nope","Name":"x"}`, 10010)
	timCode(t, n, gsvc+"modify_group_base_info", `{"Name":"x"}`, 10004)
}

func TestChangeGroupOwner(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	n.MustTIM(t, gsvc+"change_group_owner", fmt.Sprintf(`{"GroupId":%q,"NewOwner_Account":"bob"}`, g))
	if r := roles(members(t, n, g)); r != "bob:Owner alice:Member" {
		t.Errorf("after change_group_owner: %s", r)
	}
	if o := info(t, n, g).Owner_Account; o != "bob" {
		t.Errorf("Owner_Account %q, want bob", o)
	}
	timCode(t, n, gsvc+"change_group_owner", fmt.Sprintf(`{"GroupId":%q,"NewOwner_Account":"dave"}`, g), 10019) // not a member
	timCode(t, n, gsvc+"change_group_owner", fmt.Sprintf(`{"GroupId":%q}`, g), 10004)
	timCode(t, n, gsvc+"change_group_owner", `{"GroupId":"nope","NewOwner_Account":"bob"}`, 10010)
	// AVChatRoom: any imported account may own it.
	av := groupWith(t, n, "AVChatRoom", "alice")
	n.MustTIM(t, gsvc+"change_group_owner", fmt.Sprintf(`{"GroupId":%q,"NewOwner_Account":"carol"}`, av))
	if o := info(t, n, av).Owner_Account; o != "carol" {
		t.Errorf("AVChatRoom owner %q, want carol", o)
	}
	timCode(t, n, gsvc+"change_group_owner", fmt.Sprintf(`{"GroupId":%q,"NewOwner_Account":"ghost"}`, av), 10019)
}

func TestGetJoinedGroupList(t *testing.T) {
	n, _ := groupNode(t)
	pub := groupWith(t, n, "Public", "alice", "bob")
	work := groupWith(t, n, "Work", "alice", "bob")
	meet := groupWith(t, n, "Meeting", "bob")
	groupWith(t, n, "Public", "alice") // bob is not in it
	sendG(t, n, pub, "alice", 1, "one", "")
	sendG(t, n, pub, "alice", 2, "two", "")

	type item struct {
		GroupId  string
		Type     string
		Name     string
		SelfInfo *struct {
			Role         string
			JoinTime     int64
			MsgFlag      string
			UnreadMsgNum int
		}
	}
	type answer struct {
		TotalCount  int
		GroupIdList []item
	}
	list := func(body string) answer {
		t.Helper()
		var a answer
		n.MustTIM(t, gsvc+"get_joined_group_list", body).Decode(t, &a)
		return a
	}
	a := list(`{"Member_Account":"bob"}`)
	if a.TotalCount != 3 || len(a.GroupIdList) != 3 {
		t.Fatalf("bob's groups: %+v", a)
	}
	for _, it := range a.GroupIdList {
		if it.Type != "" || it.SelfInfo != nil {
			t.Errorf("without a filter only GroupId is listed: %+v", it)
		}
	}
	if a := list(`{"Member_Account":"bob","GroupType":"Public"}`); a.TotalCount != 1 || a.GroupIdList[0].GroupId != pub {
		t.Errorf("GroupType Public: %+v", a)
	}
	if a := list(`{"Member_Account":"bob","GroupType":"Work"}`); a.TotalCount != 1 || a.GroupIdList[0].GroupId != work {
		t.Errorf("GroupType Work: %+v", a)
	}
	if a := list(`{"Member_Account":"bob","GroupType":"ChatRoom"}`); a.TotalCount != 1 || a.GroupIdList[0].GroupId != meet {
		t.Errorf("GroupType ChatRoom: %+v", a)
	}
	page := list(`{"Member_Account":"bob","Limit":1,"Offset":1}`)
	if page.TotalCount != 3 || len(page.GroupIdList) != 1 || page.GroupIdList[0].GroupId != a.GroupIdList[1].GroupId {
		t.Errorf("Limit 1 Offset 1: %+v", page)
	}
	if p := list(`{"Member_Account":"bob","Limit":5,"Offset":7}`); p.TotalCount != 3 || len(p.GroupIdList) != 0 {
		t.Errorf("Offset past the end: %+v", p)
	}
	f := list(`{"Member_Account":"bob","GroupType":"Public","ResponseFilter":{"GroupBaseInfoFilter":["Type","Name"],"SelfInfoFilter":["Role","JoinTime","MsgFlag","UnreadMsgNum"]}}`)
	if len(f.GroupIdList) != 1 {
		t.Fatalf("filtered: %+v", f)
	}
	if it := f.GroupIdList[0]; it.Type != "Public" || it.Name != "g" || it.SelfInfo == nil || it.SelfInfo.Role != "Member" ||
		it.SelfInfo.JoinTime != gt0 || it.SelfInfo.MsgFlag != "AcceptAndNotify" || it.SelfInfo.UnreadMsgNum != 2 {
		t.Errorf("filtered item %+v (SelfInfo %+v)", it, it.SelfInfo)
	}
	timCode(t, n, gsvc+"get_joined_group_list", `{}`, 10004)
	timCode(t, n, gsvc+"get_joined_group_list", `{"Member_Account":"ghost"}`, 10019)
	timCode(t, n, gsvc+"get_joined_group_list", `{"Member_Account":"bob","GroupType":"Secret"}`, 10004)
	timCode(t, n, gsvc+"get_joined_group_list", `{"Member_Account":"bob","Limit":-1}`, 10004)
}

func TestGetRoleInGroup(t *testing.T) {
	n, _ := groupNode(t)
	g := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","Name":"x","MemberList":[{"Member_Account":"bob","Role":"Admin"},{"Member_Account":"carol"}]}`)
	var a struct {
		UserIdList []struct{ Member_Account, Role string }
	}
	n.MustTIM(t, gsvc+"get_role_in_group", fmt.Sprintf(`{"GroupId":%q,"User_Account":["alice","bob","carol","dave","ghost"]}`, g)).Decode(t, &a)
	if got := fmt.Sprint(a.UserIdList); got != "[{alice Owner} {bob Admin} {carol Member} {dave NotMember} {ghost NotMember}]" {
		t.Errorf("roles %s", got)
	}
	timCode(t, n, gsvc+"get_role_in_group", fmt.Sprintf(`{"GroupId":%q}`, g), 10004)
	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	timCode(t, n, gsvc+"get_role_in_group", fmt.Sprintf(`{"GroupId":%q,"User_Account":%s}`, g, jsonList(many...)), 10005)
	timCode(t, n, gsvc+"get_role_in_group", `{"GroupId":"nope","User_Account":["alice"]}`, 10010)
}

// TestGroupServiceRefusals covers the group family's own codes.
func TestGroupServiceRefusals(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice")
	timCode(t, n, gsvc+"no_such_command", `{}`, 10003)
	timCode(t, n, msvc+"no_such_command", `{}`, 10003)
	timCode(t, n, gsvc+"get_group_info", `{"GroupIdList":[`, 10011)
	timCode(t, n, gsvc+"get_group_info", `not json`, 10011)
	timCode(t, n, gsvc+"destroy_group", `{"GroupId":7}`, 10004)
	// A caller that is not an app admin.
	r := envelopeOf(t, "destroy_group as alice", do(t, n, "POST", commandURL(n, gsvc+"destroy_group", userQuery(t, n, "alice")),
		[]byte(fmt.Sprintf(`{"GroupId":%q}`, g)), nil))
	wantCode(t, "destroy_group as alice", r, 10007)
	r = envelopeOf(t, "modify_group_msg as alice", do(t, n, "POST", commandURL(n, "openim/modify_group_msg", userQuery(t, n, "alice")),
		[]byte(fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"CloudCustomData":"x"}`, g)), nil))
	wantCode(t, "modify_group_msg as alice", r, 90009)
}
