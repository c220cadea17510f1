// Package storetest is the conformance table every core.Store implementation
// runs: one definition of what the store contract means.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parleyim/parley/internal/core"
)

// Run checks that stores from open behave as core.Store documents. open
// returns an empty store and registers its cleanup with t.
func Run(t *testing.T, open func(t *testing.T) core.Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, s core.Store)
}{
	{"AccountsPutScanDelete", testAccounts},
	{"AccountsReviveKeepsCreated", testAccountRevive},
	{"KickedAt", testKickedAt},
	{"AppendAssignsAscendingIDs", testAppendIDs},
	{"HistoryOrderTimeSeqID", testHistoryOrder},
	{"HistoryRangeAndCursor", testHistoryRange},
	{"HistoryVisibility", testHistoryVisibility},
	{"HistoryKeepsContent", testHistoryContent},
	{"DedupSendIsDirected", testDedupSend},
	{"DedupImportIsUndirected", testDedupImport},
	{"DedupInsideOneBatch", testDedupBatch},
	{"FindC2C", testFind},
	{"Purge", testPurge},
	{"AppsAreSeparate", testAppsSeparate},
	{"ConcurrentAppends", testConcurrentAppends},
	{"ClosedStoreRefuses", testClosed},
}

const app = core.AppID(1400000001)

var ctx = context.Background()

func body(text string) json.RawMessage {
	b, _ := json.Marshal([]map[string]any{{"MsgType": "TIMTextElem", "MsgContent": map[string]string{"Text": text}}})
	return b
}

// msg returns a message visible to both sides.
func msg(from, to string, t int64, seq, rnd uint32) *core.C2CMessage {
	return &core.C2CMessage{
		App: app, From: from, To: to, Time: t, Seq: seq, Random: rnd,
		Body:  body(fmt.Sprintf("%s>%s %d/%d", from, to, t, seq)),
		Flags: core.FlagSenderHistory | core.FlagReceiverHistory,
	}
}

func appendOK(t *testing.T, s core.Store, msgs ...*core.C2CMessage) []bool {
	t.Helper()
	dup, err := s.AppendC2C(ctx, msgs)
	if err != nil {
		t.Fatalf("AppendC2C: %v", err)
	}
	if len(dup) != len(msgs) {
		t.Fatalf("AppendC2C: %d dup flags for %d messages", len(dup), len(msgs))
	}
	return dup
}

func history(t *testing.T, s core.Store, q core.C2CQuery) []core.C2CMessage {
	t.Helper()
	if q.App == 0 {
		q.App = app
	}
	if q.Limit == 0 {
		q.Limit = 1000
	}
	if q.MaxTime == 0 {
		q.MaxTime = 1 << 40
	}
	got, err := s.C2CHistory(ctx, q)
	if err != nil {
		t.Fatalf("C2CHistory(%+v): %v", q, err)
	}
	return got
}

func keys(msgs []core.C2CMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Key().String()
	}
	return out
}

func scan(t *testing.T, s core.Store) map[string]core.Account {
	t.Helper()
	got := map[string]core.Account{}
	err := s.ScanAccounts(ctx, func(a core.Account) error {
		got[fmt.Sprint(a.App, "/", a.ID)] = a
		return nil
	})
	if err != nil {
		t.Fatalf("ScanAccounts: %v", err)
	}
	return got
}

func testAccounts(t *testing.T, s core.Store) {
	err := s.PutAccounts(ctx, []core.Account{
		{App: app, ID: "alice", Nick: "Alice", FaceURL: "http://a", Created: 100},
		{App: app, ID: "bob", Created: 100},
		{App: app + 1, ID: "alice", Created: 100},
	})
	if err != nil {
		t.Fatalf("PutAccounts: %v", err)
	}
	got := scan(t, s)
	if len(got) != 3 {
		t.Fatalf("ScanAccounts: %d accounts, want 3: %v", len(got), got)
	}
	if a := got[fmt.Sprint(app, "/alice")]; a.Nick != "Alice" || a.FaceURL != "http://a" || a.Created != 100 {
		t.Errorf("alice = %+v, want Nick Alice, FaceURL http://a, Created 100", a)
	}
	existed, err := s.DeleteAccounts(ctx, app, []string{"bob", "nobody", "bob"})
	if err != nil {
		t.Fatalf("DeleteAccounts: %v", err)
	}
	if !slices.Equal(existed, []bool{true, false, false}) {
		t.Errorf("DeleteAccounts existed = %v, want [true false false]", existed)
	}
	got = scan(t, s)
	if _, ok := got[fmt.Sprint(app, "/bob")]; ok || len(got) != 2 {
		t.Errorf("after delete, accounts = %v, want alice of both apps", got)
	}
}

func testAccountRevive(t *testing.T, s core.Store) {
	if err := s.PutAccounts(ctx, []core.Account{{App: app, ID: "u", Nick: "first", Created: 10}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteAccounts(ctx, app, []string{"u"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAccounts(ctx, []core.Account{{App: app, ID: "u", Created: 20}}); err != nil {
		t.Fatal(err)
	}
	a, ok := scan(t, s)[fmt.Sprint(app, "/u")]
	if !ok {
		t.Fatalf("revived account missing")
	}
	if a.Nick != "first" || a.Created != 10 {
		t.Errorf("revived = %+v, want Nick kept (first) and Created kept (10)", a)
	}
	if err := s.PutAccounts(ctx, []core.Account{{App: app, ID: "u", Nick: "second", FaceURL: "f"}}); err != nil {
		t.Fatal(err)
	}
	if a := scan(t, s)[fmt.Sprint(app, "/u")]; a.Nick != "second" || a.FaceURL != "f" {
		t.Errorf("re-import = %+v, want Nick second, FaceURL f", a)
	}
}

func testKickedAt(t *testing.T, s core.Store) {
	if err := s.PutAccounts(ctx, []core.Account{{App: app, ID: "k"}}); err != nil {
		t.Fatal(err)
	}
	ok, err := s.SetKickedAt(ctx, app, "k", 12345)
	if err != nil || !ok {
		t.Fatalf("SetKickedAt(k) = %v, %v; want true, nil", ok, err)
	}
	if a := scan(t, s)[fmt.Sprint(app, "/k")]; a.KickedAt != 12345 {
		t.Errorf("KickedAt = %d, want 12345", a.KickedAt)
	}
	ok, err = s.SetKickedAt(ctx, app, "nobody", 1)
	if err != nil || ok {
		t.Errorf("SetKickedAt(nobody) = %v, %v; want false, nil", ok, err)
	}
}

func testAppendIDs(t *testing.T, s core.Store) {
	a, b, c := msg("a", "b", 100, 1, 1), msg("b", "a", 100, 2, 2), msg("a", "c", 99, 3, 3)
	appendOK(t, s, a, b)
	appendOK(t, s, c)
	if !(a.ID > 0 && a.ID < b.ID && b.ID < c.ID) {
		t.Errorf("IDs = %d, %d, %d; want positive and ascending in commit order", a.ID, b.ID, c.ID)
	}
}

func testHistoryOrder(t *testing.T, s core.Store) {
	appendOK(t, s,
		msg("a", "b", 200, 5, 1),
		msg("b", "a", 100, 9, 2),
		msg("a", "b", 200, 1, 3),
		msg("a", "b", 200, 5, 4), // same time and seq: ID decides
		msg("a", "x", 150, 1, 5), // another conversation
	)
	got := keys(history(t, s, core.C2CQuery{Owner: "a", Peer: "b"}))
	want := []string{"5_4_200", "5_1_200", "1_3_200", "9_2_100"}
	if !slices.Equal(got, want) {
		t.Errorf("history = %v, want newest first %v", got, want)
	}
	if got2 := keys(history(t, s, core.C2CQuery{Owner: "b", Peer: "a"})); !slices.Equal(got2, want) {
		t.Errorf("history from b = %v, want the same %v", got2, want)
	}
}

func testHistoryRange(t *testing.T, s core.Store) {
	for i := range 10 {
		appendOK(t, s, msg("a", "b", int64(100+i), uint32(i), 0))
	}
	got := keys(history(t, s, core.C2CQuery{Owner: "a", Peer: "b", MinTime: 102, MaxTime: 105}))
	if want := []string{"5_0_105", "4_0_104", "3_0_103", "2_0_102"}; !slices.Equal(got, want) {
		t.Errorf("range [102,105] = %v, want %v", got, want)
	}
	got = keys(history(t, s, core.C2CQuery{Owner: "a", Peer: "b", Limit: 3}))
	if want := []string{"9_0_109", "8_0_108", "7_0_107"}; !slices.Equal(got, want) {
		t.Errorf("limit 3 = %v, want %v", got, want)
	}
	page := history(t, s, core.C2CQuery{Owner: "a", Peer: "b", Limit: 3})
	cur := core.CursorOf(&page[2])
	got = keys(history(t, s, core.C2CQuery{Owner: "a", Peer: "b", Limit: 3, Before: &cur}))
	if want := []string{"6_0_106", "5_0_105", "4_0_104"}; !slices.Equal(got, want) {
		t.Errorf("before 7_0_107 = %v, want %v", got, want)
	}
}

func testHistoryVisibility(t *testing.T, s core.Store) {
	senderOnly := msg("a", "b", 100, 1, 1)
	senderOnly.Flags = core.FlagSenderHistory
	receiverOnly := msg("a", "b", 101, 2, 2)
	receiverOnly.Flags = core.FlagReceiverHistory
	both := msg("b", "a", 102, 3, 3)
	appendOK(t, s, senderOnly, receiverOnly, both)
	if got, want := keys(history(t, s, core.C2CQuery{Owner: "a", Peer: "b"})), []string{"3_3_102", "1_1_100"}; !slices.Equal(got, want) {
		t.Errorf("a sees %v, want %v", got, want)
	}
	if got, want := keys(history(t, s, core.C2CQuery{Owner: "b", Peer: "a"})), []string{"3_3_102", "2_2_101"}; !slices.Equal(got, want) {
		t.Errorf("b sees %v, want %v", got, want)
	}
	if got := history(t, s, core.C2CQuery{Owner: "c", Peer: "a"}); len(got) != 0 {
		t.Errorf("c sees %v, want nothing", keys(got))
	}
}

func testHistoryContent(t *testing.T, s core.Store) {
	m := msg("a", "b", 100, 7, 8)
	m.Body = json.RawMessage(`[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"x\u0000y","Extra":[1,2.5,{"z":null}]}}]`)
	m.CloudCustomData = "ccd ✓"
	m.OfflinePush = json.RawMessage(`{"PushFlag":0,"Desc":"离线"}`)
	m.Flags |= core.FlagSupportExtension | core.FlagNeedReadReceipt | core.FlagNoUnread
	m.Origin = core.OriginDevice
	m.OfflineUntil = 700
	appendOK(t, s, m)
	got := history(t, s, core.C2CQuery{Owner: "b", Peer: "a"})
	if len(got) != 1 {
		t.Fatalf("history: %d messages, want 1", len(got))
	}
	g := got[0]
	if string(g.Body) != string(m.Body) || g.CloudCustomData != m.CloudCustomData ||
		string(g.OfflinePush) != string(m.OfflinePush) || g.Flags != m.Flags || g.Origin != m.Origin ||
		g.OfflineUntil != m.OfflineUntil || g.ID != m.ID || g.From != "a" || g.To != "b" || g.App != app {
		t.Errorf("stored message = %+v\nwant %+v", g, *m)
	}
	plain := msg("a", "b", 101, 1, 1)
	appendOK(t, s, plain)
	got = history(t, s, core.C2CQuery{Owner: "b", Peer: "a", Limit: 1})
	if got[0].OfflinePush != nil || got[0].CloudCustomData != "" {
		t.Errorf("message without push info or custom data came back with %q / %q", got[0].OfflinePush, got[0].CloudCustomData)
	}
}

func testDedupSend(t *testing.T, s core.Store) {
	first := msg("a", "b", 100, 1, 1)
	appendOK(t, s, first)
	again := msg("a", "b", 100, 1, 1)
	again.Body = body("different content, same key")
	if dup := appendOK(t, s, again); !dup[0] || again.ID != first.ID {
		t.Errorf("same From/To/Seq/Random/Time: dup %v, ID %d; want true, %d", dup[0], again.ID, first.ID)
	}
	for _, m := range []*core.C2CMessage{
		msg("b", "a", 100, 1, 1), // reversed direction
		msg("a", "b", 101, 1, 1), // next second
		msg("a", "b", 100, 2, 1), // other seq
		msg("a", "b", 100, 1, 2), // other random
	} {
		if dup := appendOK(t, s, m); dup[0] {
			t.Errorf("%s>%s %s: stored as duplicate, want new", m.From, m.To, m.Key())
		}
	}
	if got := history(t, s, core.C2CQuery{Owner: "a", Peer: "b"}); len(got) != 5 {
		t.Errorf("history has %d messages, want 5", len(got))
	} else if got[len(got)-1].ID != first.ID || string(got[len(got)-1].Body) != string(first.Body) {
		t.Errorf("first message changed by duplicate: %+v", got[len(got)-1])
	}
}

func testDedupImport(t *testing.T, s core.Store) {
	first := msg("a", "b", 100, 1, 1)
	first.Origin = core.OriginImport
	appendOK(t, s, first)
	swapped := msg("b", "a", 100, 1, 1)
	swapped.Origin = core.OriginImport
	if dup := appendOK(t, s, swapped); !dup[0] || swapped.ID != first.ID {
		t.Errorf("import with From/To swapped: dup %v, want true", dup[0])
	}
	other := msg("b", "a", 100, 1, 2)
	other.Origin = core.OriginImport
	if dup := appendOK(t, s, other); dup[0] {
		t.Errorf("import with other random: dup, want new")
	}
}

func testDedupBatch(t *testing.T, s core.Store) {
	a1, a2, b := msg("a", "b", 100, 1, 1), msg("a", "b", 100, 1, 1), msg("a", "c", 100, 1, 1)
	dup := appendOK(t, s, a1, a2, b)
	if !slices.Equal(dup, []bool{false, true, false}) || a2.ID != a1.ID {
		t.Errorf("dup = %v (ids %d %d), want [false true false] with equal ids", dup, a1.ID, a2.ID)
	}
}

func testFind(t *testing.T, s core.Store) {
	m := msg("a", "b", 100, 7, 9)
	appendOK(t, s, m, msg("a", "b", 100, 7, 10), msg("a", "c", 100, 7, 9))
	for _, pair := range [][2]string{{"a", "b"}, {"b", "a"}} {
		got, err := s.FindC2C(ctx, app, pair[0], pair[1], core.MsgKey{Seq: 7, Random: 9, Time: 100})
		if err != nil {
			t.Fatalf("FindC2C: %v", err)
		}
		if len(got) != 1 || got[0].ID != m.ID {
			t.Errorf("FindC2C(%s,%s) = %v, want the one message", pair[0], pair[1], keys(got))
		}
	}
	got, err := s.FindC2C(ctx, app, "a", "b", core.MsgKey{Seq: 7, Random: 9, Time: 101})
	if err != nil || len(got) != 0 {
		t.Errorf("FindC2C(missing) = %v, %v; want none", keys(got), err)
	}
}

func testPurge(t *testing.T, s core.Store) {
	appendOK(t, s, msg("a", "b", 100, 1, 1), msg("a", "b", 200, 2, 2), msg("a", "c", 150, 3, 3))
	other := msg("a", "b", 100, 9, 9)
	other.App = app + 1
	appendOK(t, s, other)
	n, err := s.PurgeC2C(ctx, app, 160)
	if err != nil || n != 2 {
		t.Fatalf("PurgeC2C = %d, %v; want 2, nil", n, err)
	}
	if got := keys(history(t, s, core.C2CQuery{Owner: "a", Peer: "b"})); !slices.Equal(got, []string{"2_2_200"}) {
		t.Errorf("after purge a-b = %v, want [2_2_200]", got)
	}
	if got := history(t, s, core.C2CQuery{App: app + 1, Owner: "a", Peer: "b"}); len(got) != 1 {
		t.Errorf("purge of one app touched another: %v", keys(got))
	}
}

func testAppsSeparate(t *testing.T, s core.Store) {
	m := msg("a", "b", 100, 1, 1)
	appendOK(t, s, m)
	other := msg("a", "b", 100, 1, 1)
	other.App = app + 1
	if dup := appendOK(t, s, other); dup[0] {
		t.Errorf("same key in another app: dup, want new")
	}
	if got := history(t, s, core.C2CQuery{App: app + 2, Owner: "a", Peer: "b"}); len(got) != 0 {
		t.Errorf("app without messages sees %v", keys(got))
	}
}

func testConcurrentAppends(t *testing.T, s core.Store) {
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := s.AppendC2C(ctx, []*core.C2CMessage{msg("a", "b", 100, uint32(w), uint32(i))}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent AppendC2C: %v", err)
	}
	got := history(t, s, core.C2CQuery{Owner: "a", Peer: "b", Limit: 10000})
	if len(got) != workers*each {
		t.Fatalf("history has %d messages, want %d", len(got), workers*each)
	}
	ids := map[int64]bool{}
	for _, m := range got {
		ids[m.ID] = true
	}
	if len(ids) != workers*each {
		t.Errorf("%d distinct IDs for %d messages", len(ids), workers*each)
	}
}

func testClosed(t *testing.T, s core.Store) {
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.AppendC2C(ctx, []*core.C2CMessage{msg("a", "b", 1, 1, 1)}); !errors.Is(err, core.ErrClosed) {
		t.Errorf("AppendC2C after Close: %v, want ErrClosed", err)
	}
	if err := s.PutAccounts(ctx, []core.Account{{App: app, ID: "x"}}); !errors.Is(err, core.ErrClosed) {
		t.Errorf("PutAccounts after Close: %v, want ErrClosed", err)
	}
}
