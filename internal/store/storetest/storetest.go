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
	{"C2CByID", testByID},
	{"ConversationsFollowAppends", testConversationsFollowAppends},
	{"ConversationLastOnlyMovesForward", testConversationLastForward},
	{"UpdateC2C", testUpdateC2C},
	{"UpdateC2CAdjustsUnread", testUpdateUnread},
	{"MarkC2CRead", testMarkRead},
	{"DeleteConversation", testDeleteConversation},
	{"PinConversation", testPin},
	{"Extensions", testExtensions},
	{"InboxNumbering", testInbox},
	{"PurgeAdjustsUnread", testPurgeUnread},
	{"PurgeInbox", testPurgeInbox},
	{"DeleteAccountDropsConversations", testDeleteAccountConversations},
	// Conversation list reads (conversations.go).
	{"ListConversations", testListConversations},
	{"ConversationsOfType", testConversationsOfType},
	{"C2CUnreadTotal", testC2CUnreadTotal},
	// Groups (groups.go).
	{"GroupCreate", testGroupCreate},
	{"GroupScan", testGroupScan},
	{"GroupUpdate", testGroupUpdate},
	{"GroupDestroy", testGroupDestroy},
	{"GroupMembers", testGroupMembers},
	{"GroupAppendSeqs", testGroupAppendSeqs},
	{"GroupAppendCounters", testGroupAppendCounters},
	{"GroupImport", testGroupImport},
	{"GroupMessagesRange", testGroupMessagesRange},
	{"UpdateGroupMessage", testUpdateGroupMessage},
	{"GroupExtensions", testGroupExtensions},
	{"GroupReceipts", testGroupReceipts},
	{"GroupTopics", testGroupTopics},
	{"GroupPurge", testGroupPurge},
	{"GroupConcurrentAppends", testGroupConcurrentAppends},
	{"GroupClosedStoreRefuses", testGroupClosed},
	{"GroupCommitFeed", testGroupCommitFeed},
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
	ok, err := s.SetKickedAt(ctx, app, "k", 12345, []core.InboxEvent{{User: "k", Kind: core.EventKick}})
	if err != nil || !ok {
		t.Fatalf("SetKickedAt(k) = %v, %v; want true, nil", ok, err)
	}
	if a := scan(t, s)[fmt.Sprint(app, "/k")]; a.KickedAt != 12345 {
		t.Errorf("KickedAt = %d, want 12345", a.KickedAt)
	}
	if got := inbox(t, s, "k", 0); len(got) != 1 || got[0].Kind != core.EventKick {
		t.Errorf("k's inbox = %+v, want one kick", got)
	}
	ok, err = s.SetKickedAt(ctx, app, "nobody", 1, []core.InboxEvent{{User: "nobody", Kind: core.EventKick}})
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
	if got, want := keys(history(t, s, core.C2CQuery{Owner: "a", Peer: "b", AfterID: senderOnly.ID})), []string{"3_3_102"}; !slices.Equal(got, want) {
		t.Errorf("a after ID %d sees %v, want %v", senderOnly.ID, got, want)
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

func inbox(t *testing.T, s core.Store, user string, after uint64) []core.InboxEntry {
	t.Helper()
	got, err := s.InboxAfter(ctx, app, user, after, 1000)
	if err != nil {
		t.Fatalf("InboxAfter(%s, %d): %v", user, after, err)
	}
	return got
}

func conv(t *testing.T, s core.Store, owner, peer string) core.Conversation {
	t.Helper()
	c, _, err := s.Conversation(ctx, app, owner, core.ConvC2C, peer)
	if err != nil {
		t.Fatalf("Conversation(%s, %s): %v", owner, peer, err)
	}
	return c
}

func testByID(t *testing.T, s core.Store) {
	a, b := msg("a", "b", 100, 1, 1), msg("b", "c", 101, 2, 2)
	appendOK(t, s, a, b)
	got, err := s.C2CByID(ctx, app, []int64{b.ID, 999999, a.ID})
	if err != nil {
		t.Fatalf("C2CByID: %v", err)
	}
	ids := map[int64]string{}
	for _, m := range got {
		ids[m.ID] = m.Key().String()
	}
	if len(got) != 2 || ids[a.ID] != "1_1_100" || ids[b.ID] != "2_2_101" {
		t.Errorf("C2CByID = %v, want the two stored messages", ids)
	}
}

func testConversationsFollowAppends(t *testing.T, s core.Store) {
	plain := msg("a", "b", 100, 1, 1)
	noUnread := msg("a", "b", 101, 2, 2)
	noUnread.Flags |= core.FlagNoUnread
	noLast := msg("a", "b", 102, 3, 3)
	noLast.Flags |= core.FlagNoLastMsg
	notSender := msg("a", "c", 103, 4, 4)
	notSender.Flags = core.FlagReceiverHistory
	appendOK(t, s, plain, noUnread, noLast, notSender)

	ab, ba := conv(t, s, "a", "b"), conv(t, s, "b", "a")
	if ab.LastID != noUnread.ID || ab.LastTime != 101 || ab.Unread != 0 {
		t.Errorf("a's conversation with b = %+v, want last %d at 101, unread 0", ab, noUnread.ID)
	}
	if ba.LastID != noUnread.ID || ba.Unread != 2 || ba.Type != core.ConvC2C || ba.Owner != "b" || ba.Peer != "a" {
		t.Errorf("b's conversation with a = %+v, want last %d, unread 2 (plain and NoLastMsg)", ba, noUnread.ID)
	}
	if _, ok, _ := s.Conversation(ctx, app, "a", core.ConvC2C, "c"); ok {
		t.Errorf("a has a conversation with c though the message skipped a's history")
	}
	if ca := conv(t, s, "c", "a"); ca.Unread != 1 || ca.LastID != notSender.ID {
		t.Errorf("c's conversation = %+v, want unread 1", ca)
	}
	onlyNoLast := msg("x", "y", 100, 1, 1)
	onlyNoLast.Flags |= core.FlagNoLastMsg
	appendOK(t, s, onlyNoLast)
	if yx := conv(t, s, "y", "x"); yx.LastTime != 0 || yx.Unread != 1 || yx.Listed() {
		t.Errorf("conversation made by a NoLastMsg message = %+v, want empty (not listed) with unread 1", yx)
	}
	all, err := s.Conversations(ctx, app, "a")
	if err != nil || len(all) != 1 {
		t.Errorf("Conversations(a) = %v, %v; want one", all, err)
	}
	// A duplicate changes nothing.
	appendOK(t, s, msg("a", "b", 100, 1, 1))
	if got := conv(t, s, "b", "a"); got.Unread != 2 {
		t.Errorf("after a duplicate, unread = %d, want 2", got.Unread)
	}
}

func testConversationLastForward(t *testing.T, s core.Store) {
	newer, older := msg("a", "b", 200, 1, 1), msg("a", "b", 100, 1, 1)
	older.Origin = core.OriginImport
	appendOK(t, s, newer, older)
	if c := conv(t, s, "b", "a"); c.LastID != newer.ID || c.LastTime != 200 {
		t.Errorf("last = %d at %d, want the newer message %d at 200", c.LastID, c.LastTime, newer.ID)
	}
}

func testUpdateC2C(t *testing.T, s core.Store) {
	m := msg("a", "b", 100, 1, 1)
	appendOK(t, s, m)
	got, err := s.UpdateC2C(ctx, app, "a", "b", m.Key(), func(m *core.C2CMessage) ([]core.InboxEvent, error) {
		m.Flags |= core.FlagModified
		m.Body = body("changed")
		m.CloudCustomData = "new ccd"
		m.From = "ignored" // not a field UpdateC2C stores
		return []core.InboxEvent{{User: "a", Kind: core.EventC2CModify}, {User: "b", Kind: core.EventC2CModify}}, nil
	})
	if err != nil {
		t.Fatalf("UpdateC2C: %v", err)
	}
	if got.From != "a" || string(got.Body) != string(body("changed")) || got.CloudCustomData != "new ccd" || !got.Flags.Has(core.FlagModified) {
		t.Errorf("UpdateC2C returned %+v", got)
	}
	h := history(t, s, core.C2CQuery{Owner: "b", Peer: "a"})
	if len(h) != 1 || string(h[0].Body) != string(body("changed")) || h[0].CloudCustomData != "new ccd" {
		t.Errorf("history after update = %+v", h)
	}
	if in := inbox(t, s, "a", 0); len(in) != 1 || in[0].Kind != core.EventC2CModify || in[0].MsgID != m.ID {
		t.Errorf("a's inbox = %+v, want one modify of %d", in, m.ID)
	}
	boom := core.Errorf(core.Duplicate, "", "boom")
	_, err = s.UpdateC2C(ctx, app, "a", "b", m.Key(), func(m *core.C2CMessage) ([]core.InboxEvent, error) {
		m.Body = body("lost")
		return []core.InboxEvent{{User: "a", Kind: core.EventC2CModify}}, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("UpdateC2C with failing fn: %v, want fn's error", err)
	}
	if h := history(t, s, core.C2CQuery{Owner: "b", Peer: "a"}); string(h[0].Body) != string(body("changed")) {
		t.Errorf("failed update changed the body to %s", h[0].Body)
	}
	if in := inbox(t, s, "a", 0); len(in) != 1 {
		t.Errorf("failed update added inbox entries: %+v", in)
	}
	for _, dir := range [][2]string{{"b", "a"}, {"a", "c"}} {
		_, err = s.UpdateC2C(ctx, app, dir[0], dir[1], m.Key(), func(*core.C2CMessage) ([]core.InboxEvent, error) { return nil, nil })
		if core.KindOf(err) != core.NotFound {
			t.Errorf("UpdateC2C(%s→%s): %v, want NotFound", dir[0], dir[1], err)
		}
	}
}

func setFlag(t *testing.T, s core.Store, m *core.C2CMessage, f core.MsgFlags) {
	t.Helper()
	_, err := s.UpdateC2C(ctx, app, m.From, m.To, m.Key(), func(m *core.C2CMessage) ([]core.InboxEvent, error) {
		m.Flags |= f
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateC2C: %v", err)
	}
}

func testUpdateUnread(t *testing.T, s core.Store) {
	m1, m2, m3 := msg("a", "b", 100, 1, 1), msg("a", "b", 101, 2, 2), msg("a", "b", 102, 3, 3)
	appendOK(t, s, m1, m2, m3)
	setFlag(t, s, m2, core.FlagRecalled)
	if c := conv(t, s, "b", "a"); c.Unread != 2 {
		t.Errorf("after a recall, unread = %d, want 2", c.Unread)
	}
	setFlag(t, s, m2, core.FlagRecalled) // already recalled: no second decrement
	setFlag(t, s, m3, core.FlagDeletedByReceiver)
	if c := conv(t, s, "b", "a"); c.Unread != 1 {
		t.Errorf("after the receiver's delete, unread = %d, want 1", c.Unread)
	}
	setFlag(t, s, m1, core.FlagDeletedBySender) // the sender's delete changes nothing for b
	if c := conv(t, s, "b", "a"); c.Unread != 1 {
		t.Errorf("after the sender's delete, unread = %d, want 1", c.Unread)
	}
	if h := keys(history(t, s, core.C2CQuery{Owner: "a", Peer: "b"})); !slices.Equal(h, []string{"3_3_102", "2_2_101"}) {
		t.Errorf("a's history = %v, want m1 gone", h)
	}
	if h := keys(history(t, s, core.C2CQuery{Owner: "b", Peer: "a"})); !slices.Equal(h, []string{"2_2_101", "1_1_100"}) {
		t.Errorf("b's history = %v, want m3 gone", h)
	}
}

func testMarkRead(t *testing.T, s core.Store) {
	appendOK(t, s, msg("a", "b", 100, 1, 1), msg("a", "b", 101, 2, 2), msg("a", "b", 102, 3, 3), msg("b", "a", 103, 4, 4))
	events := []core.InboxEvent{{User: "b", Kind: core.EventReadReport, Payload: []byte(`{"Peer":"a","ReadTime":101}`)}}
	c, err := s.MarkC2CRead(ctx, app, "b", "a", 101, events)
	if err != nil {
		t.Fatalf("MarkC2CRead: %v", err)
	}
	if c.ReadTime != 101 || c.Unread != 1 {
		t.Errorf("after reading up to 101: %+v, want ReadTime 101, unread 1", c)
	}
	if c, _ := s.MarkC2CRead(ctx, app, "b", "a", 50, nil); c.ReadTime != 101 || c.Unread != 1 {
		t.Errorf("an earlier read time moved the read state: %+v", c)
	}
	in := inbox(t, s, "b", 0)
	if last := in[len(in)-1]; last.Kind != core.EventReadReport || string(last.Payload) != `{"Peer":"a","ReadTime":101}` {
		t.Errorf("b's last inbox entry = %+v, want the read report", last)
	}
	appendOK(t, s, msg("a", "b", 101, 9, 9)) // at the read time: already read
	if c := conv(t, s, "b", "a"); c.Unread != 1 {
		t.Errorf("a message at the read time counted: unread %d, want 1", c.Unread)
	}
	if c, err := s.MarkC2CRead(ctx, app, "z", "a", 10, nil); err != nil || c.ReadTime != 10 || c.Unread != 0 || c.Listed() {
		t.Errorf("MarkC2CRead without a conversation = %+v, %v; want an empty one with ReadTime 10", c, err)
	}
}

func testDeleteConversation(t *testing.T, s core.Store) {
	m1, m2 := msg("a", "b", 100, 1, 1), msg("b", "a", 101, 2, 2)
	appendOK(t, s, m1, m2)
	existed, err := s.DeleteConversation(ctx, app, "b", core.ConvC2C, "a", false,
		[]core.InboxEvent{{User: "b", Kind: core.EventConversationDeleted}})
	if err != nil || !existed {
		t.Fatalf("DeleteConversation = %v, %v; want true, nil", existed, err)
	}
	c := conv(t, s, "b", "a")
	if !c.Hidden || c.Unread != 0 || c.UnreadFloor != m2.ID || c.ClearedID != 0 || c.Listed() {
		t.Errorf("deleted conversation = %+v, want hidden, unread 0, floor %d, not cleared", c, m2.ID)
	}
	if h := history(t, s, core.C2CQuery{Owner: "b", Peer: "a", AfterID: c.ClearedID}); len(h) != 2 {
		t.Errorf("history after delete without clear: %d messages, want 2", len(h))
	}
	if c, _ := s.MarkC2CRead(ctx, app, "b", "a", 1, nil); c.Unread != 0 {
		t.Errorf("recount after delete counted old messages: unread %d", c.Unread)
	}
	m3 := msg("a", "b", 102, 3, 3)
	appendOK(t, s, m3)
	if c := conv(t, s, "b", "a"); c.Hidden || c.Unread != 1 || c.LastID != m3.ID {
		t.Errorf("after a new message: %+v, want shown again with unread 1", c)
	}
	if _, err := s.DeleteConversation(ctx, app, "a", core.ConvC2C, "b", true, nil); err != nil {
		t.Fatal(err)
	}
	ca := conv(t, s, "a", "b")
	if ca.ClearedID != m3.ID {
		t.Errorf("ClearedID = %d, want %d", ca.ClearedID, m3.ID)
	}
	if h := history(t, s, core.C2CQuery{Owner: "a", Peer: "b", AfterID: ca.ClearedID}); len(h) != 0 {
		t.Errorf("a's cleared history shows %v", keys(h))
	}
	if existed, err := s.DeleteConversation(ctx, app, "a", core.ConvC2C, "nobody", false, nil); err != nil || existed {
		t.Errorf("DeleteConversation(unknown) = %v, %v; want false, nil", existed, err)
	}
}

func testPin(t *testing.T, s core.Store) {
	appendOK(t, s, msg("a", "b", 100, 1, 1))
	if err := s.SetConversationPinned(ctx, app, "a", core.ConvC2C, "b", true, 500, nil); err != nil {
		t.Fatal(err)
	}
	if c := conv(t, s, "a", "b"); !c.Pinned || c.PinnedAt != 500 || c.LastTime != 100 {
		t.Errorf("pinned = %+v", c)
	}
	if err := s.SetConversationPinned(ctx, app, "a", core.ConvGroup, "g1", true, 600, nil); err != nil {
		t.Fatal(err)
	}
	g, ok, err := s.Conversation(ctx, app, "a", core.ConvGroup, "g1")
	if err != nil || !ok || !g.Pinned || g.LastTime != 0 {
		t.Errorf("pinned group conversation = %+v, %v, %v", g, ok, err)
	}
	if err := s.SetConversationPinned(ctx, app, "a", core.ConvC2C, "b", false, 700, nil); err != nil {
		t.Fatal(err)
	}
	if c := conv(t, s, "a", "b"); c.Pinned {
		t.Errorf("unpinned = %+v", c)
	}
}

func testExtensions(t *testing.T, s core.Store) {
	m := msg("a", "b", 100, 1, 1)
	appendOK(t, s, m)
	_, err := s.UpdateC2CExtensions(ctx, app, "a", "b", m.Key(), func(m *core.C2CMessage, ext *core.Extensions) ([]core.InboxEvent, error) {
		if ext.LatestSeq != 0 || len(ext.Items) != 0 {
			t.Errorf("new message has extensions %+v", ext)
		}
		ext.LatestSeq = 1
		ext.Items["k1"] = core.Extension{Key: "k1", Value: "v1", Seq: 1}
		ext.Items["k2"] = core.Extension{Key: "k2", Value: "v2", Seq: 1}
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateC2CExtensions: %v", err)
	}
	_, err = s.UpdateC2CExtensions(ctx, app, "a", "b", m.Key(), func(m *core.C2CMessage, ext *core.Extensions) ([]core.InboxEvent, error) {
		ext.LatestSeq, ext.ClearSeq = 2, 2
		delete(ext.Items, "k1")
		ext.Items["k2"] = core.Extension{Key: "k2", Value: "v2b", Seq: 2}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.C2CExtensions(ctx, app, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := core.Extensions{LatestSeq: 2, ClearSeq: 2, Items: map[string]core.Extension{"k2": {Key: "k2", Value: "v2b", Seq: 2}}}
	if got.LatestSeq != want.LatestSeq || got.ClearSeq != want.ClearSeq || len(got.Items) != 1 || got.Items["k2"] != want.Items["k2"] {
		t.Errorf("extensions = %+v, want %+v", got, want)
	}
	if got, err := s.C2CExtensions(ctx, app, 987654); err != nil || got.LatestSeq != 0 || len(got.Items) != 0 {
		t.Errorf("extensions of an unknown message = %+v, %v", got, err)
	}
}

func testInbox(t *testing.T, s core.Store) {
	toB := msg("a", "b", 100, 1, 1)
	syncA := msg("a", "b", 101, 2, 2)
	syncA.Flags |= core.FlagSyncSender
	history := msg("a", "b", 99, 3, 3)
	history.Flags |= core.FlagImported
	appendOK(t, s, toB, syncA, history)
	b := inbox(t, s, "b", 0)
	if len(b) != 2 || b[0].Seq != 1 || b[1].Seq != 2 || b[0].MsgID != toB.ID || b[1].MsgID != syncA.ID || b[0].Kind != core.EventC2C {
		t.Errorf("b's inbox = %+v, want seq 1 and 2 for the two live messages", b)
	}
	a := inbox(t, s, "a", 0)
	if len(a) != 1 || a[0].Seq != 1 || a[0].MsgID != syncA.ID {
		t.Errorf("a's inbox = %+v, want the synced message only", a)
	}
	added, err := s.AddInbox(ctx, app, []core.InboxEvent{{User: "b", Kind: core.EventKick}, {User: "b", Kind: core.EventKick, Payload: []byte(`{}`)}})
	if err != nil || len(added) != 2 || added[0].Seq != 3 || added[1].Seq != 4 || string(added[1].Payload) != `{}` {
		t.Errorf("AddInbox = %+v, %v; want seq 3 and 4", added, err)
	}
	if head, err := s.InboxHead(ctx, app, "b"); err != nil || head != 4 {
		t.Errorf("InboxHead(b) = %d, %v; want 4", head, err)
	}
	if head, err := s.InboxHead(ctx, app, "nobody"); err != nil || head != 0 {
		t.Errorf("InboxHead(nobody) = %d, %v; want 0", head, err)
	}
	if got := inbox(t, s, "b", 2); len(got) != 2 || got[0].Seq != 3 {
		t.Errorf("InboxAfter(b, 2) = %+v, want 3 and 4", got)
	}
	if got, _ := s.InboxAfter(ctx, app, "b", 0, 1); len(got) != 1 || got[0].Seq != 1 {
		t.Errorf("InboxAfter limit 1 = %+v", got)
	}
	// Concurrent writers never share or skip a number.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.AppendC2C(ctx, []*core.C2CMessage{msg("c", "d", 200, uint32(i), uint32(i))})
		}()
	}
	wg.Wait()
	d := inbox(t, s, "d", 0)
	for i, e := range d {
		if e.Seq != uint64(i+1) {
			t.Fatalf("d's inbox numbers = %v..., want 1..20 without gaps", e.Seq)
		}
	}
	if len(d) != 20 {
		t.Errorf("d's inbox has %d entries, want 20", len(d))
	}
}

func testPurgeUnread(t *testing.T, s core.Store) {
	appendOK(t, s, msg("a", "b", 100, 1, 1), msg("a", "b", 101, 2, 2), msg("a", "b", 300, 3, 3))
	if _, err := s.PurgeC2C(ctx, app, 200); err != nil {
		t.Fatal(err)
	}
	if c := conv(t, s, "b", "a"); c.Unread != 1 {
		t.Errorf("after purging two unread messages, unread = %d, want 1", c.Unread)
	}
}

func testPurgeInbox(t *testing.T, s core.Store) {
	appendOK(t, s, msg("a", "b", 100, 1, 1))
	if _, err := s.PurgeInbox(ctx, app, 0); err != nil {
		t.Fatal(err)
	}
	if got := inbox(t, s, "b", 0); len(got) != 1 {
		t.Errorf("purge before 0 removed entries: %+v", got)
	}
	n, err := s.PurgeInbox(ctx, app, 1<<40)
	if err != nil || n != 1 {
		t.Errorf("PurgeInbox(far future) = %d, %v; want 1", n, err)
	}
	if got := inbox(t, s, "b", 0); len(got) != 0 {
		t.Errorf("after purge the inbox has %+v", got)
	}
	appendOK(t, s, msg("a", "b", 101, 2, 2))
	if got := inbox(t, s, "b", 0); len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("after purge numbering restarted: %+v, want seq 2", got)
	}
}

func testDeleteAccountConversations(t *testing.T, s core.Store) {
	if err := s.PutAccounts(ctx, []core.Account{{App: app, ID: "a"}, {App: app, ID: "b"}}); err != nil {
		t.Fatal(err)
	}
	appendOK(t, s, msg("a", "b", 100, 1, 1))
	if _, err := s.DeleteAccounts(ctx, app, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.Conversations(ctx, app, "a"); len(all) != 0 {
		t.Errorf("deleted account still owns %+v", all)
	}
	if c := conv(t, s, "b", "a"); c.Unread != 1 || c.LastTime != 100 {
		t.Errorf("the peer's conversation changed: %+v", c)
	}
}
