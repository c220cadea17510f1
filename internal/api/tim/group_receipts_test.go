package tim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/parleytest"
)

// Group read receipts (group_msg_receipt, get_group_msg_receipt,
// get_group_msg_receipt_detail) and group message extensions
// (openim_msg_ext_http_svc/group_set_key_values, group_get_key_values).

type receiptDetail struct {
	IsFinish   int
	IsFinished int
	MsgSeq     uint64
	Cursor     string
	ReadList   []struct{ Read_Account string }
	UnreadList []struct{ Unread_Account string }
}

func detail(t testing.TB, n *parleytest.Node, group string, seq uint64, filter int, cursor string, count int) receiptDetail {
	t.Helper()
	var d receiptDetail
	body := fmt.Sprintf(`{"GroupId":%q,"MsgSeq":%d,"Filter":%d,"Cursor":%q,"Count":%d}`, group, seq, filter, cursor, count)
	n.MustTIM(t, gsvc+"get_group_msg_receipt_detail", body).Decode(t, &d)
	return d
}

func TestGroupReadReceipts(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob", "carol", "dave")
	sendG(t, n, g, "alice", 1, "read me", `,"NeedReadReceipt":1`) // seq 1
	sendG(t, n, g, "alice", 2, "no receipts", "")                 // seq 2
	n.MustTIM(t, gsvc+"group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"From_Account":"bob","MsgSeqList":[{"MsgSeq":1},{"MsgSeq":2}]}`, g))
	n.MustTIM(t, gsvc+"group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"From_Account":"bob","MsgSeqList":[{"MsgSeq":1}]}`, g)) // again: counted once

	var counts struct {
		GroupMsgReceiptList []struct {
			Code      int
			MsgSeq    uint64
			ReadNum   int
			UnreadNum int
		}
	}
	n.MustTIM(t, gsvc+"get_group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"MsgSeq":1},{"MsgSeq":2},{"MsgSeq":9}]}`, g)).Decode(t, &counts)
	if got := fmt.Sprint(counts.GroupMsgReceiptList); got != "[{0 1 1 2} {10062 2 0 0} {10062 9 0 0}]" {
		t.Errorf("receipt counts %s, want seq 1 read by bob and unread by carol and dave (not the sender), no info for 2 and 9", got)
	}

	d := detail(t, n, g, 1, 0, "", 10)
	if d.IsFinish != 1 || d.IsFinished != 1 || d.MsgSeq != 1 || len(d.ReadList) != 1 || d.ReadList[0].Read_Account != "bob" || d.UnreadList != nil {
		t.Errorf("readers: %+v", d)
	}
	d = detail(t, n, g, 1, 1, "", 1)
	if d.IsFinish != 0 || d.IsFinished != 0 || len(d.UnreadList) != 1 || d.UnreadList[0].Unread_Account != "carol" || d.Cursor == "" {
		t.Fatalf("first unread page: %+v", d)
	}
	d = detail(t, n, g, 1, 1, d.Cursor, 1)
	if d.IsFinish != 1 || len(d.UnreadList) != 1 || d.UnreadList[0].Unread_Account != "dave" || d.Cursor != "" {
		t.Errorf("second unread page: %+v", d)
	}
	raw := n.MustTIM(t, gsvc+"get_group_msg_receipt_detail", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"Filter":0,"Cursor":"","Count":5}`, groupWithReceipt(t, n)))
	if m := fields(t, raw.Raw); string(m["ReadList"]) != "[]" {
		t.Errorf("no readers: ReadList %s, want []", m["ReadList"])
	}

	comm := groupWith(t, n, "Community", "alice", "bob")
	for _, tc := range []struct {
		cmd, body string
		code      int
	}{
		{"get_group_msg_receipt_detail", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":2,"Filter":0,"Cursor":"","Count":5}`, g), 10062},
		{"get_group_msg_receipt_detail", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"Filter":2,"Cursor":"","Count":5}`, g), 10004},
		{"get_group_msg_receipt_detail", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"Filter":0,"Cursor":"","Count":0}`, g), 10004},
		{"get_group_msg_receipt_detail", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"Filter":0,"Cursor":"","Count":201}`, g), 10004},
		{"get_group_msg_receipt_detail", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"Filter":0,"Cursor":"zz","Count":5}`, g), 10004},
		{"get_group_msg_receipt_detail", fmt.Sprintf(`{"GroupId":%q,"Filter":0,"Cursor":"","Count":5}`, g), 10004},
		{"get_group_msg_receipt_detail", fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"Filter":0,"Cursor":"","Count":5}`, comm), 10007},
		{"get_group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"MsgSeq":1}]}`, comm), 10007},
		{"get_group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[]}`, g), 10004},
		{"get_group_msg_receipt", `{"GroupId":"nope","MsgSeqList":[{"MsgSeq":1}]}`, 10010},
		{"group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"From_Account":"bob","MsgSeqList":[{"MsgSeq":1}]}`, comm), 10007},
		{"group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"From_Account":"ghost","MsgSeqList":[{"MsgSeq":1}]}`, g), 10019},
		{"group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"MsgSeq":1}]}`, g), 10004},
		{"group_msg_receipt", fmt.Sprintf(`{"GroupId":%q,"From_Account":"bob","MsgSeqList":%s}`, g, seqItems(make([]uint64, 51)...)), 10004},
	} {
		timCode(t, n, gsvc+tc.cmd, tc.body, tc.code)
	}
}

// groupWithReceipt makes a Meeting with a message that wants receipts.
func groupWithReceipt(t testing.TB, n *parleytest.Node) string {
	g := groupWith(t, n, "Meeting", "alice", "bob")
	sendG(t, n, g, "alice", 1, "r", `,"NeedReadReceipt":1`)
	return g
}

func TestGroupMessageExtensions(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob")
	sendG(t, n, g, "alice", 1, "extend me", `,"SupportMessageExtension":1`) // seq 1
	sendG(t, n, g, "alice", 2, "plain", "")                                 // seq 2
	const set = "openim_msg_ext_http_svc/group_set_key_values"
	const get = "openim_msg_ext_http_svc/group_get_key_values"
	var s setAnswer
	n.MustTIM(t, set, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"OperateType":1,"ExtensionList":[{"Key":"like","Value":"3"},{"Key":"seen","Value":"y"}]}`, g)).Decode(t, &s)
	if len(s.ExtensionList) != 2 || s.ExtensionList[0].ErrorCode != 0 || s.ExtensionList[0].Extension.Key != "like" || s.ExtensionList[0].Extension.Seq != 1 {
		t.Errorf("set: %+v", s)
	}
	// Admins skip the Seq check: a stale Seq is fine.
	n.MustTIM(t, set, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"OperateType":1,"ExtensionList":[{"Key":"like","Value":"4","Seq":0}]}`, g)).Decode(t, &s)
	if len(s.ExtensionList) != 1 || s.ExtensionList[0].ErrorCode != 0 || s.ExtensionList[0].Extension.Value != "4" {
		t.Errorf("set with a stale Seq: %+v", s)
	}
	var a getAnswer
	n.MustTIM(t, get, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1}`, g)).Decode(t, &a)
	if a.CompleteFlag != 1 || pairs(a.ExtensionList) != "seen=y@1 like=4@2" || a.LatestSeq != 2 {
		t.Errorf("get: %+v (%s)", a, pairs(a.ExtensionList))
	}
	n.MustTIM(t, set, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"OperateType":2,"ExtensionList":[{"Key":"seen"}]}`, g))
	n.MustTIM(t, get, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"StartSeq":1}`, g)).Decode(t, &a)
	if pairs(a.ExtensionList) != "like=4@2" || a.LatestSeq != 3 {
		t.Errorf("after delete: %s", pairs(a.ExtensionList))
	}
	n.MustTIM(t, set, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"OperateType":3}`, g))
	n.MustTIM(t, get, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1}`, g)).Decode(t, &a)
	if len(a.ExtensionList) != 0 {
		t.Errorf("after clear: %s", pairs(a.ExtensionList))
	}
	for _, tc := range []struct {
		cmd, body string
		code      int
	}{
		{set, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":2,"OperateType":1,"ExtensionList":[{"Key":"k","Value":"v"}]}`, g), 23002},
		{get, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":2}`, g), 23002},
		{set, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":9,"OperateType":1,"ExtensionList":[{"Key":"k","Value":"v"}]}`, g), 23004},
		{get, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":9}`, g), 23004},
		{set, `{"GroupId":"nope","MsgSeq":1,"OperateType":1,"ExtensionList":[{"Key":"k","Value":"v"}]}`, 10010},
		{set, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"OperateType":4}`, g), 10004},
		{set, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1}`, g), 10004},
		{set, fmt.Sprintf(`{"GroupId":%q,"OperateType":1,"ExtensionList":[{"Key":"k","Value":"v"}]}`, g), 10004},
		{set, fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"OperateType":1,"ExtensionList":[{"Value":"v"}]}`, g), 10004},
		{get, fmt.Sprintf(`{"GroupId":%q}`, g), 10004},
		{get, `{"GroupId":"","MsgSeq":1}`, 10015},
	} {
		timCode(t, n, tc.cmd, tc.body, tc.code)
	}
}

// TestGroupMessageExtensionsRate: at most 200 changes a minute to one
// message's extensions; the next answers 23003.
func TestGroupMessageExtensionsRate(t *testing.T) {
	n, clk := groupNode(t)
	g := groupWith(t, n, "Public", "alice")
	sendG(t, n, g, "alice", 1, "busy", `,"SupportMessageExtension":1`)
	body := fmt.Sprintf(`{"GroupId":%q,"MsgSeq":1,"OperateType":1,"ExtensionList":[{"Key":"k","Value":"v"}]}`, g)
	const set = "openim_msg_ext_http_svc/group_set_key_values"
	for i := range 200 {
		if r := n.TIM(t, set, body); r.ErrorCode != 0 {
			t.Fatalf("change %d: %d %s", i+1, r.ErrorCode, r.ErrorInfo)
		}
	}
	timCode(t, n, set, body, 23003)
	clk.Advance(time.Minute)
	timCode(t, n, set, body, 0)
}
