package storetest

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parleyim/parley/internal/core"
)

// Conformance cases of the conversation list reads: ListConversations,
// ConversationsOfType and C2CUnreadTotal.

// listFixture gives "o" C2C conversations (LastTime in brackets): p1, p2,
// p3 [100], p8 [100, pinned], p4 [90], p9 [85, pinned], p5 [80], p6 (empty),
// p7 [95, hidden], z0 (empty, pinned); a pinned group conversation g1;
// and "x" a conversation at 100.
func listFixture(t *testing.T, s core.Store) {
	t.Helper()
	appendOK(t, s,
		msg("p1", "o", 100, 1, 1), msg("o", "p2", 100, 2, 2), msg("p3", "o", 100, 3, 3), msg("p8", "o", 100, 8, 8),
		msg("p4", "o", 90, 4, 4), msg("p9", "o", 85, 9, 9), msg("p5", "o", 80, 5, 5), msg("p7", "o", 95, 7, 7),
		msg("p1", "x", 100, 10, 10))
	if _, err := s.MarkC2CRead(ctx, app, "o", "p6", 50, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteConversation(ctx, app, "o", core.ConvC2C, "p7", false, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		typ  core.ConvType
		peer string
	}{{core.ConvC2C, "p8"}, {core.ConvC2C, "p9"}, {core.ConvC2C, "z0"}, {core.ConvGroup, "g1"}} {
		if err := s.SetConversationPinned(ctx, app, "o", p.typ, p.peer, true, 500, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func testListConversations(t *testing.T, s core.Store) {
	listFixture(t, s)
	all := core.ConvListQuery{App: app, Owner: "o", MaxTime: math.MaxInt64, Limit: 100}
	with := func(q core.ConvListQuery, f func(q *core.ConvListQuery)) core.ConvListQuery { f(&q); return q }
	for _, c := range []struct {
		name string
		q    core.ConvListQuery
		want string
	}{
		{"all", all, "p1 p2 p3 p8 p4 p9 p5"},
		{"unpinned", with(all, func(q *core.ConvListQuery) { q.Pins = core.UnpinnedOnly }), "p1 p2 p3 p4 p5"},
		{"pinned", with(all, func(q *core.ConvListQuery) { q.Pins = core.PinnedOnly }), "p8 p9"},
		{"pinned with empty", with(all, func(q *core.ConvListQuery) { q.Pins, q.WithEmpty = core.PinnedOnly, true }), "p8 p9 z0"},
		{"with empty", with(all, func(q *core.ConvListQuery) { q.WithEmpty = true }), "p1 p2 p3 p8 p4 p9 p5 p6 z0"},
		{"limit", with(all, func(q *core.ConvListQuery) { q.Limit = 2 }), "p1 p2"},
		{"no limit", with(all, func(q *core.ConvListQuery) { q.Limit = 0 }), ""},
		{"max time", with(all, func(q *core.ConvListQuery) { q.MaxTime = 90 }), "p4 p9 p5"},
		{"skip at max time", with(all, func(q *core.ConvListQuery) { q.MaxTime, q.Skip, q.Limit = 100, 2, 3 }), "p3 p8 p4"},
		{"skip all at max time", with(all, func(q *core.ConvListQuery) { q.MaxTime, q.Skip, q.Limit = 100, 4, 1 }), "p4"},
		{"skip more than at max time", with(all, func(q *core.ConvListQuery) { q.MaxTime, q.Skip = 100, 10 }), "p4 p9 p5"},
		{"skip across", with(all, func(q *core.ConvListQuery) { q.MaxTime, q.Skip, q.Limit = 100, 3, 2 }), "p8 p4"},
		{"skip unpinned", with(all, func(q *core.ConvListQuery) { q.MaxTime, q.Skip, q.Pins = 100, 2, core.UnpinnedOnly }), "p3 p4 p5"},
		{"skip pinned", with(all, func(q *core.ConvListQuery) { q.MaxTime, q.Skip, q.Pins = 100, 1, core.PinnedOnly }), "p9"},
		{"skip none at max time", with(all, func(q *core.ConvListQuery) { q.MaxTime, q.Skip = 95, 1 }), "p4 p9 p5"},
		{"skip at empty", with(all, func(q *core.ConvListQuery) { q.MaxTime, q.Skip, q.WithEmpty = 0, 1, true }), "z0"},
		{"other app", with(all, func(q *core.ConvListQuery) { q.App++ }), ""},
		{"unknown owner", with(all, func(q *core.ConvListQuery) { q.Owner = "nobody" }), ""},
	} {
		got, err := s.ListConversations(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: ListConversations: %v", c.name, err)
		}
		peers := make([]string, len(got))
		for i, cv := range got {
			peers[i] = cv.Peer
			stored, _, _ := s.Conversation(ctx, app, cv.Owner, cv.Type, cv.Peer)
			if !reflect.DeepEqual(cv, stored) {
				t.Errorf("%s: listed %+v, stored %+v", c.name, cv, stored)
			}
		}
		if strings.Join(peers, " ") != c.want {
			t.Errorf("%s: listed %q, want %q", c.name, strings.Join(peers, " "), c.want)
		}
	}
}

func testConversationsOfType(t *testing.T, s core.Store) {
	listFixture(t, s)
	groups, err := s.ConversationsOfType(ctx, app, "o", core.ConvGroup)
	if err != nil || len(groups) != 1 || groups[0].Peer != "g1" || !groups[0].Pinned || groups[0].Owner != "o" {
		t.Errorf("group conversations of o = %+v, %v; want g1, pinned", groups, err)
	}
	c2c, err := s.ConversationsOfType(ctx, app, "o", core.ConvC2C)
	if err != nil {
		t.Fatal(err)
	}
	var peers []string
	for _, c := range c2c {
		peers = append(peers, c.Peer)
	}
	slices.Sort(peers)
	if strings.Join(peers, " ") != "p1 p2 p3 p4 p5 p6 p7 p8 p9 z0" {
		t.Errorf("C2C conversations of o: %v", peers)
	}
	if none, err := s.ConversationsOfType(ctx, app, "nobody", core.ConvC2C); err != nil || len(none) != 0 {
		t.Errorf("conversations of an unknown owner = %v, %v", none, err)
	}
}

func testC2CUnreadTotal(t *testing.T, s core.Store) {
	total := func(owner string) int {
		t.Helper()
		n, err := s.C2CUnreadTotal(ctx, app, owner)
		if err != nil {
			t.Fatalf("C2CUnreadTotal(%s): %v", owner, err)
		}
		return n
	}
	if n := total("o"); n != 0 {
		t.Errorf("total of an owner without conversations = %d", n)
	}
	listFixture(t, s) // unread: p1, p3, p8, p4, p9, p5 one each (p7's went with the delete)
	appendOK(t, s, msg("p1", "o", 101, 11, 11), msg("o", "p1", 102, 12, 12))
	hiddenUnread := msg("p7", "o", 96, 13, 13)
	hiddenUnread.Flags |= core.FlagNoLastMsg // counts, but p7 stays hidden
	appendOK(t, s, hiddenUnread)
	if c := conv(t, s, "o", "p7"); !c.Hidden || c.Unread != 1 {
		t.Fatalf("p7 = %+v, want hidden with one unread", c)
	}
	if n := total("o"); n != 8 {
		t.Errorf("total of o = %d, want 8", n)
	}
	if n := total("x"); n != 1 {
		t.Errorf("total of x = %d, want 1", n)
	}
	if _, err := s.MarkC2CRead(ctx, app, "o", "p1", 200, nil); err != nil {
		t.Fatal(err)
	}
	if n := total("o"); n != 6 {
		t.Errorf("total of o after reading p1 = %d, want 6", n)
	}
	if n, err := s.C2CUnreadTotal(ctx, app+1, "o"); err != nil || n != 0 {
		t.Errorf("total in another app = %d, %v", n, err)
	}
}
