package tim_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/parleytest"
)

// v4/group_open_http_svc/send_group_msg (seed 001, reference §3.4.2) and
// send_group_system_notification.

// seedBody is the seed's message body: a text and a face whose Data holds
// escaped control characters.
const seedBody = `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"red packet"}},{"MsgType":"TIMFaceElem","MsgContent":{"Index":6,"Data":"abc\u0000\u0001"}}]`

// seedPush is the seed's OfflinePushInfo.
const seedPush = `{"PushFlag":0,"Desc":"离线推送内容","Ext":"这是透传的内容","AndroidInfo":{"Sound":"android.mp3"},
	"ApnsInfo":{"Sound":"apns.mp3","BadgeMode":1,"Title":"apns title","SubTitle":"apns subtitle","Image":"www.image.com"}}`

// TestSendGroupMsgSeedForms sends each request form of the seed.
func TestSendGroupMsgSeedForms(t *testing.T) {
	n, clk := groupNode(t)
	g := newGroup(t, n, `{"Owner_Account":"alice","Type":"Public","Name":"seed","MemberList":[{"Member_Account":"bob"},{"Member_Account":"carol"},{"Member_Account":"dave"}]}`)
	send := func(body string) groupSent {
		t.Helper()
		var a groupSent
		r := n.MustTIM(t, gsvc+"send_group_msg", body)
		r.Decode(t, &a)
		if !strings.Contains(string(r.Raw), `"MsgTime"`) || !strings.Contains(string(r.Raw), `"MsgSeq"`) {
			t.Errorf("answer %s lacks MsgTime or MsgSeq", r.Raw)
		}
		clk.Advance(time.Second)
		return a
	}
	// The basic form: the app admin sends.
	base := send(fmt.Sprintf(`{"GroupId":%q,"Random":8912345,"MsgBody":%s,"CloudCustomData":"your cloud custom data",
		"SupportMessageExtension":0,"OfflinePushInfo":%s}`, g, seedBody, seedPush))
	if base.MsgSeq != 1 || base.MsgTime != gt0 || base.MsgDropReason != "" {
		t.Errorf("base form: %+v, want MsgSeq 1 at %d", base, gt0)
	}
	// A member as sender.
	if a := send(fmt.Sprintf(`{"GroupId":%q,"From_Account":"bob","Random":8912345,"MsgBody":%s}`, g, seedBody)); a.MsgSeq != 2 {
		t.Errorf("From_Account form: MsgSeq %d, want 2", a.MsgSeq)
	}
	// Chosen receivers.
	if a := send(fmt.Sprintf(`{"GroupId":%q,"Random":2784275388,"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"1cddddddddq1"}}],"To_Account":["bob","carol"]}`, g)); a.MsgSeq != 3 {
		t.Errorf("To_Account form: MsgSeq %d, want 3", a.MsgSeq)
	}
	// No conversation update.
	if a := send(fmt.Sprintf(`{"GroupId":%q,"Random":8912346,"SendMsgControl":["NoLastMsg"],"MsgBody":%s}`, g, seedBody)); a.MsgSeq != 4 {
		t.Errorf("NoLastMsg form: MsgSeq %d, want 4", a.MsgSeq)
	}
	// Priority.
	if a := send(fmt.Sprintf(`{"GroupId":%q,"Random":8912347,"MsgPriority":"High","MsgBody":%s}`, g, seedBody)); a.MsgSeq != 5 {
		t.Errorf("MsgPriority form: MsgSeq %d, want 5", a.MsgSeq)
	}
	// No callbacks.
	if a := send(fmt.Sprintf(`{"GroupId":%q,"Random":8912348,"ForbidCallbackControl":["ForbidBeforeSendMsgCallback","ForbidAfterSendMsgCallback"],"MsgBody":%s}`, g, seedBody)); a.MsgSeq != 6 {
		t.Errorf("ForbidCallbackControl form: MsgSeq %d, want 6", a.MsgSeq)
	}
	// @-mentions, in the order of the text's marks.
	if a := send(fmt.Sprintf(`{"GroupId":%q,"Random":8912349,"MsgBody":%s,"GroupAtInfo":[{"GroupAtAllFlag":1},
		{"GroupAtAllFlag":0,"GroupAt_Account":"carol"},{"GroupAtAllFlag":0,"GroupAt_Account":"dave"}]}`, g, textBody("red @all @carol @dave packet"))); a.MsgSeq != 7 {
		t.Errorf("GroupAtInfo form: MsgSeq %d, want 7", a.MsgSeq)
	}
	// Online only: delivered to whoever is online, never stored, no seq.
	if a := send(fmt.Sprintf(`{"GroupId":%q,"Random":8912350,"OnlineOnlyFlag":1,"MsgBody":%s}`, g, seedBody)); a.MsgSeq != 0 || a.MsgTime == 0 {
		t.Errorf("OnlineOnlyFlag form: %+v, want MsgSeq 0 and a MsgTime", a)
	}
	if a := send(groupMsgBody(g, "alice", 1, "after", "")); a.MsgSeq != 8 {
		t.Errorf("after the online-only message: MsgSeq %d, want 8 (no gap)", a.MsgSeq)
	}

	h := groupHistory(t, n, g, "")
	if got := seqList(h.RspMsgList); !slices.Equal(got, []uint64{8, 7, 6, 5, 4, 3, 2, 1}) {
		t.Fatalf("history seqs %v, want 8..1 newest first", got)
	}
	first := h.RspMsgList[7]
	if first.From_Account != parleytest.Admin || first.MsgRandom != 8912345 || first.MsgPriority != 2 ||
		first.CloudCustomData != "your cloud custom data" || first.MsgTimeStamp != gt0 || first.IsPlaceMsg != 0 || first.IsSystemMsg != 0 {
		t.Errorf("seq 1 in history: %+v", first)
	}
	if !strings.Contains(string(first.MsgBody), `"Data":"abc\u0000\u0001"`) || !strings.Contains(string(first.MsgBody), "TIMFaceElem") {
		t.Errorf("seq 1 body %s, want the seed's body with its escapes", first.MsgBody)
	}
	if m := h.RspMsgList[6]; m.From_Account != "bob" {
		t.Errorf("seq 2 From_Account %q, want bob", m.From_Account)
	}
	if m := h.RspMsgList[3]; m.MsgPriority != 1 {
		t.Errorf("seq 5 MsgPriority %d, want 1 (High)", m.MsgPriority)
	}
}

func TestSendGroupMsgFields(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob", "carol")
	sendG(t, n, g, "bob", 1, "low", `,"MsgPriority":"Low"`)
	sendG(t, n, g, "bob", 2, "normal", `,"MsgPriority":"Normal","CloudCustomData":"ccd","NeedReadReceipt":1,"SupportMessageExtension":1`)
	h := groupHistory(t, n, g, "")
	if len(h.RspMsgList) != 2 || h.RspMsgList[1].MsgPriority != 3 || h.RspMsgList[0].MsgPriority != 2 || h.RspMsgList[0].CloudCustomData != "ccd" {
		t.Errorf("priorities and custom data in history: %+v", h.RspMsgList)
	}
	tooLong := strings.Repeat("x", core.MaxMessageBytes)
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	ats := make([]string, 31)
	for i := range ats {
		ats[i] = `{"GroupAtAllFlag":0,"GroupAt_Account":"bob"}`
	}
	for _, tc := range []struct {
		name, body string
		code       int
	}{
		{"no GroupId", `{"Random":1,"MsgBody":` + textBody("x") + `}`, 10004},
		{"bad GroupId", `{"GroupId":"","Random":1,"MsgBody":` + textBody("x") + `}`, 10015},
		{"no such group", groupMsgBody("nope", "alice", 1, "x", ""), 10010},
		{"no Random", fmt.Sprintf(`{"GroupId":%q,"MsgBody":%s}`, g, textBody("x")), 10004},
		{"Random not a number", fmt.Sprintf(`{"GroupId":%q,"Random":"1","MsgBody":%s}`, g, textBody("x")), 10004},
		{"Random over 32 bits", fmt.Sprintf(`{"GroupId":%q,"Random":4294967296,"MsgBody":%s}`, g, textBody("x")), 10004},
		{"no MsgBody", fmt.Sprintf(`{"GroupId":%q,"Random":1}`, g), 10004},
		{"MsgBody not an array", fmt.Sprintf(`{"GroupId":%q,"Random":1,"MsgBody":{}}`, g), 10004},
		{"MsgBody empty", fmt.Sprintf(`{"GroupId":%q,"Random":1,"MsgBody":[]}`, g), 10004},
		{"unknown element", fmt.Sprintf(`{"GroupId":%q,"Random":1,"MsgBody":[{"MsgType":"TIMMagicElem","MsgContent":{}}]}`, g), 10004},
		{"bad element content", fmt.Sprintf(`{"GroupId":%q,"Random":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":5}}]}`, g), 10004},
		{"priority case", groupMsgBody(g, "alice", 1, "x", `,"MsgPriority":"high"`), 10004},
		{"priority unknown", groupMsgBody(g, "alice", 1, "x", `,"MsgPriority":"Lowest"`), 10004},
		{"sender not imported", groupMsgBody(g, "ghost", 1, "x", ""), 10019},
		{"sender not a member", groupMsgBody(g, "dave", 1, "x", ""), 10007},
		{"bad OfflinePushInfo", groupMsgBody(g, "alice", 1, "x", `,"OfflinePushInfo":{"PushFlag":"no"}`), 10004},
		{"SupportMessageExtension 2", groupMsgBody(g, "alice", 1, "x", `,"SupportMessageExtension":2`), 10004},
		{"NeedReadReceipt 2", groupMsgBody(g, "alice", 1, "x", `,"NeedReadReceipt":2`), 10004},
		{"OnlineOnlyFlag with SendMsgControl", groupMsgBody(g, "alice", 1, "x", `,"OnlineOnlyFlag":1,"SendMsgControl":["NoUnread"]`), 10004},
		{"OnlineOnlyFlag negative", groupMsgBody(g, "alice", 1, "x", `,"OnlineOnlyFlag":-1`), 10004},
		{"To_Account empty", groupMsgBody(g, "alice", 1, "x", `,"To_Account":[]`), 10004},
		{"To_Account over 50", groupMsgBody(g, "alice", 1, "x", `,"To_Account":`+jsonList(many...)), 10004},
		{"TopicId outside a Community", groupMsgBody(g, "alice", 1, "x", `,"TopicId":"t"`), 10004},
		{"over 30 @", groupMsgBody(g, "alice", 1, "x", `,"GroupAtInfo":[`+strings.Join(ats, ",")+`]`), 10053},
		{"@ flag 2", groupMsgBody(g, "alice", 1, "x", `,"GroupAtInfo":[{"GroupAtAllFlag":2}]`), 10004},
		{"@ nobody", groupMsgBody(g, "alice", 1, "x", `,"GroupAtInfo":[{"GroupAtAllFlag":0}]`), 10004},
		{"over 12 KB", groupMsgBody(g, "alice", 1, tooLong, ""), 80002},
		{"over 12 KB with custom data", groupMsgBody(g, "alice", 1, strings.Repeat("x", core.MaxMessageBytes-100), `,"CloudCustomData":"`+strings.Repeat("c", 200)+`"`), 80002},
	} {
		r := n.TIM(t, gsvc+"send_group_msg", tc.body)
		wantCode(t, tc.name, r, tc.code)
	}
	// Exactly 30 mentions are fine.
	sendG(t, n, g, "alice", 9, "thirty", `,"GroupAtInfo":[`+strings.Join(ats[:30], ",")+`]`)
	if h := groupHistory(t, n, g, ""); len(h.RspMsgList) != 3 {
		t.Errorf("refused sends were stored: %v", seqList(h.RspMsgList))
	}
}

// TestGroupMsgSeq: MsgSeq rises by 1 from 1 in each group; system
// notifications take seqs too.
func TestGroupMsgSeq(t *testing.T) {
	n, _ := groupNode(t)
	a := groupWith(t, n, "Public", "alice", "bob")
	b := groupWith(t, n, "Work", "alice", "bob")
	for i, want := range []uint64{1, 2, 3} {
		if s := sendG(t, n, a, "alice", i, fmt.Sprint("a", i), ""); s.MsgSeq != want {
			t.Errorf("group a send %d: MsgSeq %d, want %d", i, s.MsgSeq, want)
		}
	}
	if s := sendG(t, n, b, "bob", 0, "b0", ""); s.MsgSeq != 1 {
		t.Errorf("group b's first MsgSeq %d, want 1", s.MsgSeq)
	}
	n.MustTIM(t, gsvc+"send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"Content":"notice"}`, a))
	if s := sendG(t, n, a, "alice", 9, "after notice", ""); s.MsgSeq != 5 {
		t.Errorf("after a system notification: MsgSeq %d, want 5", s.MsgSeq)
	}
	if got := info(t, n, a).NextMsgSeq; got != 6 {
		t.Errorf("NextMsgSeq %d, want 6", got)
	}
}

// TestGroupMsgRandomDedup: the same sender, content and Random within five
// minutes is the same message.
func TestGroupMsgRandomDedup(t *testing.T) {
	n, clk := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	first := sendG(t, n, g, "alice", 7, "hello", "")
	if again := sendG(t, n, g, "alice", 7, "hello", ""); again.MsgSeq != first.MsgSeq {
		t.Errorf("resend: MsgSeq %d, want the first's %d", again.MsgSeq, first.MsgSeq)
	}
	if other := sendG(t, n, g, "alice", 7, "other text", ""); other.MsgSeq != 2 {
		t.Errorf("same Random, other content: MsgSeq %d, want 2", other.MsgSeq)
	}
	if other := sendG(t, n, g, "alice", 7, "hello", `,"CloudCustomData":"x"`); other.MsgSeq != 3 {
		t.Errorf("same Random and body, other custom data: MsgSeq %d, want 3", other.MsgSeq)
	}
	if other := sendG(t, n, g, "bob", 7, "hello", ""); other.MsgSeq != 4 {
		t.Errorf("same Random and content, other sender: MsgSeq %d, want 4", other.MsgSeq)
	}
	if other := sendG(t, n, g, "alice", 8, "hello", ""); other.MsgSeq != 5 {
		t.Errorf("other Random: MsgSeq %d, want 5", other.MsgSeq)
	}
	clk.Advance(299 * time.Second)
	if again := sendG(t, n, g, "alice", 7, "hello", ""); again.MsgSeq != first.MsgSeq {
		t.Errorf("resend after 299 s: MsgSeq %d, want %d", again.MsgSeq, first.MsgSeq)
	}
	clk.Advance(2 * time.Second)
	if later := sendG(t, n, g, "alice", 7, "hello", ""); later.MsgSeq != 6 {
		t.Errorf("resend after 301 s: MsgSeq %d, want a new message (6)", later.MsgSeq)
	}
	if got := seqList(groupHistory(t, n, g, "").RspMsgList); !slices.Equal(got, []uint64{6, 5, 4, 3, 2, 1}) {
		t.Errorf("history %v: duplicates were stored", got)
	}
}

// TestGroupFrequencyControl: 40 messages a second per group; over it,
// lower priorities are dropped first and the answer says MsgFreqCtrl.
func TestGroupFrequencyControl(t *testing.T) {
	n, _ := groupNode(t) // the clock stands still: every send is in one second
	burst := func(g, priority string, count int) (stored, dropped int) {
		t.Helper()
		for i := range count {
			a := sendG(t, n, g, "alice", i, fmt.Sprint(priority, i), `,"MsgPriority":"`+priority+`"`)
			switch {
			case a.MsgDropReason == "MsgFreqCtrl" && a.MsgSeq == 0:
				dropped++
			case a.MsgDropReason == "" && a.MsgSeq == uint64(stored+1):
				stored++
			default:
				t.Fatalf("%s send %d: %+v", priority, i, a)
			}
		}
		return stored, dropped
	}
	normal := groupWith(t, n, "Public", "alice")
	if s, d := burst(normal, "Normal", 60); s != 40 || d != 20 {
		t.Errorf("60 Normal: %d stored, %d dropped; want 40 and 20", s, d)
	}
	if got := info(t, n, normal).NextMsgSeq; got != 41 {
		t.Errorf("NextMsgSeq %d after the Normal burst, want 41", got)
	}
	if got := len(groupHistory(t, n, normal, `,"ReqMsgSeq":40`).RspMsgList); got != 20 {
		t.Errorf("history page: %d", got)
	}
	high := groupWith(t, n, "Public", "alice")
	if s, d := burst(high, "High", 90); s != 80 || d != 10 {
		t.Errorf("90 High: %d stored, %d dropped; want 80 and 10", s, d)
	}
	low := groupWith(t, n, "Public", "alice")
	if s, d := burst(low, "Low", 40); s != 30 || d != 10 {
		t.Errorf("40 Low: %d stored, %d dropped; want 30 and 10", s, d)
	}
	// At 30 in a second, Low is dropped while Normal and High still go.
	mixed := groupWith(t, n, "Public", "alice")
	burst(mixed, "Normal", 30)
	if a := sendG(t, n, mixed, "alice", 100, "low", `,"MsgPriority":"Low"`); a.MsgDropReason != "MsgFreqCtrl" {
		t.Errorf("Low at 30/s: %+v, want dropped", a)
	}
	if a := sendG(t, n, mixed, "alice", 101, "normal", ""); a.MsgDropReason != "" || a.MsgSeq != 31 {
		t.Errorf("Normal at 30/s: %+v, want MsgSeq 31", a)
	}
	if a := sendG(t, n, mixed, "alice", 102, "high", `,"MsgPriority":"High"`); a.MsgDropReason != "" || a.MsgSeq != 32 {
		t.Errorf("High at 31/s: %+v, want MsgSeq 32", a)
	}
	// Groups are independent.
	if a := sendG(t, n, groupWith(t, n, "Public", "alice"), "alice", 1, "fresh", ""); a.MsgSeq != 1 {
		t.Errorf("another group: %+v", a)
	}
}

// TestGroupMsgTargeted: To_Account messages are stored, reach only their
// receivers (and the sender) and count no unread.
func TestGroupMsgTargeted(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob", "carol")
	sent := sendG(t, n, g, "alice", 1, "psst", `,"To_Account":["bob"]`)
	h := groupHistory(t, n, g, "")
	if len(h.RspMsgList) != 1 || h.RspMsgList[0].MsgSeq != sent.MsgSeq || textOf(h.RspMsgList[0].MsgBody) != "psst" {
		t.Fatalf("the admin's history: %+v, want the targeted message", h.RspMsgList)
	}
	for user, want := range map[string]int{"bob": 1, "carol": 0, "alice": 1} {
		page, err := n.Service.GroupHistory(context.Background(), core.GroupHistoryRequest{
			App: parleytest.AppID, Group: g, Limit: 20, ForMember: user})
		if err != nil || len(page.Messages) != want {
			t.Errorf("%s sees %d messages (%v), want %d", user, len(page.Messages), err, want)
		}
	}
	if u := unreadIn(t, n, "bob", g); u != 0 {
		t.Errorf("bob's unread %d after a targeted message, want 0", u)
	}
	// Work and Meeting take receivers; Community and AVChatRoom do not.
	sendG(t, n, groupWith(t, n, "Work", "alice", "bob"), "alice", 1, "w", `,"To_Account":["bob"]`)
	sendG(t, n, groupWith(t, n, "Meeting", "alice", "bob"), "alice", 1, "m", `,"To_Account":["bob"]`)
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(groupWith(t, n, "Community", "alice", "bob"), "alice", 1, "c", `,"To_Account":["bob"]`), 10007)
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(groupWith(t, n, "AVChatRoom", "alice"), "", 1, "a", `,"To_Account":["bob"]`), 10007)
}

// TestGroupMsgOnlineOnly: online-only messages are never stored, under
// either name of the flag.
func TestGroupMsgOnlineOnly(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	if a := sendG(t, n, g, "alice", 1, "typing", `,"OnlineOnlyFlag":1`); a.MsgSeq != 0 {
		t.Errorf("OnlineOnlyFlag: %+v", a)
	}
	if a := sendG(t, n, g, "alice", 2, "typing", `,"OnlineOnlyFlag":7`); a.MsgSeq != 0 {
		t.Errorf("OnlineOnlyFlag 7 (any value above 0): %+v", a)
	}
	// The dobyte Go SDK's name, with its SendMsgControl (dropped, not refused).
	if a := sendG(t, n, g, "alice", 3, "typing", `,"MsgOnlineOnlyFlag":1,"SendMsgControl":["NoLastMsg"]`); a.MsgSeq != 0 {
		t.Errorf("MsgOnlineOnlyFlag: %+v", a)
	}
	if h := groupHistory(t, n, g, ""); len(h.RspMsgList) != 0 {
		t.Errorf("online-only messages stored: %v", seqList(h.RspMsgList))
	}
	if u := unreadIn(t, n, "bob", g); u != 0 {
		t.Errorf("online-only messages counted: %d", u)
	}
	if a := sendG(t, n, g, "alice", 4, "stored", ""); a.MsgSeq != 1 {
		t.Errorf("first stored message: MsgSeq %d", a.MsgSeq)
	}
}

// TestSendGroupSystemNotification: stored with a seq, marked as a system
// message, counting no unread; ToMembers_Account narrows it.
func TestSendGroupSystemNotification(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob", "carol")
	sendG(t, n, g, "alice", 1, "hi", "")
	n.MustTIM(t, gsvc+"send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"Content":"welcome"}`, g))
	n.MustTIM(t, gsvc+"send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"ToMembers_Account":["bob"],"Content":"just bob"}`, g))
	h := groupHistory(t, n, g, "")
	if got := seqList(h.RspMsgList); !slices.Equal(got, []uint64{3, 2, 1}) {
		t.Fatalf("history %v", got)
	}
	if m := h.RspMsgList[1]; m.IsSystemMsg != 1 || !strings.Contains(string(m.MsgBody), "welcome") {
		t.Errorf("notification in history: %+v", m)
	}
	if u := unreadIn(t, n, "carol", g); u != 1 {
		t.Errorf("carol's unread %d, want 1 (notifications count none)", u)
	}
	page, _ := n.Service.GroupHistory(context.Background(), core.GroupHistoryRequest{App: parleytest.AppID, Group: g, Limit: 20, ForMember: "carol"})
	if len(page.Messages) != 2 {
		t.Errorf("carol sees %d messages, want 2 (not bob's notification)", len(page.Messages))
	}
	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	av := groupWith(t, n, "AVChatRoom", "alice")
	n.MustTIM(t, gsvc+"send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"Content":"to the room"}`, av))
	for _, tc := range []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"GroupId":%q}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"Content":""}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"Content":"x","ToMembers_Account":%s}`, g, jsonList(many...)), 10005},
		{fmt.Sprintf(`{"GroupId":%q,"Content":"x","ToMembers_Account":["bob"]}`, av), 10004}, // AVChatRoom: everyone
		{fmt.Sprintf(`{"GroupId":%q,"Content":"x","TopicId":"t"}`, g), 10004},
		{`{"GroupId":"nope","Content":"x"}`, 10010},
	} {
		timCode(t, n, gsvc+"send_group_system_notification", tc.body, tc.code)
	}
}

// TestGroupTypeDifferences: what each type allows that the others do not.
func TestGroupTypeDifferences(t *testing.T) {
	n, _ := groupNode(t)
	// AVChatRoom: anyone speaks, messages are numbered but never stored.
	av := groupWith(t, n, "AVChatRoom", "alice")
	if a := sendG(t, n, av, "", 1, "live", ""); a.MsgSeq != 1 {
		t.Errorf("AVChatRoom first MsgSeq %d", a.MsgSeq)
	}
	if a := sendG(t, n, av, "bob", 2, "from the crowd", ""); a.MsgSeq != 2 {
		t.Errorf("AVChatRoom second MsgSeq %d", a.MsgSeq)
	}
	n.MustTIM(t, gsvc+"modify_group_base_info", fmt.Sprintf(`{"GroupId":%q,"Name":"renamed"}`, av))
	if it := info(t, n, av); it.NextMsgSeq != 3 || it.LastMsgTime != gt0 {
		t.Errorf("AVChatRoom NextMsgSeq %d LastMsgTime %d after two sends, want 3 and %d", it.NextMsgSeq, it.LastMsgTime, gt0)
	}
	for _, tc := range []struct {
		cmd, body string
		code      int
	}{
		{gsvc + "group_msg_get_simple", fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":10}`, av), 10044},
		{gsvc + "group_msg_recall", fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"MsgSeq":1}]}`, av), 10033},
		{gsvc + "import_group_msg", fmt.Sprintf(`{"GroupId":%q,"MsgList":[{"From_Account":"alice","SendTime":%d,"MsgBody":%s}]}`, av, gt0-1, textBody("x")), 10007},
		{gsvc + "add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"bob"}]}`, av), 10007},
		{gsvc + "get_group_member_info", fmt.Sprintf(`{"GroupId":%q}`, av), 10007},
		{gsvc + "send_group_msg", groupMsgBody(av, "", 3, "x", `,"OnlineOnlyFlag":1`), 10004},
		{gsvc + "send_group_msg", groupMsgBody(av, "", 3, "x", `,"SendMsgControl":["NoLastMsg"]`), 10004},
		{gsvc + "send_group_msg", groupMsgBody(av, "", 3, "x", `,"GroupAtInfo":[{"GroupAtAllFlag":1}]`), 10004},
		{gsvc + "delete_group_msg_by_sender", fmt.Sprintf(`{"GroupId":%q,"Sender_Account":"alice"}`, av), 10007},
		{gsvc + "group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"From_Account":"bob","MsgSeqList":[{"MsgSeq":1}]}`, av), 10007},
		{"openim/modify_group_msg", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"CloudCustomData":"x"}`, av), 20001},
		{"openim_msg_ext_http_svc/group_get_key_values", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1}`, av), 10004},
	} {
		timCode(t, n, tc.cmd, tc.body, tc.code)
	}
	// The legacy online-only flag is nothing special in a room where every
	// message is online only.
	if a := sendG(t, n, av, "", 4, "legacy", `,"MsgOnlineOnlyFlag":1`); a.MsgSeq != 3 {
		t.Errorf("AVChatRoom with MsgOnlineOnlyFlag: %+v", a)
	}
	// Work: no admins, no mute (TestModifyGroupMemberInfo, TestForbidSendMsg).
	// Meeting: messages count no unread (TestGroupConversations).
}
