package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/store/memory"
)

const testApp = core.AppID(1400000001)

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func newTestService(t *testing.T, users ...string) (*core.Service, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Unix(1_800_000_000, 0)}
	svc, err := core.New(context.Background(), core.Config{
		Store: memory.New(),
		Apps:  []*core.App{{ID: testApp, Key: "k", Admins: []string{"admin"}}},
		Now:   clock.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := svc.ImportAccount(context.Background(), core.Account{App: testApp, ID: u}); err != nil {
			t.Fatal(err)
		}
	}
	return svc, clock
}

func text(s string) json.RawMessage {
	b, _ := json.Marshal([]map[string]any{{"MsgType": "TIMTextElem", "MsgContent": map[string]string{"Text": s}}})
	return b
}

func send(t *testing.T, svc *core.Service, from, to, body string, mut ...func(*core.C2CSend)) core.Sent {
	t.Helper()
	req := &core.C2CSend{App: testApp, From: from, To: to, Random: 1, Body: text(body)}
	for _, m := range mut {
		m(req)
	}
	sent, err := svc.SendC2C(context.Background(), req)
	if err != nil {
		t.Fatalf("SendC2C %s→%s: %v", from, to, err)
	}
	return sent
}

func unread(t *testing.T, svc *core.Service, user, peer string) int {
	t.Helper()
	_, per, err := svc.C2CUnread(context.Background(), testApp, user, []string{peer})
	if err != nil {
		t.Fatalf("C2CUnread: %v", err)
	}
	return per[0].Unread
}

func TestRecallStopsUnreadAndIsFlaggedInHistory(t *testing.T) {
	ctx := context.Background()
	svc, clock := newTestService(t, "alice", "bob")
	s1 := send(t, svc, "alice", "bob", "one")
	clock.t = clock.t.Add(time.Second)
	send(t, svc, "alice", "bob", "two")
	if got := unread(t, svc, "bob", "alice"); got != 2 {
		t.Fatalf("unread = %d, want 2", got)
	}
	if err := svc.RecallC2C(ctx, testApp, "alice", "bob", s1.Key); err != nil {
		t.Fatalf("RecallC2C: %v", err)
	}
	if got := unread(t, svc, "bob", "alice"); got != 1 {
		t.Errorf("after recall unread = %d, want 1", got)
	}
	if err := svc.RecallC2C(ctx, testApp, "alice", "bob", s1.Key); core.KindOf(err) != core.Duplicate {
		t.Errorf("second recall: %v, want Duplicate", err)
	}
	if err := svc.RecallC2C(ctx, testApp, "bob", "alice", s1.Key); core.KindOf(err) != core.NotFound || core.FieldOf(err) != core.FieldKey {
		t.Errorf("recall with From/To swapped: %v, want NotFound key", err)
	}
	page, err := svc.C2CHistory(ctx, core.HistoryRequest{App: testApp, Owner: "bob", Peer: "alice", MaxTime: 1 << 40, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 2 || !page.Messages[1].Flags.Has(core.FlagRecalled) {
		t.Errorf("history = %+v, want 2 messages with the older recalled", page.Messages)
	}
}

func TestReadMarksPeerReadAndUnread(t *testing.T) {
	ctx := context.Background()
	svc, clock := newTestService(t, "alice", "bob")
	send(t, svc, "alice", "bob", "one")
	clock.t = clock.t.Add(10 * time.Second)
	send(t, svc, "alice", "bob", "two")
	n, err := svc.SetC2CRead(ctx, testApp, "bob", "alice", clock.t.Unix()-5)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("unread after reading the first = %d, want 1", n)
	}
	page, _ := svc.C2CHistory(ctx, core.HistoryRequest{App: testApp, Owner: "alice", Peer: "bob", MaxTime: 1 << 40, Limit: 10})
	if len(page.Messages) != 2 || page.Messages[0].Flags.Has(core.FlagPeerRead) || !page.Messages[1].Flags.Has(core.FlagPeerRead) {
		t.Errorf("alice's history read flags wrong: %+v", page.Messages)
	}
}

func TestNoUnreadNoLastMsgAndConversations(t *testing.T) {
	ctx := context.Background()
	svc, clock := newTestService(t, "alice", "bob", "carol")
	send(t, svc, "alice", "bob", "counted")
	clock.t = clock.t.Add(time.Second)
	send(t, svc, "carol", "bob", "quiet", func(r *core.C2CSend) { r.NoUnread = true })
	clock.t = clock.t.Add(time.Second)
	send(t, svc, "alice", "bob", "no last", func(r *core.C2CSend) { r.NoLastMsg = true })
	if got := unread(t, svc, "bob", "alice"); got != 2 {
		t.Errorf("bob's unread with alice = %d, want 2", got)
	}
	if got := unread(t, svc, "bob", "carol"); got != 0 {
		t.Errorf("bob's unread with carol = %d, want 0 (NoUnread)", got)
	}
	page, err := svc.Conversations(ctx, core.ConvListRequest{App: testApp, Owner: "bob", SupportPinned: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].Peer != "carol" || page.Items[1].Peer != "alice" || !page.Complete {
		t.Errorf("bob's list = %+v, want carol (newest) then alice, complete", page.Items)
	}
	if err := svc.PinConversation(ctx, testApp, "bob", core.ConvC2C, "alice", true); err != nil {
		t.Fatal(err)
	}
	page, _ = svc.Conversations(ctx, core.ConvListRequest{App: testApp, Owner: "bob", SupportPinned: true})
	if page.Items[0].Peer != "alice" || !page.Items[0].Pinned {
		t.Errorf("pinned first: %+v", page.Items)
	}
	if err := svc.DeleteConversation(ctx, testApp, "bob", core.ConvC2C, "alice", true); err != nil {
		t.Fatal(err)
	}
	if got := unread(t, svc, "bob", "alice"); got != 0 {
		t.Errorf("after delete unread = %d", got)
	}
	h, _ := svc.C2CHistory(ctx, core.HistoryRequest{App: testApp, Owner: "bob", Peer: "alice", MaxTime: 1 << 40, Limit: 10})
	if len(h.Messages) != 0 {
		t.Errorf("bob's cleared history shows %d messages", len(h.Messages))
	}
	h, _ = svc.C2CHistory(ctx, core.HistoryRequest{App: testApp, Owner: "alice", Peer: "bob", MaxTime: 1 << 40, Limit: 10})
	if len(h.Messages) != 2 {
		t.Errorf("alice's history shows %d messages, want 2", len(h.Messages))
	}
}

func TestConversationPaging(t *testing.T) {
	ctx := context.Background()
	svc, clock := newTestService(t, "owner")
	for i := range 250 {
		peer := "p" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if err := svc.ImportAccount(ctx, core.Account{App: testApp, ID: peer}); err != nil {
			t.Fatal(err)
		}
		send(t, svc, peer, "owner", "hi")
		if i%3 == 0 {
			clock.t = clock.t.Add(time.Second) // several conversations share a time
		}
	}
	seen := map[string]bool{}
	req := core.ConvListRequest{App: testApp, Owner: "owner"}
	for pages := 0; ; pages++ {
		page, err := svc.Conversations(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			if seen[c.Peer] {
				t.Fatalf("page %d lists %s again", pages, c.Peer)
			}
			seen[c.Peer] = true
		}
		if page.Complete {
			break
		}
		if pages > 5 {
			t.Fatal("too many pages")
		}
		req.Normal = page.Normal
	}
	if len(seen) != 250 {
		t.Errorf("listed %d conversations, want 250", len(seen))
	}
}

func TestExtensions(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t, "alice", "bob")
	plain := send(t, svc, "alice", "bob", "plain")
	_, err := svc.SetC2CExtensions(ctx, &core.ExtensionRequest{App: testApp, From: "alice", To: "bob", Key: plain.Key,
		Op: core.ExtensionSet, Items: []core.ExtensionChange{{Key: "k", Value: "v"}}})
	if core.KindOf(err) != core.Unsupported {
		t.Errorf("extension on a plain message: %v, want Unsupported", err)
	}
	ext := send(t, svc, "alice", "bob", "ext", func(r *core.C2CSend) { r.SupportExtension = true; r.Random = 2 })
	set := func(check bool, items ...core.ExtensionChange) []core.ExtensionResult {
		t.Helper()
		res, err := svc.SetC2CExtensions(ctx, &core.ExtensionRequest{App: testApp, From: "alice", To: "bob", Key: ext.Key,
			Op: core.ExtensionSet, Items: items, CheckSeq: check})
		if err != nil {
			t.Fatalf("SetC2CExtensions: %v", err)
		}
		return res
	}
	set(true, core.ExtensionChange{Key: "k1", Value: "v1"}, core.ExtensionChange{Key: "k2", Value: "v2"})
	res := set(true, core.ExtensionChange{Key: "k1", Value: "stale", Seq: 0}, core.ExtensionChange{Key: "k3", Value: "v3"})
	if core.KindOf(res[0].Err) != core.Conflict || res[0].Extension.Seq != 1 || res[1].Err != nil || res[1].Extension.Seq != 2 {
		t.Errorf("second set = %+v, want a conflict on k1 (Seq 1) and k3 at Seq 2", res)
	}
	page, err := svc.C2CExtensions(ctx, testApp, "alice", "bob", ext.Key, 2)
	if err != nil || len(page.Items) != 1 || page.Items[0].Key != "k3" || page.LatestSeq != 2 || !page.Complete {
		t.Errorf("C2CExtensions(start 2) = %+v, %v", page, err)
	}
	if _, err := svc.SetC2CExtensions(ctx, &core.ExtensionRequest{App: testApp, From: "alice", To: "bob", Key: ext.Key, Op: core.ExtensionClear}); err != nil {
		t.Fatal(err)
	}
	page, _ = svc.C2CExtensions(ctx, testApp, "alice", "bob", ext.Key, 0)
	if len(page.Items) != 0 || page.ClearSeq != 3 || page.LatestSeq != 3 {
		t.Errorf("after clear = %+v", page)
	}
}

// TestHistoryNeverSplitsSharedKey: two messages with one MsgKey (one each
// way) are never split between pages, so paging by key loses neither.
func TestHistoryNeverSplitsSharedKey(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t, "alice", "bob")
	same := func(r *core.C2CSend) { r.Seq, r.HasSeq, r.Random = 7, true, 9 }
	send(t, svc, "alice", "bob", "a→b", same)
	send(t, svc, "bob", "alice", "b→a", same)
	seen := 0
	var after *core.MsgKey
	for range 5 {
		page, err := svc.C2CHistory(ctx, core.HistoryRequest{App: testApp, Owner: "alice", Peer: "bob", MaxTime: 1 << 40, Limit: 1, After: after})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.Messages)
		if !page.More {
			break
		}
		k := page.Messages[len(page.Messages)-1].Key()
		after = &k
	}
	if seen != 2 {
		t.Errorf("paging one at a time saw %d messages, want 2", seen)
	}
}

// TestExtensionPagesNeverSplitASeq: the pairs of one change share a Seq; a
// page never ends inside one, so continuing from the last Seq loses none.
func TestExtensionPagesNeverSplitASeq(t *testing.T) {
	ctx := context.Background()
	svc, clock := newTestService(t, "alice", "bob")
	sent := send(t, svc, "alice", "bob", "ext", func(r *core.C2CSend) { r.SupportExtension = true })
	for call := 0; call < 11; call++ { // 11 calls of 19 pairs: seqs 1..11, 209 pairs
		var items []core.ExtensionChange
		for i := range 19 {
			items = append(items, core.ExtensionChange{Key: fmt.Sprintf("k%02d-%02d", call, i), Value: "v"})
		}
		if _, err := svc.SetC2CExtensions(ctx, &core.ExtensionRequest{App: testApp, From: "alice", To: "bob", Key: sent.Key, Op: core.ExtensionSet, Items: items}); err != nil {
			t.Fatal(err)
		}
		clock.t = clock.t.Add(time.Minute) // stay under the per-minute limit
	}
	seen := map[string]bool{}
	start := uint64(0)
	for range 5 {
		page, err := svc.C2CExtensions(ctx, testApp, "alice", "bob", sent.Key, start)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			seen[e.Key] = true
		}
		if page.Complete {
			break
		}
		start = page.Items[len(page.Items)-1].Seq + 1
	}
	if len(seen) != 209 {
		t.Errorf("paging saw %d pairs, want 209", len(seen))
	}
}

// TestKickSurvivesDeleteAndReimport: a kicked account deleted and imported
// again still refuses UserSigs made before the kick.
func TestKickSurvivesDeleteAndReimport(t *testing.T) {
	ctx := context.Background()
	svc, clock := newTestService(t, "alice")
	before := clock.t.Unix()
	clock.t = clock.t.Add(time.Minute)
	if err := svc.Kick(ctx, testApp, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteAccounts(ctx, testApp, []string{"alice"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.ImportAccount(ctx, core.Account{App: testApp, ID: "alice"}); err != nil {
		t.Fatal(err)
	}
	if svc.SignatureStillValid(testApp, "alice", before) {
		t.Errorf("a UserSig from before the kick works again after delete and re-import")
	}
}
