package tim_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/parleytest"
)

// Group conversations in v4/recentcontact: get_list lists each joined group
// with messages as Type 2 with its GroupId; unread counts follow the type
// (Meeting and AVChatRoom count none); delete (Type 2, ToGroupid) hides a
// group conversation until its next message.

func TestGroupConversations(t *testing.T) {
	n, clk := groupNode(t)
	pub := groupWith(t, n, "Public", "alice", "bob")
	work := groupWith(t, n, "Work", "alice", "bob")
	meet := groupWith(t, n, "Meeting", "alice", "bob")
	comm := groupWith(t, n, "Community", "alice", "bob")
	av := groupWith(t, n, "AVChatRoom", "alice")
	quiet := groupWith(t, n, "Public", "alice", "bob") // no messages: not listed
	last := map[string]int64{}
	for i, g := range []string{pub, work, meet, comm, av} {
		clk.Advance(10 * time.Second)
		sendG(t, n, g, "alice", 2*i, "one", "")
		sendG(t, n, g, "alice", 2*i+1, "two", "")
		last[g] = gt0 + int64(10*(i+1))
	}
	sendG(t, n, work, "alice", 99, "quietly", `,"SendMsgControl":["NoLastMsg","NoUnread"]`)
	send(t, n, `{"From_Account":"carol","To_Account":"bob","MsgRandom":1,"MsgBody":`+textBody("c2c")+`}`) // a C2C conversation beside them

	items := contacts(t, n, "bob", 0)
	want := fmt.Sprintf("1:carol@%d 2:%s@%d 2:%s@%d 2:%s@%d 2:%s@%d", gt0+50, comm, last[comm], meet, last[meet], work, last[work], pub, last[pub])
	if got := sessions(items); got != want {
		t.Errorf("bob's conversations\n got %s\nwant %s", got, want)
	}
	for _, s := range items {
		if s.Type == 2 && (s.GroupId == "" || s.To_Account != "") {
			t.Errorf("group item %+v: GroupId only", s)
		}
		if s.GroupId == quiet || s.GroupId == av {
			t.Errorf("listed %s, which bob has no conversation with", s.GroupId)
		}
	}
	for g, want := range map[string]int{pub: 2, work: 2, comm: 2, meet: 0} {
		if got := unreadIn(t, n, "bob", g); got != want {
			t.Errorf("bob's unread in %s: %d, want %d", g, got, want)
		}
	}
	if got := unreadIn(t, n, "alice", av); got != -1 {
		t.Errorf("an AVChatRoom keeps no members: alice's unread %d, want not listed", got)
	}

	// Deleting a group conversation hides it and clears its unread.
	n.MustTIM(t, "recentcontact/delete", fmt.Sprintf(`{"From_Account":"bob","Type":2,"ToGroupid":%q}`, pub))
	for _, s := range contacts(t, n, "bob", 0) {
		if s.GroupId == pub {
			t.Errorf("deleted conversation %s still listed", pub)
		}
	}
	if got := unreadIn(t, n, "bob", pub); got != 0 {
		t.Errorf("unread after deleting the conversation: %d", got)
	}
	timCode(t, n, "recentcontact/delete", fmt.Sprintf(`{"From_Account":"bob","Type":2,"ToGroupid":%q}`, pub), 0) // again: fine
	timCode(t, n, "recentcontact/delete", `{"From_Account":"bob","Type":2}`, 50002)
	// A new message brings it back.
	clk.Advance(10 * time.Second)
	sendG(t, n, pub, "alice", 50, "back", "")
	items = contacts(t, n, "bob", 0)
	if len(items) == 0 || items[0].GroupId != pub || items[0].MsgTime != gt0+60 {
		t.Errorf("after a new message: %s, want %s first at %d", sessions(items), pub, gt0+60)
	}
	if got := unreadIn(t, n, "bob", pub); got != 1 {
		t.Errorf("unread after the new message: %d, want 1", got)
	}
	// Leaving the group removes the conversation.
	n.MustTIM(t, gsvc+"delete_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":["bob"]}`, comm))
	for _, s := range contacts(t, n, "bob", 0) {
		if s.GroupId == comm {
			t.Errorf("conversation of a group bob left is still listed")
		}
	}
}

// sessions renders conversation items as type:peer@time.
func sessions(items []session) string {
	out := ""
	for i, s := range items {
		if i > 0 {
			out += " "
		}
		peer := s.To_Account
		if s.Type == 2 {
			peer = s.GroupId
		}
		out += fmt.Sprintf("%d:%s@%d", s.Type, peer, s.MsgTime)
	}
	return out
}

// TestGroupConversationMentions: a message that @-mentions a member (or
// everyone) flags the member's conversation until they read it.
func TestGroupConversationMentions(t *testing.T) {
	n, _ := groupNode(t)
	g := groupWith(t, n, "Public", "alice", "bob", "carol")
	flags := func(user string) string {
		t.Helper()
		page, err := n.Service.Conversations(context.Background(), core.ConvListRequest{App: parleytest.AppID, Owner: user})
		if err != nil {
			t.Fatalf("Conversations(%s): %v", user, err)
		}
		for _, c := range page.Items {
			if c.Peer == g {
				return fmt.Sprintf("me=%v all=%v", c.AtMe, c.AtAll)
			}
		}
		return "none"
	}
	sendG(t, n, g, "alice", 1, "hey @bob", `,"GroupAtInfo":[{"GroupAtAllFlag":0,"GroupAt_Account":"bob"}]`)
	if got := flags("bob"); got != "me=true all=false" {
		t.Errorf("bob after @bob: %s", got)
	}
	if got := flags("carol"); got != "me=false all=false" {
		t.Errorf("carol after @bob: %s", got)
	}
	sendG(t, n, g, "alice", 2, "hey @all", `,"GroupAtInfo":[{"GroupAtAllFlag":1}]`)
	if got := flags("carol"); got != "me=false all=true" {
		t.Errorf("carol after @all: %s", got)
	}
	// Reading clears the flags (deleting the conversation marks it read).
	n.MustTIM(t, "recentcontact/delete", fmt.Sprintf(`{"From_Account":"bob","Type":2,"ToGroupid":%q}`, g))
	sendG(t, n, g, "alice", 3, "plain", "")
	if got := flags("bob"); got != "me=false all=false" {
		t.Errorf("bob after reading: %s", got)
	}
}
