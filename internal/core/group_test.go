package core_test

import (
	"context"
	"testing"

	"github.com/parleyim/parley/internal/core"
)

func listed(t *testing.T, svc *core.Service, owner string) map[string]core.Conversation {
	t.Helper()
	page, err := svc.Conversations(context.Background(), core.ConvListRequest{App: testApp, Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]core.Conversation{}
	for _, c := range page.Items {
		out[c.Peer] = c
	}
	return out
}

func TestDeletedGroupConversationComesBack(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t, "owner", "alice")
	g, err := svc.CreateGroup(ctx, &core.CreateGroupRequest{App: testApp, Type: core.GroupPublic, Name: "g", Owner: "owner",
		Members: []core.Member{{User: "alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	sendG := func(from string, random uint32) {
		t.Helper()
		if _, err := svc.SendGroupMessage(ctx, &core.GroupSend{App: testApp, Group: g.ID, From: from, Random: random, Body: text("hi")}); err != nil {
			t.Fatal(err)
		}
	}
	sendG("owner", 1)
	if c, ok := listed(t, svc, "alice")[g.ID]; !ok || c.Unread != 1 || c.Type != core.ConvGroup {
		t.Fatalf("alice's group conversation = %+v, %v; want listed with 1 unread", c, ok)
	}
	if err := svc.DeleteConversation(ctx, testApp, "alice", core.ConvGroup, g.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, ok := listed(t, svc, "alice")[g.ID]; ok {
		t.Fatalf("deleted group conversation still listed")
	}
	sendG("alice", 2) // her own message brings it back, as in C2C
	if c, ok := listed(t, svc, "alice")[g.ID]; !ok || c.Unread != 0 {
		t.Errorf("after alice sends: %+v, %v; want listed with 0 unread", c, ok)
	}
	if err := svc.DeleteConversation(ctx, testApp, "alice", core.ConvGroup, g.ID, false); err != nil {
		t.Fatal(err)
	}
	sendG("owner", 3)
	if c, ok := listed(t, svc, "alice")[g.ID]; !ok || c.Unread != 1 {
		t.Errorf("after another member sends: %+v, %v; want listed with 1 unread", c, ok)
	}
}

func TestGroupDedupIsPerTopicAndKeepsTime(t *testing.T) {
	ctx := context.Background()
	svc, clock := newTestService(t, "owner")
	g, err := svc.CreateGroup(ctx, &core.CreateGroupRequest{App: testApp, Type: core.GroupCommunity, Name: "c", Owner: "owner", SupportTopic: true})
	if err != nil {
		t.Fatal(err)
	}
	tp, err := svc.CreateTopic(ctx, &core.TopicRequest{App: testApp, Group: g.ID, Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.SendGroupMessage(ctx, &core.GroupSend{App: testApp, Group: g.ID, From: "owner", Random: 7, Body: text("same")})
	if err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(10e9)
	again, _ := svc.SendGroupMessage(ctx, &core.GroupSend{App: testApp, Group: g.ID, From: "owner", Random: 7, Body: text("same")})
	if !again.Duplicate || again.Seq != first.Seq || again.Time != first.Time {
		t.Errorf("retry = %+v, want the first send's seq and time %+v", again, first)
	}
	inTopic, _ := svc.SendGroupMessage(ctx, &core.GroupSend{App: testApp, Group: g.ID, Topic: tp.ID, From: "owner", Random: 7, Body: text("same")})
	if inTopic.Duplicate {
		t.Errorf("the same send to a topic was taken for a retry of the group's")
	}
}
