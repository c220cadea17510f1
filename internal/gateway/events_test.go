package gateway_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// Events about messages and conversations after a send: recall, modify,
// read reports, receipts, extensions, conversation delete and pin.

// pair starts a node with alice and bob, each with one device, and one
// message from alice to bob (SyncOtherMachine 1, so both devices hold it
// as sync number 1) sent with extra members.
func pair(t *testing.T, extra string) (n *parleytest.Node, alice, bob *client.Conn, s sent) {
	t.Helper()
	n = parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	alice = n.Dial(t, "alice")
	bob = n.Dial(t, "bob")
	if extra != "" {
		extra = "," + extra
	}
	s = sendText(t, n, "alice", "bob", "original", `"SyncOtherMachine":1`+extra)
	nextText(t, alice, "original")
	nextText(t, bob, "original")
	return n, alice, bob, s
}

func TestRecallReachesBothSides(t *testing.T) {
	n, alice, bob, s := pair(t, "")
	n.MustTIM(t, "openim/admin_msgwithdraw", fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MsgKey":%q}`, s.MsgKey))
	for name, c := range map[string]*client.Conn{"alice": alice, "bob": bob} {
		ev := nextOf(t, c, protocol.KindC2CRecall)
		if ev.Seq != 2 || ev.Message == nil || ev.Message.Key != s.MsgKey || !ev.Message.Recalled || ev.Message.Body != nil {
			t.Errorf("%s: recall event %+v msg %+v, want seq 2, key %s, recalled, no body", name, ev, ev.Message, s.MsgKey)
		}
	}
}

func TestRecallClearsUnread(t *testing.T) {
	n, _, bob, s := pair(t, "")
	n.MustTIM(t, "openim/admin_msgwithdraw", fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MsgKey":%q}`, s.MsgKey))
	ev := nextOf(t, bob, protocol.KindC2CRecall)
	if ev.Conversation == nil || ev.Conversation.Unread != 0 {
		t.Errorf("conversation after recall %+v, want unread 0", ev.Conversation)
	}
}

func TestModifyReachesBothSides(t *testing.T) {
	n, alice, bob, s := pair(t, "")
	n.MustTIM(t, "openim/modify_c2c_msg", fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MsgKey":%q,
		"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"edited"}}],"CloudCustomData":"v2"}`, s.MsgKey))
	for name, c := range map[string]*client.Conn{"alice": alice, "bob": bob} {
		ev := nextOf(t, c, protocol.KindC2CModify)
		if ev.Seq != 2 || ev.Message.Key != s.MsgKey || !ev.Message.Modified || textOf(ev) != "edited" || ev.Message.CloudCustomData != "v2" {
			t.Errorf("%s: modify event %+v msg %+v, want seq 2, modified, text edited", name, ev, ev.Message)
		}
	}
}

func TestReadReportReachesReporterAndPeer(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	alice := n.Dial(t, "alice")
	bobPhone := n.Dial(t, "bob", parleytest.DialOptions{Platform: "iPhone"})
	bobPC := n.Dial(t, "bob", parleytest.DialOptions{Platform: "PC"})
	for i := range 3 {
		sendText(t, n, "alice", "bob", fmt.Sprint("m", i), "")
		nextText(t, bobPhone, fmt.Sprint("m", i))
		nextText(t, bobPC, fmt.Sprint("m", i))
	}
	now := time.Now().Unix()
	n.MustTIM(t, "openim/admin_set_msg_read", `{"Report_Account":"bob","Peer_Account":"alice"}`)
	for name, c := range map[string]*client.Conn{"bob phone": bobPhone, "bob pc": bobPC} {
		ev := nextOf(t, c, protocol.KindRead)
		if ev.Seq != 4 || ev.Peer != "alice" || ev.ReadTime < now-1 {
			t.Errorf("%s: read event %+v, want seq 4, peer alice, read time ≈ now", name, ev)
		}
		if ev.Conversation == nil || ev.Conversation.Unread != 0 || ev.Conversation.Peer != "alice" {
			t.Errorf("%s: conversation %+v, want alice with unread 0", name, ev.Conversation)
		}
	}
	ev := nextOf(t, alice, protocol.KindPeerRead)
	if ev.Seq != 1 || ev.Peer != "bob" || ev.ReadTime < now-1 {
		t.Errorf("alice: peer_read event %+v, want seq 1, peer bob", ev)
	}
	// Over the socket: the device's read answers the unread count and
	// tells the user's other devices and the peer.
	sendText(t, n, "alice", "bob", "m3", "")
	nextText(t, bobPhone, "m3")
	nextText(t, bobPC, "m3")
	unread, err := bobPhone.Read(ctx(t), "alice", 0)
	if err != nil || unread != 0 {
		t.Fatalf("Read = %d, %v; want 0", unread, err)
	}
	if ev := nextOf(t, bobPC, protocol.KindRead); ev.Peer != "alice" || ev.Conversation == nil || ev.Conversation.Unread != 0 {
		t.Errorf("other device: read event %+v, want alice, unread 0", ev)
	}
	nextOf(t, bobPhone, protocol.KindRead)
	nextOf(t, alice, protocol.KindPeerRead)
	// History marks alice's messages as read by bob.
	h, err := alice.History(ctx(t), protocol.History{Peer: "bob"})
	if err != nil || len(h.Messages) != 4 {
		t.Fatalf("History = %d messages, %v; want 4", len(h.Messages), err)
	}
	for _, m := range h.Messages {
		if !m.PeerRead {
			t.Errorf("message %s not peer_read after bob read", m.Key)
		}
	}
}

func TestReceiptReachesSender(t *testing.T) {
	n, alice, bob, s := pair(t, `"IsNeedReadReceipt":1`)
	if err := bob.Receipt(ctx(t), "alice", s.MsgKey); err != nil {
		t.Fatalf("Receipt: %v", err)
	}
	ev := nextOf(t, alice, protocol.KindPeerRead)
	if ev.Seq != 2 || ev.Message == nil || ev.Message.Key != s.MsgKey || !ev.Message.PeerRead || ev.Peer != "bob" {
		t.Errorf("receipt event %+v msg %+v, want seq 2 about %s, peer_read, peer bob", ev, ev.Message, s.MsgKey)
	}
	none(t, bob)
	// A message that asked for no receipt cannot get one.
	s2 := sendText(t, n, "alice", "bob", "plain", "")
	nextText(t, bob, "plain")
	if err := bob.Receipt(ctx(t), "alice", s2.MsgKey); !isCode(err, protocol.CodeUnsupported) {
		t.Errorf("Receipt for a message without IsNeedReadReceipt: %v, want code 422", err)
	}
	// REST receipts reach the sender's devices the same way.
	s3 := sendText(t, n, "alice", "bob", "again", `"IsNeedReadReceipt":1`)
	nextText(t, bob, "again")
	n.MustTIM(t, "openim/c2c_msg_read_receipt", fmt.Sprintf(`{"Operator_Account":"bob","Peer_Account":"alice",
		"C2CMsgInfo":[{"From_Account":"alice","To_Account":"bob","MsgKey":%q}]}`, s3.MsgKey))
	if ev := nextOf(t, alice, protocol.KindPeerRead); ev.Message == nil || ev.Message.Key != s3.MsgKey {
		t.Errorf("REST receipt event %+v, want about %s", ev, s3.MsgKey)
	}
}

func TestConversationPinAndDelete(t *testing.T) {
	n, _, bob, _ := pair(t, "")
	bob2 := n.Dial(t, "bob", parleytest.DialOptions{Platform: "iPad"})
	if err := bob.Pin(ctx(t), 1, "alice", true); err != nil {
		t.Fatalf("Pin: %v", err)
	}
	for name, c := range map[string]*client.Conn{"bob": bob, "bob2": bob2} {
		ev := nextOf(t, c, protocol.KindConvPin)
		if ev.Seq != 2 || ev.Peer != "alice" || ev.ConvType != 1 || ev.Pinned == nil || !*ev.Pinned {
			t.Errorf("%s: pin event %+v, want seq 2, C2C alice pinned", name, ev)
		}
	}
	list, err := bob.Conversations(ctx(t), protocol.Conversations{PinnedFirst: true})
	if err != nil || len(list.Conversations) != 1 || !list.Conversations[0].Pinned {
		t.Errorf("Conversations = %+v, %v; want alice pinned", list, err)
	}
	if err := bob.DeleteConversation(ctx(t), 1, "alice", true); err != nil {
		t.Fatalf("DeleteConversation: %v", err)
	}
	for name, c := range map[string]*client.Conn{"bob": bob, "bob2": bob2} {
		ev := nextOf(t, c, protocol.KindConvDelete)
		if ev.Seq != 3 || ev.Peer != "alice" || ev.ConvType != 1 || !ev.ClearHistory {
			t.Errorf("%s: delete event %+v, want seq 3, C2C alice, clear history", name, ev)
		}
	}
	// REST recentcontact/delete reaches the devices the same way.
	sendText(t, n, "alice", "bob", "back", "")
	nextText(t, bob, "back")
	nextText(t, bob2, "back")
	n.MustTIM(t, "recentcontact/delete", `{"From_Account":"bob","Type":1,"To_Account":"alice"}`)
	if ev := nextOf(t, bob2, protocol.KindConvDelete); ev.Peer != "alice" || ev.ClearHistory {
		t.Errorf("REST delete event %+v, want alice without clear_history", ev)
	}
}

func TestDeleteMessagesReachesOperatorOnly(t *testing.T) {
	n, alice, bob, s := pair(t, "")
	n.MustTIM(t, "openim/delete_c2c_msg_ramble", fmt.Sprintf(`{"Operator_Account":"bob","Peer_Account":"alice","MsgKeyList":[%q]}`, s.MsgKey))
	if ev := nextOf(t, bob, protocol.KindC2CDelete); ev.Seq != 2 || ev.Message == nil || ev.Message.Key != s.MsgKey {
		t.Errorf("delete event %+v, want seq 2 about %s", ev, s.MsgKey)
	}
	none(t, alice)
}

func TestExtensionOp(t *testing.T) {
	n, alice, bob, s := pair(t, `"SupportMessageExtension":1`)
	req := protocol.Extension{From: "alice", To: "bob", Key: s.MsgKey, Operation: 1,
		Items: []protocol.ExtensionItem{{Key: "vote", Value: "yes", Seq: 0}}}
	res, err := bob.Extension(ctx(t), req)
	if err != nil || len(res.Items) != 1 || res.Items[0].Code != 0 || res.Items[0].Seq != 1 || res.Items[0].Value != "yes" {
		t.Fatalf("Extension set = %+v, %v; want vote=yes at seq 1", res, err)
	}
	for name, c := range map[string]*client.Conn{"alice": alice, "bob": bob} {
		if ev := nextOf(t, c, protocol.KindC2CExtension); ev.Message == nil || ev.Message.Key != s.MsgKey {
			t.Errorf("%s: extension event %+v, want about %s", name, ev, s.MsgKey)
		}
	}
	// Seq 0 is stale now: the item is refused with the stored value.
	req.Items[0].Value = "no"
	res, err = alice.Extension(ctx(t), req)
	if err != nil || len(res.Items) != 1 || res.Items[0].Code != protocol.CodeConflict || res.Items[0].Value != "yes" || res.Items[0].Seq != 1 {
		t.Errorf("Extension with stale seq = %+v, %v; want code 409 with yes at seq 1", res, err)
	}
	// Only the two sides may change extensions.
	n.ImportAccounts(t, "mallory")
	mallory := n.Dial(t, "mallory")
	if _, err := mallory.Extension(ctx(t), req); !isCode(err, protocol.CodeForbidden) {
		t.Errorf("Extension by a third user: %v, want 403", err)
	}
	// A message without extension support refuses them.
	s2 := sendText(t, n, "alice", "bob", "plain", "")
	req.Key = s2.MsgKey
	if _, err := bob.Extension(ctx(t), req); !isCode(err, protocol.CodeUnsupported) {
		t.Errorf("Extension on a message without support: %v, want 422", err)
	}
}
