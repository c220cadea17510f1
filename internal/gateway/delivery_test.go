package gateway_test

import (
	"fmt"
	"testing"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// Live delivery: who receives a C2C message, with which sync number.

func TestRESTSendReachesEveryDeviceOfReceiver(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	devices := []*client.Conn{
		n.Dial(t, "bob", parleytest.DialOptions{Platform: "iPhone"}),
		n.Dial(t, "bob", parleytest.DialOptions{Platform: "Web"}),
		n.Dial(t, "bob", parleytest.DialOptions{Platform: "PC", Device: "desk"}),
	}
	s := sendText(t, n, "alice", "bob", "hi all", "")
	for i, d := range devices {
		ev := nextText(t, d, "hi all")
		if ev.Seq != 1 {
			t.Errorf("device %d: seq %d, want 1", i, ev.Seq)
		}
		if ev.Message.Key != s.MsgKey || ev.Message.Time != s.MsgTime || ev.Message.From != "alice" || ev.Message.To != "bob" {
			t.Errorf("device %d: message %+v, want %s from alice to bob at %d", i, ev.Message, s.MsgKey, s.MsgTime)
		}
	}
}

func TestSyncOtherMachine(t *testing.T) {
	tests := []struct {
		name                     string
		extra                    string
		senderGets, receiverGets bool
	}{
		{"absent", "", false, true},
		{"1 both", `"SyncOtherMachine":1`, true, true},
		{"2 not sender", `"SyncOtherMachine":2`, false, true},
		{"3 not receiver", `"SyncOtherMachine":3`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := parleytest.Start(t)
			n.ImportAccounts(t, "alice", "bob")
			alice := []*client.Conn{n.Dial(t, "alice", parleytest.DialOptions{Platform: "iPhone"}), n.Dial(t, "alice", parleytest.DialOptions{Platform: "Mac"})}
			bob := []*client.Conn{n.Dial(t, "bob", parleytest.DialOptions{Platform: "Android"}), n.Dial(t, "bob", parleytest.DialOptions{Platform: "Web"})}
			sendText(t, n, "alice", "bob", "m1", tt.extra)
			// A second message proves silence was not just slowness.
			sendText(t, n, "alice", "bob", "m2", tt.extra)
			check := func(who string, devs []*client.Conn, gets bool) {
				for i, d := range devs {
					if !gets {
						none(t, d)
						continue
					}
					for seq, txt := range []string{"m1", "m2"} {
						ev := nextText(t, d, txt)
						if ev.Seq != uint64(seq+1) {
							t.Errorf("%s device %d: %s has seq %d, want %d", who, i, txt, ev.Seq, seq+1)
						}
					}
				}
			}
			check("sender", alice, tt.senderGets)
			check("receiver", bob, tt.receiverGets)
		})
	}
}

func TestDeviceSendReachesReceiverAndSenderDevices(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	phone := n.Dial(t, "alice", parleytest.DialOptions{Platform: "iPhone"})
	laptop := n.Dial(t, "alice", parleytest.DialOptions{Platform: "Mac"})
	bob := n.Dial(t, "bob")

	seq := uint32(77)
	ans, err := phone.Send(ctx(t), protocol.Send{To: "bob", Seq: &seq, Random: 4242, Body: textBody("from phone"), CloudCustomData: "cd"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if want := fmt.Sprintf("77_4242_%d", ans.MsgTime); ans.MsgKey != want || ans.MsgTime == 0 {
		t.Errorf("Send answer = %+v, want MsgKey %s", ans, want)
	}
	for name, c := range map[string]*client.Conn{"bob": bob, "laptop": laptop, "phone": phone} {
		ev := nextText(t, c, "from phone")
		if ev.Seq != 1 || ev.Message.Key != ans.MsgKey || ev.Message.From != "alice" || ev.Message.CloudCustomData != "cd" {
			t.Errorf("%s: event %+v msg %+v, want seq 1 key %s from alice", name, ev, ev.Message, ans.MsgKey)
		}
	}
	// The sending device's user is the sender whatever the frame says, and
	// REST history holds the message under the same key.
	for _, owner := range []string{"alice", "bob"} {
		peer := map[string]string{"alice": "bob", "bob": "alice"}[owner]
		if keys := roamKeys(t, n, owner, peer); len(keys) != 1 || keys[0] != ans.MsgKey {
			t.Errorf("admin_getroammsg %s→%s keys = %v, want [%s]", owner, peer, keys, ans.MsgKey)
		}
	}
	// Same validation as REST: a bad receiver or body is refused.
	if _, err := phone.Send(ctx(t), protocol.Send{To: "nobody", Random: 1, Body: textBody("x")}); !isCode(err, protocol.CodeNotFound) {
		t.Errorf("Send to unimported: %v, want code 404", err)
	}
	if _, err := phone.Send(ctx(t), protocol.Send{To: "bob", Random: 1, Body: []byte(`[{"MsgType":"TIMTextElem"}]`)}); !isCode(err, protocol.CodeInvalid) {
		t.Errorf("Send with bad body: %v, want code 400", err)
	}
	if _, err := phone.Send(ctx(t), protocol.Send{To: "bob", Random: 1}); !isCode(err, protocol.CodeInvalid) {
		t.Errorf("Send without body: %v, want code 400", err)
	}
}

func isCode(err error, code int) bool {
	e, ok := err.(*client.Error)
	return ok && e.Code == code
}

func TestOnlineOnlyReachesOnlyDevicesOnlineNow(t *testing.T) {
	for _, extra := range []string{`"OnlineOnlyFlag":1`, `"MsgLifeTime":0`} {
		t.Run(extra, func(t *testing.T) {
			n := parleytest.Start(t)
			n.ImportAccounts(t, "alice", "bob")
			bob := n.Dial(t, "bob")
			sendText(t, n, "alice", "bob", "stored 1", "")
			nextText(t, bob, "stored 1")
			sendText(t, n, "alice", "bob", "now or never", extra)
			ev := nextText(t, bob, "now or never")
			if ev.Seq != 0 || !ev.Message.OnlineOnly {
				t.Errorf("online-only event seq %d online_only %v, want 0 and true", ev.Seq, ev.Message.OnlineOnly)
			}
			sendText(t, n, "alice", "bob", "stored 2", "")
			if ev := nextText(t, bob, "stored 2"); ev.Seq != 2 {
				t.Errorf("next stored message seq %d, want 2: online-only messages take no number", ev.Seq)
			}
			if bob.LastSeq() != 2 {
				t.Errorf("LastSeq %d, want 2", bob.LastSeq())
			}
			// A device that comes later, or comes back asking for everything,
			// never sees it; nor does history.
			late := n.Dial(t, "bob", parleytest.DialOptions{Platform: "Web", SyncFrom: u64(0)})
			nextText(t, late, "stored 1")
			nextText(t, late, "stored 2")
			<-late.Synced()
			none(t, late)
			if keys := roamKeys(t, n, "bob", "alice"); len(keys) != 2 {
				t.Errorf("history has %d messages, want 2 (online-only ones are not stored)", len(keys))
			}
			res, err := late.Sync(ctx(t), 0)
			if err != nil || len(res.Events) != 2 || res.Head != 2 {
				t.Errorf("Sync(0) = %d events head %d (%v), want 2 and 2", len(res.Events), res.Head, err)
			}
		})
	}
}

func TestOnlineOnlyFromDevice(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	phone := n.Dial(t, "alice", parleytest.DialOptions{Platform: "iPhone"})
	laptop := n.Dial(t, "alice", parleytest.DialOptions{Platform: "Mac"})
	bob := n.Dial(t, "bob")
	if _, err := phone.Send(ctx(t), protocol.Send{To: "bob", Random: 9, Body: textBody("typing…"), OnlineOnly: true}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	for name, c := range map[string]*client.Conn{"bob": bob, "laptop": laptop} {
		if ev := nextText(t, c, "typing…"); ev.Seq != 0 || !ev.Message.OnlineOnly {
			t.Errorf("%s: seq %d online_only %v, want 0, true", name, ev.Seq, ev.Message.OnlineOnly)
		}
	}
	if h, _ := n.Service.InboxHead(t.Context(), parleytest.AppID, "bob"); h != 0 {
		t.Errorf("bob's inbox head %d, want 0", h)
	}
}

func TestUnreadCountsOnMessageEvents(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob", "carol")
	bob := n.Dial(t, "bob")
	for i := 1; i <= 3; i++ {
		sendText(t, n, "alice", "bob", fmt.Sprint("a", i), "")
		ev := nextText(t, bob, fmt.Sprint("a", i))
		if ev.Conversation == nil || ev.Conversation.Peer != "alice" || ev.Conversation.Unread != i || ev.Conversation.Type != 1 {
			t.Errorf("message %d: conversation %+v, want C2C with alice, unread %d", i, ev.Conversation, i)
		}
	}
	sendText(t, n, "carol", "bob", "c1", "")
	if ev := nextText(t, bob, "c1"); ev.Conversation == nil || ev.Conversation.Peer != "carol" || ev.Conversation.Unread != 1 {
		t.Errorf("carol's message: conversation %+v, want carol, unread 1", ev.Conversation)
	}
	sendText(t, n, "alice", "bob", "quiet", `"SendMsgControl":["NoUnread"]`)
	if ev := nextText(t, bob, "quiet"); ev.Conversation == nil || ev.Conversation.Unread != 3 || !ev.Message.NoUnread {
		t.Errorf("NoUnread message: conversation %+v no_unread %v, want unread still 3", ev.Conversation, ev.Message.NoUnread)
	}
	u, err := bob.Unread(ctx(t))
	if err != nil || u.Total != 4 {
		t.Errorf("Unread() = %+v, %v; want total 4", u, err)
	}
}
