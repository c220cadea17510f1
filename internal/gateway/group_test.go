package gateway_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// createGroup makes a group over REST and returns its id.
func createGroup(t *testing.T, n *parleytest.Node, typ, owner string, members ...string) string {
	t.Helper()
	list := ""
	for i, m := range members {
		if i > 0 {
			list += ","
		}
		list += fmt.Sprintf(`{"Member_Account":%q}`, m)
	}
	r := n.MustTIM(t, "group_open_http_svc/create_group", fmt.Sprintf(`{"Owner_Account":%q,"Type":%q,"Name":"g","MemberList":[%s]}`, owner, typ, list))
	var out struct{ GroupId string }
	r.Decode(t, &out)
	return out.GroupId
}

func sendGroupREST(t *testing.T, n *parleytest.Node, group, from, txt, extra string) uint64 {
	t.Helper()
	r := n.MustTIM(t, "group_open_http_svc/send_group_msg", fmt.Sprintf(`{"GroupId":%q,"From_Account":%q,"Random":%d%s,
		"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":%q}}]}`, group, from, msgRandom.Add(1), extra, txt))
	var out struct{ MsgSeq uint64 }
	r.Decode(t, &out)
	return out.MsgSeq
}

// nextKind returns the next event of kind, skipping others.
func nextKind(t *testing.T, c *client.Conn, kind string) protocol.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("connection closed waiting for %s: %v", kind, c.Err())
			}
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within 5s", kind)
		}
	}
}

func TestGroupMessagesReachOnlineMembers(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "owner", "alice", "bob", "outsider")
	g := createGroup(t, n, "Public", "owner", "alice", "bob")
	alice, alice2, bob := n.Dial(t, "alice"), n.Dial(t, "alice", parleytest.DialOptions{Platform: "Web"}), n.Dial(t, "bob")
	outsider := n.Dial(t, "outsider")

	seq := sendGroupREST(t, n, g, "owner", "hello group", "")
	for i, c := range []*client.Conn{alice, alice2, bob} {
		ev := nextKind(t, c, protocol.KindGroupMessage)
		if ev.GroupMsg == nil || ev.GroupMsg.Group != g || ev.GroupMsg.Seq != seq || ev.GroupMsg.From != "owner" {
			t.Errorf("device %d got %+v, want group message %d of %s", i, ev.GroupMsg, seq, g)
		}
	}
	none(t, outsider)

	// A device sends; every member (and the sender's other device) gets it.
	sent, err := alice.GroupSendText(ctx(t), g, "from a device")
	if err != nil || sent.Seq != seq+1 {
		t.Fatalf("GroupSendText = %+v, %v; want seq %d", sent, err, seq+1)
	}
	for _, c := range []*client.Conn{alice2, bob} {
		if ev := nextKind(t, c, protocol.KindGroupMessage); ev.GroupMsg.Seq != seq+1 || ev.GroupMsg.From != "alice" {
			t.Errorf("device got %+v, want seq %d from alice", ev.GroupMsg, seq+1)
		}
	}
	if _, err := outsider.GroupSendText(ctx(t), g, "not a member"); err == nil {
		t.Errorf("a non-member sent to the group")
	}

	// Catch-up by seq and unread.
	sync, err := bob.GroupSync(ctx(t), g, 0)
	if err != nil || len(sync.Messages) != 2 || sync.Messages[0].Seq != seq || sync.Messages[1].Seq != seq+1 {
		t.Errorf("GroupSync = %+v, %v", sync, err)
	}
	groups, err := bob.Groups(ctx(t))
	if err != nil || len(groups.Groups) != 1 || groups.Groups[0].Unread != 2 || groups.Groups[0].LastSeq != seq+1 {
		t.Errorf("Groups = %+v, %v; want one group with 2 unread", groups, err)
	}
	if unread, err := bob.GroupRead(ctx(t), g, 0); err != nil || unread != 0 {
		t.Errorf("GroupRead = %d, %v", unread, err)
	}
	// Sending reads the group up to the message sent: alice's own message
	// and the one before it are not unread for her.
	groups, _ = alice.Groups(ctx(t))
	if groups.Groups[0].Unread != 0 || groups.Groups[0].ReadSeq != seq+1 {
		t.Errorf("alice's group = %+v, want unread 0, read up to %d", groups.Groups[0], seq+1)
	}
	sendGroupREST(t, n, g, "owner", "one more", "")
	if groups, _ = alice.Groups(ctx(t)); groups.Groups[0].Unread != 1 {
		t.Errorf("alice's unread after another member's message = %d, want 1", groups.Groups[0].Unread)
	}
}

func TestGroupMembershipChangesFollowSessions(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "owner", "alice", "carol")
	g := createGroup(t, n, "Private", "owner", "alice")
	carol := n.Dial(t, "carol")
	n.MustTIM(t, "group_open_http_svc/add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"carol"}]}`, g))
	if ev := nextKind(t, carol, protocol.KindGroupJoined); ev.Group != g {
		t.Fatalf("join event for %q, want %q", ev.Group, g)
	}
	seq := sendGroupREST(t, n, g, "owner", "welcome", "")
	if ev := nextKind(t, carol, protocol.KindGroupMessage); ev.GroupMsg.Seq != seq {
		t.Errorf("new member got seq %d, want %d", ev.GroupMsg.Seq, seq)
	}
	n.MustTIM(t, "group_open_http_svc/delete_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":["carol"]}`, g))
	nextKind(t, carol, protocol.KindGroupLeft)
	sendGroupREST(t, n, g, "owner", "after you left", "")
	for {
		select {
		case ev := <-carol.Events():
			if ev.Kind == protocol.KindGroupMessage {
				t.Fatalf("removed member still gets group messages: %+v", ev.GroupMsg)
			}
			continue
		case <-time.After(200 * time.Millisecond):
		}
		break
	}
}

func TestGroupOnlineOnlyTargetedAndAVChatRoom(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "owner", "alice", "bob", "viewer")
	g := createGroup(t, n, "Public", "owner", "alice", "bob")
	alice, bob := n.Dial(t, "alice"), n.Dial(t, "bob")

	sendGroupREST(t, n, g, "owner", "typing", `,"OnlineOnlyFlag":1`)
	for _, c := range []*client.Conn{alice, bob} {
		if ev := nextKind(t, c, protocol.KindGroupMessage); !ev.GroupMsg.OnlineOnly || ev.GroupMsg.Seq != 0 {
			t.Errorf("online-only event %+v, want seq 0 and online_only", ev.GroupMsg)
		}
	}
	seq := sendGroupREST(t, n, g, "owner", "for alice", `,"To_Account":["alice"]`)
	if ev := nextKind(t, alice, protocol.KindGroupMessage); ev.GroupMsg.Seq != seq {
		t.Errorf("alice got seq %d, want %d", ev.GroupMsg.Seq, seq)
	}
	none(t, bob)

	room := createGroup(t, n, "AVChatRoom", "owner")
	viewer := n.Dial(t, "viewer")
	if err := viewer.GroupJoin(ctx(t), room); err != nil {
		t.Fatalf("join the room: %v", err)
	}
	s1 := sendGroupREST(t, n, room, "owner", "live 1", "")
	if ev := nextKind(t, viewer, protocol.KindGroupMessage); ev.GroupMsg.Seq != s1 || ev.GroupMsg.Group != room {
		t.Errorf("viewer got %+v, want seq %d", ev.GroupMsg, s1)
	}
	if err := viewer.GroupQuit(ctx(t), room); err != nil {
		t.Fatal(err)
	}
	sendGroupREST(t, n, room, "owner", "live 2", "")
	none(t, viewer)
}

func TestGroupChangesReachMembers(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "owner", "alice", "bob")
	g := createGroup(t, n, "Public", "owner", "alice", "bob")
	alice, bob := n.Dial(t, "alice"), n.Dial(t, "bob")
	seq := sendGroupREST(t, n, g, "owner", "to recall", "")
	nextKind(t, alice, protocol.KindGroupMessage)
	nextKind(t, bob, protocol.KindGroupMessage)
	n.MustTIM(t, "group_open_http_svc/group_msg_recall", fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"MsgSeq":%d}]}`, g, seq))
	if ev := nextKind(t, alice, protocol.KindGroupChange); ev.GroupChange.Change != "message_recalled" || ev.GroupChange.Seq != seq {
		t.Errorf("recall change = %+v", ev.GroupChange)
	}
	n.MustTIM(t, "group_open_http_svc/forbid_send_msg", fmt.Sprintf(`{"GroupId":%q,"Members_Account":["bob"],"MuteTime":60}`, g))
	if ev := nextKind(t, bob, protocol.KindGroupMuted); ev.Group != g || ev.MuteUntil == 0 {
		t.Errorf("mute event = %+v", ev)
	}
	if _, err := bob.GroupSendText(ctx(t), g, "muted"); err == nil {
		t.Errorf("a muted member sent")
	} else if pe, ok := err.(*client.Error); !ok || pe.Code != protocol.CodeForbidden {
		t.Errorf("muted send: %v, want 403", err)
	}
	n.MustTIM(t, "group_open_http_svc/destroy_group", fmt.Sprintf(`{"GroupId":%q}`, g))
	if ev := nextKind(t, alice, protocol.KindGroupLeft); ev.Group != g {
		t.Errorf("destroy: leave event for %q", ev.Group)
	}
}
