package core_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/store/memory"
	"github.com/parleyim/parley/internal/store/sqlite"
)

// TestConversationPagesMatchWholeList checks Service.Conversations, which
// reads only a page of C2C conversations from the store, against listing
// the whole list (every row, group conversations merged, sorted, paged),
// on both stores: every flag combination, pages followed from the start
// and arbitrary cursors, over a list with many equal times, pinned, hidden
// and empty conversations and group conversations sharing C2C times.
func TestConversationPagesMatchWholeList(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) core.Store
	}{
		{"memory", func(t *testing.T) core.Store { return memory.New() }},
		{"sqlite", func(t *testing.T) core.Store {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{SyncNormal: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			store := st.open(t)
			clock := &testClock{t: time.Unix(1_800_000_000, 0)}
			svc, err := core.New(ctx, core.Config{Store: store, Now: clock.now,
				Apps: []*core.App{{ID: testApp, Key: "k", Admins: []string{"admin"}}}})
			if err != nil {
				t.Fatal(err)
			}
			fillConversations(t, svc, clock)
			for flags := range 8 {
				req := core.ConvListRequest{App: testApp, Owner: "owner",
					SupportPinned: flags&1 != 0, WithEmpty: flags&2 != 0, PagePinned: flags&4 != 0}
				for page := 0; ; page++ {
					got := compareListPage(t, svc, store, req)
					if got.Complete || page > 10 {
						break
					}
					req.Normal, req.Pinned = got.Normal, got.Pinned
				}
				rnd := rand.New(rand.NewPCG(1, uint64(flags)))
				cursor := func() core.ConvCursor {
					if rnd.IntN(4) == 0 {
						return core.ConvCursor{}
					}
					return core.ConvCursor{Time: 1_800_000_000 + rnd.Int64N(12) - 2, Index: rnd.IntN(40)}
				}
				for range 60 {
					req.Normal, req.Pinned = cursor(), cursor()
					compareListPage(t, svc, store, req)
				}
			}
		})
	}
}

// fillConversations gives owner over 200 conversations over a few seconds.
func fillConversations(t *testing.T, svc *core.Service, clock *testClock) {
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(7, 7))
	users := []string{"owner"}
	for i := range 230 {
		users = append(users, fmt.Sprintf("peer%03d", i))
	}
	for _, u := range users {
		if err := svc.ImportAccount(ctx, core.Account{App: testApp, ID: u}); err != nil {
			t.Fatal(err)
		}
	}
	var groups []string
	for i := range 8 {
		g, err := svc.CreateGroup(ctx, &core.CreateGroupRequest{App: testApp, Type: core.GroupPublic,
			ID: fmt.Sprintf("group%d", i), Name: "g", Owner: users[1+i],
			Members: []core.Member{{User: "owner", Role: core.RoleMember}}})
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g.ID)
	}
	start := clock.t
	at := func() { clock.t = start.Add(time.Duration(rnd.IntN(8)) * time.Second) }
	for i, peer := range users[1:] {
		at()
		switch {
		case i%17 == 0: // empty: only read state
			if _, err := svc.SetC2CRead(ctx, testApp, "owner", peer, clock.t.Unix()); err != nil {
				t.Fatal(err)
			}
		case i%13 == 0: // empty: NoLastMsg
			send(t, svc, peer, "owner", "no last", func(r *core.C2CSend) { r.NoLastMsg = true })
		case i%2 == 0:
			send(t, svc, peer, "owner", "hi")
		default:
			send(t, svc, "owner", peer, "hi")
		}
		if i%11 == 0 {
			if err := svc.PinConversation(ctx, testApp, "owner", core.ConvC2C, peer, true); err != nil {
				t.Fatal(err)
			}
		}
		if i%19 == 0 {
			if err := svc.DeleteConversation(ctx, testApp, "owner", core.ConvC2C, peer, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Pinned and empty, never messaged.
	if err := svc.PinConversation(ctx, testApp, "owner", core.ConvC2C, "peer229", true); err != nil {
		t.Fatal(err)
	}
	for i, g := range groups {
		if i < 6 {
			at()
			if _, err := svc.SendGroupMessage(ctx, &core.GroupSend{App: testApp, Group: g, From: users[1+i], Random: 1, Body: text("hi")}); err != nil {
				t.Fatal(err)
			}
		}
		if i%3 == 0 {
			if err := svc.PinConversation(ctx, testApp, "owner", core.ConvGroup, g, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := svc.DeleteConversation(ctx, testApp, "owner", core.ConvGroup, groups[1], false); err != nil {
		t.Fatal(err)
	}
}

// compareListPage checks one page against wholeListPage.
func compareListPage(t *testing.T, svc *core.Service, store core.Store, req core.ConvListRequest) core.ConvPage {
	t.Helper()
	ctx := context.Background()
	got, err := svc.Conversations(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := store.Conversations(ctx, req.App, req.Owner)
	if err != nil {
		t.Fatal(err)
	}
	rows = slices.DeleteFunc(rows, func(c core.Conversation) bool { return c.Type != core.ConvC2C })
	groups, err := svc.GroupConversationsForTest(ctx, req.App, req.Owner)
	if err != nil {
		t.Fatal(err)
	}
	want := wholeListPage(append(rows, groups...), req)
	if len(got.Items) == 0 && len(want.Items) == 0 {
		got.Items, want.Items = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v:\n got %s\nwant %s", req, pageString(got), pageString(want))
	}
	return got
}

func pageString(p core.ConvPage) string {
	s := fmt.Sprintf("complete %v normal %v pinned %v:", p.Complete, p.Normal, p.Pinned)
	for _, c := range p.Items {
		s += fmt.Sprintf(" %d/%s@%d", c.Type, c.Peer, c.LastTime)
		if c.Pinned {
			s += "(p)"
		}
	}
	return s
}

// wholeListPage is the conversation list as it was computed from every
// conversation at once.
func wholeListPage(all []core.Conversation, req core.ConvListRequest) core.ConvPage {
	var pinned, normal []core.Conversation
	for _, c := range all {
		if c.Hidden || (c.LastTime == 0 && !req.WithEmpty) {
			continue
		}
		if c.Pinned && req.SupportPinned {
			pinned = append(pinned, c)
		} else {
			normal = append(normal, c)
		}
	}
	sortWhole(pinned)
	sortWhole(normal)
	page := core.ConvPage{Normal: req.Normal, Pinned: req.Pinned}
	room := core.ConversationPageSize
	firstPage := req.Pinned == core.ConvCursor{} && req.Normal == core.ConvCursor{}
	pinnedDone := true
	if req.PagePinned || firstPage {
		var taken []core.Conversation
		taken, page.Pinned, pinnedDone = takeWhole(pinned, req.Pinned, room)
		if !req.PagePinned {
			taken, pinnedDone = pinned, true
		}
		page.Items = append(page.Items, taken...)
		room -= len(taken)
	}
	normalDone := pinnedDone && len(normal) == 0
	if pinnedDone {
		var taken []core.Conversation
		taken, page.Normal, normalDone = takeWhole(normal, req.Normal, max(room, 0))
		page.Items = append(page.Items, taken...)
	}
	page.Complete = pinnedDone && normalDone
	return page
}

func sortWhole(cs []core.Conversation) {
	slices.SortFunc(cs, func(a, b core.Conversation) int {
		if c := cmp.Compare(b.LastTime, a.LastTime); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return cmp.Compare(a.Peer, b.Peer)
	})
}

func takeWhole(cs []core.Conversation, cur core.ConvCursor, room int) ([]core.Conversation, core.ConvCursor, bool) {
	start := 0
	if cur != (core.ConvCursor{}) {
		for start < len(cs) && cs[start].LastTime > cur.Time {
			start++
		}
		for skipped := 0; start < len(cs) && cs[start].LastTime == cur.Time && skipped < cur.Index; skipped++ {
			start++
		}
	}
	end := min(len(cs), start+room)
	taken := cs[start:end]
	next := cur
	for _, c := range taken {
		if c.LastTime == next.Time && next != (core.ConvCursor{}) {
			next.Index++
		} else {
			next = core.ConvCursor{Time: c.LastTime, Index: 1}
		}
	}
	return taken, next, end == len(cs)
}
