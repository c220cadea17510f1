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

// Group history and its changes: group_msg_get_simple, group_msg_recall,
// import_group_msg, v4/openim/modify_group_msg, clear_group_msg,
// delete_group_msg_by_sender.

func TestGroupMsgGetSimple(t *testing.T) {
	n, clk := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	for i := 1; i <= 25; i++ {
		from := "alice"
		if i%2 == 0 {
			from = "bob"
		}
		sendG(t, n, g, from, 1000+i, fmt.Sprint("m", i), fmt.Sprintf(`,"CloudCustomData":"c%d"`, i))
		clk.Advance(time.Second)
	}
	first := groupHistory(t, n, g, "")
	if first.GroupId != g || first.IsFinished != 0 || len(first.RspMsgList) != 20 {
		t.Fatalf("first page: GroupId %q IsFinished %d, %d messages", first.GroupId, first.IsFinished, len(first.RspMsgList))
	}
	if got := seqList(first.RspMsgList); got[0] != 25 || got[19] != 6 {
		t.Errorf("first page seqs %v, want 25..6", got)
	}
	m := first.RspMsgList[0]
	if m.From_Account != "alice" || m.MsgRandom != 1025 || m.MsgTimeStamp != gt0+24 || m.CloudCustomData != "c25" ||
		textOf(m.MsgBody) != "m25" || m.MsgPriority != 2 || m.IsPlaceMsg != 0 || m.IsSystemMsg != 0 {
		t.Errorf("newest message %+v", m)
	}
	next := groupHistory(t, n, g, `,"ReqMsgSeq":5`)
	if got := seqList(next.RspMsgList); !slices.Equal(got, []uint64{5, 4, 3, 2, 1}) || next.IsFinished != 1 {
		t.Errorf("second page %v IsFinished %d", got, next.IsFinished)
	}
	var small simpleAnswer
	n.MustTIM(t, gsvc+"group_msg_get_simple", fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":3,"ReqMsgSeq":10}`, g)).Decode(t, &small)
	if got := seqList(small.RspMsgList); !slices.Equal(got, []uint64{10, 9, 8}) || small.IsFinished != 0 {
		t.Errorf("3 from 10: %v IsFinished %d", got, small.IsFinished)
	}
	var capped simpleAnswer
	n.MustTIM(t, gsvc+"group_msg_get_simple", fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":50}`, g)).Decode(t, &capped)
	if len(capped.RspMsgList) != 20 {
		t.Errorf("ReqMsgNumber 50: %d messages, want at most 20", len(capped.RspMsgList))
	}
	empty := groupHistory(t, n, groupWith(t, n, "Public", "alice"), "")
	if len(empty.RspMsgList) != 0 || empty.IsFinished != 1 {
		t.Errorf("empty group: %+v", empty)
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"GroupId":%q}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":0}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":5,"WithRecalledMsg":2}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":5,"ReqMsgSeq":-1}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":5,"TopicId":"t"}`, g), 10004},
		{`{"GroupId":"nope","ReqMsgNumber":5}`, 10010},
	} {
		timCode(t, n, gsvc+"group_msg_get_simple", tc.body, tc.code)
	}
}

func TestGroupMsgRecall(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	for i := range 3 {
		sendG(t, n, g, "alice", i, fmt.Sprint("m", i), "")
	}
	n.MustTIM(t, gsvc+"send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"Content":"notice"}`, g)) // seq 4
	type answer struct {
		RecallRetList []struct {
			MsgSeq  uint64
			RetCode int
		}
	}
	recall := func(seqs ...uint64) string {
		t.Helper()
		var a answer
		n.MustTIM(t, gsvc+"group_msg_recall", fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":%s,"Reason":"oops"}`, g, seqItems(seqs...))).Decode(t, &a)
		return fmt.Sprint(a.RecallRetList)
	}
	if got := recall(1, 2, 99); got != "[{1 0} {2 0} {99 10030}]" {
		t.Errorf("recall 1, 2, 99: %s", got)
	}
	if got := recall(1, 4); got != "[{1 10032} {4 10032}]" {
		t.Errorf("recall again and a system message: %s", got)
	}
	if got := seqList(groupHistory(t, n, g, "").RspMsgList); !slices.Equal(got, []uint64{4, 3}) {
		t.Errorf("history without recalled: %v", got)
	}
	with := groupHistory(t, n, g, `,"WithRecalledMsg":1`)
	if got := seqList(with.RspMsgList); !slices.Equal(got, []uint64{4, 3, 2, 1}) {
		t.Fatalf("history with recalled: %v", got)
	}
	if m := with.RspMsgList[3]; m.IsPlaceMsg != 2 || string(m.MsgBody) != "[]" {
		t.Errorf("recalled message: IsPlaceMsg %d body %s, want 2 and []", m.IsPlaceMsg, m.MsgBody)
	}
	too := make([]uint64, 11)
	for i := range too {
		too[i] = uint64(i + 1)
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":%s}`, g, seqItems(too...)), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[]}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"Seq":1}]}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"MsgSeq":3}],"Reason":"%s"}`, g, strings.Repeat("r", 101)), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"MsgSeq":3}],"TopicId":"t"}`, g), 10004},
		{`{"GroupId":"nope","MsgSeqList":[{"MsgSeq":1}]}`, 10010},
	} {
		timCode(t, n, gsvc+"group_msg_recall", tc.body, tc.code)
	}
	if got := recall(3); got != "[{3 0}]" {
		t.Errorf("ten at most, one is fine: %s", got)
	}
}

func TestImportGroupMsg(t *testing.T) {
	n, clk := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	sendG(t, n, g, "alice", 1, "live", "") // at gt0
	if u := unreadIn(t, n, "bob", g); u != 1 {
		t.Fatalf("bob's unread %d, want 1", u)
	}
	clk.Advance(1000 * time.Second)
	item := func(from string, at int64, body string) string {
		return fmt.Sprintf(`{"From_Account":%q,"SendTime":%d,"Random":%d,"MsgBody":%s}`, from, at, at%1000, body)
	}
	type answer struct {
		ImportMsgResult []struct {
			MsgSeq  uint64
			MsgTime int64
			Result  int
		}
	}
	imp := func(items ...string) string {
		t.Helper()
		var a answer
		n.MustTIM(t, gsvc+"import_group_msg", fmt.Sprintf(`{"GroupId":%q,"RecentContactFlag":1,"MsgList":[%s]}`, g, strings.Join(items, ","))).Decode(t, &a)
		return fmt.Sprint(a.ImportMsgResult)
	}
	got := imp(item("alice", gt0+10, textBody("a")), item("bob", gt0+20, `[{"MsgType":"TIMFaceElem","MsgContent":{"Index":1,"Data":"x"}}]`),
		item("alice", gt0+30, `[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"d"}}]`))
	if want := fmt.Sprintf("[{2 %d 0} {3 %d 0} {4 %d 0}]", gt0+10, gt0+20, gt0+30); got != want {
		t.Errorf("import: %s, want %s", got, want)
	}
	// Times must rise past the latest message and stay before now; bad
	// messages are refused one by one.
	got = imp(item("alice", gt0+25, textBody("too early")), item("alice", gt0+40, textBody("ok")),
		item("alice", gt0+1000, textBody("now")), item("ghost", gt0+50, textBody("who")),
		item("alice", gt0+60, `[{"MsgType":"TIMSoundElem","MsgContent":{"Url":"u","UUID":"x","Size":1,"Second":1,"Download_Flag":2}}]`),
		item("alice", gt0+70, textBody(strings.Repeat("x", core.MaxMessageBytes))),
		item("bob", gt0+80, textBody("ok too")))
	if want := fmt.Sprintf("[{0 %d 10004} {5 %d 0} {0 %d 10004} {0 %d 10004} {0 %d 10004} {0 %d 80002} {6 %d 0}]",
		gt0+25, gt0+40, gt0+1000, gt0+50, gt0+60, gt0+70, gt0+80); got != want {
		t.Errorf("import with bad messages:\n got %s\nwant %s", got, want)
	}
	h := groupHistory(t, n, g, "")
	if got := seqList(h.RspMsgList); !slices.Equal(got, []uint64{6, 5, 4, 3, 2, 1}) {
		t.Errorf("history %v", got)
	}
	if m := h.RspMsgList[4]; m.From_Account != "alice" || m.MsgTimeStamp != gt0+10 || textOf(m.MsgBody) != "a" || m.MsgRandom != 10 {
		t.Errorf("imported seq 2: %+v", m)
	}
	if u := unreadIn(t, n, "bob", g); u != 0 {
		t.Errorf("bob's unread %d after import, want 0", u)
	}
	before := gt0 - 10 // before the group was made
	other := groupWith(t, n, "Public", "alice")
	var a answer
	n.MustTIM(t, gsvc+"import_group_msg", fmt.Sprintf(`{"GroupId":%q,"MsgList":[%s]}`, other, item("alice", int64(before), textBody("x")))).Decode(t, &a)
	if len(a.ImportMsgResult) != 1 || a.ImportMsgResult[0].Result != 10004 {
		t.Errorf("import before the group's creation: %+v", a.ImportMsgResult)
	}

	eight := make([]string, 8)
	for i := range eight {
		eight[i] = item("alice", gt0+100+int64(i), textBody("x"))
	}
	comm := groupWith(t, n, "Community", "alice")
	for _, tc := range []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"GroupId":%q,"MsgList":[%s]}`, g, strings.Join(eight, ",")), 10004}, // over 7
		{fmt.Sprintf(`{"GroupId":%q,"MsgList":[]}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q}`, g), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"MsgList":[{"SendTime":%d,"MsgBody":%s}]}`, g, gt0+100, textBody("x")), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"MsgList":[{"From_Account":"alice","MsgBody":%s}]}`, g, textBody("x")), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"MsgList":[{"From_Account":"alice","SendTime":%d}]}`, g, gt0+100), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"RecentContactFlag":2,"MsgList":[%s]}`, g, eight[0]), 10004},
		{fmt.Sprintf(`{"GroupId":%q,"RecentContactFlag":1,"MsgList":[%s]}`, comm, eight[0]), 10004}, // not for Communities
		{fmt.Sprintf(`{"GroupId":"nope","MsgList":[%s]}`, eight[0]), 10010},
	} {
		timCode(t, n, gsvc+"import_group_msg", tc.body, tc.code)
	}
}

func TestModifyGroupMsg(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	sendG(t, n, g, "alice", 1, "before", `,"CloudCustomData":"old"`)
	n.MustTIM(t, "openim/modify_group_msg", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"MsgBody":%s}`, g, textBody("after")))
	m := groupHistory(t, n, g, "").RspMsgList[0]
	if textOf(m.MsgBody) != "after" || m.CloudCustomData != "old" {
		t.Errorf("after modifying the body: %+v", m)
	}
	n.MustTIM(t, "openim/modify_group_msg", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"CloudCustomData":"new"}`, g))
	if m := groupHistory(t, n, g, "").RspMsgList[0]; textOf(m.MsgBody) != "after" || m.CloudCustomData != "new" {
		t.Errorf("after modifying the custom data: %+v", m)
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"GroupId":%q,"MsgBody":%s}`, g, textBody("x")), 20001},
		{`{"MsgSeq":1,"CloudCustomData":"x"}`, 20001},
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeq":9,"CloudCustomData":"x"}`, g), 20022},
		{`{"GroupId":"nope","MsgSeq":1,"CloudCustomData":"x"}`, 10010},
		{`{"GroupId":"","MsgSeq":1,"CloudCustomData":"x"}`, 10015},
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1}`, g), 90002}, // nothing to modify
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"MsgBody":{}}`, g), 90007},
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"MsgBody":[]}`, g), 90002},
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"MsgBody":%s}`, g, textBody(strings.Repeat("x", core.MaxMessageBytes))), 93000},
		{fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"CloudCustomData":"x"`, g), 90001},
	} {
		timCode(t, n, "openim/modify_group_msg", tc.body, tc.code)
	}
}

func TestClearGroupMsg(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	for i := range 3 {
		sendG(t, n, g, "alice", i, fmt.Sprint("m", i), "")
	}
	n.MustTIM(t, gsvc+"clear_group_msg", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":2}`, g))
	sees := func(user string) []uint64 {
		t.Helper()
		page, err := n.Service.GroupHistory(context.Background(), core.GroupHistoryRequest{App: parleytest.AppID, Group: g, Limit: 20, ForMember: user})
		if err != nil {
			t.Fatalf("GroupHistory for %s: %v", user, err)
		}
		out := []uint64{}
		for _, m := range page.Messages {
			out = append(out, m.Seq)
		}
		return out
	}
	if got := sees("bob"); !slices.Equal(got, []uint64{3}) {
		t.Errorf("bob sees %v after clearing up to 2, want [3]", got)
	}
	n.MustTIM(t, gsvc+"clear_group_msg", fmt.Sprintf(`{"GroupId":%q}`, g))
	if got := sees("bob"); len(got) != 0 {
		t.Errorf("bob sees %v after clearing everything", got)
	}
	// The app admin still reads everything.
	if got := seqList(groupHistory(t, n, g, "").RspMsgList); !slices.Equal(got, []uint64{3, 2, 1}) {
		t.Errorf("the admin reads %v after clearing, want 3, 2, 1", got)
	}
	// New messages are seen again.
	sendG(t, n, g, "alice", 9, "new", "")
	if got := sees("bob"); !slices.Equal(got, []uint64{4}) {
		t.Errorf("bob sees %v after a new message", got)
	}
	n.MustTIM(t, gsvc+"clear_group_msg", fmt.Sprintf(`{"GroupId":%q}`, groupWith(t, n, "AVChatRoom", "alice")))
	timCode(t, n, gsvc+"clear_group_msg", fmt.Sprintf(`{"GroupId":%q}`, groupWith(t, n, "Community", "alice")), 10007)
	timCode(t, n, gsvc+"clear_group_msg", `{"GroupId":"nope"}`, 10010)
	timCode(t, n, gsvc+"clear_group_msg", `{}`, 10004)
}

func TestDeleteGroupMsgBySender(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	sendG(t, n, g, "alice", 1, "a1", "")
	sendG(t, n, g, "bob", 2, "b1", "")
	sendG(t, n, g, "alice", 3, "a2", `,"CloudCustomData":"gone"`)
	n.MustTIM(t, gsvc+"delete_group_msg_by_sender", fmt.Sprintf(`{"GroupId":%q,"Sender_Account":"alice"}`, g))
	h := groupHistory(t, n, g, "")
	if got := seqList(h.RspMsgList); !slices.Equal(got, []uint64{3, 2, 1}) {
		t.Fatalf("history %v: deleted messages keep their seqs as placeholders", got)
	}
	for _, m := range h.RspMsgList {
		deleted := m.From_Account == "alice"
		if deleted && (m.IsPlaceMsg != 1 || string(m.MsgBody) != "[]" || m.CloudCustomData != "") {
			t.Errorf("alice's seq %d: %+v, want a placeholder (IsPlaceMsg 1, empty body)", m.MsgSeq, m)
		}
		if !deleted && (m.IsPlaceMsg != 0 || textOf(m.MsgBody) != "b1") {
			t.Errorf("bob's message: %+v", m)
		}
	}
	// Deleting again, or for someone who sent nothing, succeeds.
	n.MustTIM(t, gsvc+"delete_group_msg_by_sender", fmt.Sprintf(`{"GroupId":%q,"Sender_Account":"alice"}`, g))
	n.MustTIM(t, gsvc+"delete_group_msg_by_sender", fmt.Sprintf(`{"GroupId":%q,"Sender_Account":"carol"}`, g))
	timCode(t, n, gsvc+"delete_group_msg_by_sender", fmt.Sprintf(`{"GroupId":%q}`, g), 10004)
	timCode(t, n, gsvc+"delete_group_msg_by_sender", `{"GroupId":"nope","Sender_Account":"alice"}`, 10010)
}
