package storetest

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/parleyim/parley/internal/core"
)

// The group cases: core.GroupStore.

// groupStore returns s as a core.GroupStore.
func groupStore(t *testing.T, s core.Store) core.GroupStore {
	t.Helper()
	gs, ok := any(s).(core.GroupStore)
	if !ok {
		t.Fatalf("%T is not a core.GroupStore", s)
	}
	return gs
}

func newGroup(id string, typ core.GroupType) *core.Group {
	return &core.Group{App: app, ID: id, Type: typ, Name: "name of " + id, Owner: "owner", CreateTime: 100,
		MaxMembers: 2000, ApplyJoinOption: "FreeAccess", InviteJoinOption: "NeedPermission"}
}

func members(users ...string) []core.Member {
	out := make([]core.Member, len(users))
	for i, u := range users {
		out[i] = core.Member{App: app, User: u, Role: core.RoleMember, JoinTime: 100, MsgFlag: "AcceptAndNotify"}
	}
	return out
}

func createGroup(t *testing.T, gs core.GroupStore, g *core.Group, users ...string) {
	t.Helper()
	if err := gs.CreateGroup(ctx, g, members(users...), nil); err != nil {
		t.Fatalf("CreateGroup(%s): %v", g.ID, err)
	}
}

func gmsg(group string, from string, t int64) *core.GroupMessage {
	return &core.GroupMessage{App: app, Group: group, From: from, Time: t, Random: uint32(t), Priority: core.PriorityNormal,
		Body: body(fmt.Sprintf("%s in %s at %d", from, group, t))}
}

// send appends m as an ordinary message (counting unread, updating
// conversations) and returns the group as stored.
func send(t *testing.T, gs core.GroupStore, m *core.GroupMessage) core.Group {
	t.Helper()
	return appendGroup(t, gs, &core.GroupAppend{Msg: m, Counts: true, UpdatesConversation: true})
}

func appendGroup(t *testing.T, gs core.GroupStore, a *core.GroupAppend) core.Group {
	t.Helper()
	g, err := gs.AppendGroupMessage(ctx, a)
	if err != nil {
		t.Fatalf("AppendGroupMessage(%s/%s): %v", a.Msg.Group, a.Msg.Topic, err)
	}
	return g
}

// scanGroups returns every live group of app by ID, with its members by user.
func scanGroups(t *testing.T, gs core.GroupStore) map[string]scanned {
	t.Helper()
	out := map[string]scanned{}
	err := gs.ScanGroups(ctx, func(g core.Group, ms []core.Member) error {
		if g.App != app {
			return nil
		}
		sc := scanned{g: g, members: map[string]core.Member{}}
		for _, m := range ms {
			sc.members[m.User] = m
		}
		out[g.ID] = sc
		return nil
	})
	if err != nil {
		t.Fatalf("ScanGroups: %v", err)
	}
	return out
}

type scanned struct {
	g       core.Group
	members map[string]core.Member
}

func storedGroup(t *testing.T, gs core.GroupStore, id string) scanned {
	t.Helper()
	sc, ok := scanGroups(t, gs)[id]
	if !ok {
		t.Fatalf("group %s is not stored", id)
	}
	return sc
}

func groupMsgs(t *testing.T, gs core.GroupStore, q core.GroupMsgQuery) []core.GroupMessage {
	t.Helper()
	if q.App == 0 {
		q.App = app
	}
	if q.MaxSeq == 0 {
		q.MaxSeq = math.MaxUint64
	}
	if q.Limit == 0 {
		q.Limit = 1000
	}
	got, err := gs.GroupMessages(ctx, q)
	if err != nil {
		t.Fatalf("GroupMessages(%+v): %v", q, err)
	}
	return got
}

func seqs(msgs []core.GroupMessage) []uint64 {
	out := make([]uint64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func kinds(entries []core.InboxEntry) []core.EventKind {
	out := make([]core.EventKind, len(entries))
	for i, e := range entries {
		out[i] = e.Kind
	}
	return out
}

func joined(user, group string) core.InboxEvent {
	return core.InboxEvent{User: user, Kind: core.EventGroupJoined, Payload: []byte(`{"GroupId":"` + group + `"}`)}
}

func testGroupCreate(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	g := newGroup("g1", core.GroupPublic)
	g.AppDefined = []core.KV{{Key: "k", Value: "v\x00w"}, {Key: "k2", Value: ""}}
	g.Mutes = map[string]int64{"bob": 500}
	g.NextSeq, g.MemberCount = 77, 99 // the store decides both
	ms := members("owner", "alice", "bob")
	ms[0].Role = core.RoleOwner
	ms[1].NameCard, ms[1].AppDefined, ms[1].MuteUntil = "Al", []core.KV{{Key: "mk", Value: "mv"}}, 300
	err := gs.CreateGroup(ctx, g, ms, []core.InboxEvent{joined("alice", "g1"), joined("bob", "g1")})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if g.NextSeq != 1 || g.MemberCount != 3 {
		t.Errorf("after CreateGroup, NextSeq %d, MemberCount %d; want 1, 3", g.NextSeq, g.MemberCount)
	}
	sc := storedGroup(t, gs, "g1")
	got := sc.g
	if got.Type != core.GroupPublic || got.Name != g.Name || got.Owner != "owner" || got.CreateTime != 100 || got.MaxMembers != 2000 ||
		got.ApplyJoinOption != "FreeAccess" || got.InviteJoinOption != "NeedPermission" || got.NextSeq != 1 || got.MemberCount != 3 ||
		!slices.Equal(got.AppDefined, g.AppDefined) || !maps.Equal(got.Mutes, g.Mutes) {
		t.Errorf("stored group = %+v\nwant %+v", got, *g)
	}
	if len(sc.members) != 3 {
		t.Fatalf("stored members = %v, want owner, alice, bob", sc.members)
	}
	al := sc.members["alice"]
	if al.App != app || al.Group != "g1" || al.Role != core.RoleMember || al.JoinTime != 100 || al.NameCard != "Al" ||
		al.MsgFlag != "AcceptAndNotify" || al.MuteUntil != 300 || !slices.Equal(al.AppDefined, ms[1].AppDefined) {
		t.Errorf("stored alice = %+v, want %+v", al, ms[1])
	}
	if sc.members["owner"].Role != core.RoleOwner {
		t.Errorf("owner's role = %q", sc.members["owner"].Role)
	}
	if in := inbox(t, s, "alice", 0); len(in) != 1 || in[0].Kind != core.EventGroupJoined || string(in[0].Payload) != `{"GroupId":"g1"}` {
		t.Errorf("alice's inbox = %+v, want the join", in)
	}

	err = gs.CreateGroup(ctx, newGroup("g1", core.GroupPrivate), members("carol"), []core.InboxEvent{joined("carol", "g1")})
	if core.KindOf(err) != core.Duplicate {
		t.Errorf("CreateGroup with a taken ID: %v, want Duplicate", err)
	}
	if sc := storedGroup(t, gs, "g1"); sc.g.Type != core.GroupPublic || len(sc.members) != 3 {
		t.Errorf("a refused create changed the group: %+v with %d members", sc.g, len(sc.members))
	}
	if in := inbox(t, s, "carol", 0); len(in) != 0 {
		t.Errorf("a refused create added events: %+v", in)
	}
	other := newGroup("g1", core.GroupPublic)
	other.App = app + 1
	if err := gs.CreateGroup(ctx, other, nil, nil); err != nil {
		t.Errorf("CreateGroup of the same ID in another app: %v", err)
	}
	empty := newGroup("g2", core.GroupAVChat)
	createGroup(t, gs, empty)
	if empty.MemberCount != 0 || empty.NextSeq != 1 {
		t.Errorf("group without members: MemberCount %d, NextSeq %d", empty.MemberCount, empty.NextSeq)
	}
}

func testGroupScan(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	for i := range 5 {
		createGroup(t, gs, newGroup(fmt.Sprintf("g%d", i), core.GroupPublic), "u1", fmt.Sprintf("v%d", i))
	}
	createGroup(t, gs, newGroup("av", core.GroupAVChat))
	all := scanGroups(t, gs)
	if len(all) != 6 {
		t.Fatalf("ScanGroups: %d groups, want 6", len(all))
	}
	for i := range 5 {
		sc := all[fmt.Sprintf("g%d", i)]
		if len(sc.members) != 2 || sc.members[fmt.Sprintf("v%d", i)].User == "" {
			t.Errorf("g%d's members = %v", i, sc.members)
		}
	}
	if len(all["av"].members) != 0 {
		t.Errorf("AVChatRoom members = %v, want none", all["av"].members)
	}
	stop := errors.New("stop")
	calls := 0
	err := gs.ScanGroups(ctx, func(core.Group, []core.Member) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ScanGroups with failing fn: %v after %d calls, want fn's error after 1", err, calls)
	}
}

func testGroupUpdate(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a")
	send(t, gs, gmsg("g", "a", 100))
	got, err := gs.UpdateGroup(ctx, app, "g", func(g *core.Group) ([]core.InboxEvent, error) {
		g.Name, g.Introduction, g.Notification, g.FaceURL, g.Owner = "new", "intro", "notice", "http://f", "a"
		g.MaxMembers, g.ApplyJoinOption, g.InviteJoinOption, g.MuteAll = 50, "DisableApply", "DisableInvite", true
		g.AppDefined = []core.KV{{Key: "x", Value: "y"}}
		g.InfoSeq, g.LastInfoTime, g.ClearedSeq = 7, 700, 1
		g.Mutes = map[string]int64{"a": core.MuteForever}
		g.NextSeq, g.Counted, g.MemberCount, g.Type = 100, 100, 100, core.GroupPrivate // not info: ignored
		return []core.InboxEvent{{User: "a", Kind: core.EventGroupMuted}}, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	for _, g := range []core.Group{got, storedGroup(t, gs, "g").g} {
		if g.Name != "new" || g.Introduction != "intro" || g.Notification != "notice" || g.FaceURL != "http://f" || g.Owner != "a" ||
			g.MaxMembers != 50 || g.ApplyJoinOption != "DisableApply" || g.InviteJoinOption != "DisableInvite" || !g.MuteAll ||
			!slices.Equal(g.AppDefined, []core.KV{{Key: "x", Value: "y"}}) || g.InfoSeq != 7 || g.LastInfoTime != 700 ||
			g.ClearedSeq != 1 || g.Mutes["a"] != core.MuteForever || len(g.Mutes) != 1 {
			t.Errorf("updated group = %+v", g)
		}
		if g.NextSeq != 2 || g.Counted != 1 || g.MemberCount != 1 || g.Type != core.GroupPublic {
			t.Errorf("UpdateGroup changed fields that are not info: %+v", g)
		}
	}
	if in := inbox(t, s, "a", 0); len(in) != 1 || in[0].Kind != core.EventGroupMuted {
		t.Errorf("a's inbox = %+v, want the mute event", in)
	}
	boom := core.Errorf(core.Forbidden, "", "boom")
	_, err = gs.UpdateGroup(ctx, app, "g", func(g *core.Group) ([]core.InboxEvent, error) {
		g.Name = "lost"
		return []core.InboxEvent{{User: "a", Kind: core.EventGroupMuted}}, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("UpdateGroup with failing fn: %v, want fn's error", err)
	}
	if g := storedGroup(t, gs, "g").g; g.Name != "new" {
		t.Errorf("failed update stored Name %q", g.Name)
	}
	if in := inbox(t, s, "a", 0); len(in) != 1 {
		t.Errorf("failed update added events: %+v", in)
	}
	_, err = gs.UpdateGroup(ctx, app, "nope", func(g *core.Group) ([]core.InboxEvent, error) { return nil, nil })
	if core.KindOf(err) != core.NotFound {
		t.Errorf("UpdateGroup(unknown): %v, want NotFound", err)
	}
	// Clearing the lists stores them empty.
	got, err = gs.UpdateGroup(ctx, app, "g", func(g *core.Group) ([]core.InboxEvent, error) {
		g.AppDefined, g.Mutes = nil, nil
		return nil, nil
	})
	if err != nil || len(got.AppDefined) != 0 || len(got.Mutes) != 0 {
		t.Errorf("UpdateGroup clearing lists = %+v, %v", got, err)
	}
}

func testGroupDestroy(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("@TGS#_c", core.GroupCommunity), "a", "b")
	createGroup(t, gs, newGroup("other", core.GroupPublic), "a")
	if err := gs.CreateTopic(ctx, &core.Topic{App: app, Group: "@TGS#_c", ID: "t1"}); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	m := gmsg("@TGS#_c", "a", 100)
	m.Flags = core.GFlagSupportExtension | core.GFlagNeedReadReceipt
	send(t, gs, m)
	tm := gmsg("@TGS#_c", "a", 101)
	tm.Topic = "t1"
	send(t, gs, tm)
	send(t, gs, gmsg("other", "a", 100))
	setGroupExt(t, gs, "@TGS#_c", "", m.Seq, "k", "v")
	if _, err := gs.AddGroupReceipts(ctx, app, "@TGS#_c", "b", []uint64{m.Seq}); err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{"a", "nonmember"} {
		if err := s.SetConversationPinned(ctx, app, owner, core.ConvGroup, "@TGS#_c", true, 10, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetConversationPinned(ctx, app, "a", core.ConvGroup, "other", true, 10, nil); err != nil {
		t.Fatal(err)
	}
	appendOK(t, s, msg("a", "@TGS#_c", 100, 1, 1)) // a C2C peer named like the group

	err := gs.DestroyGroup(ctx, app, "@TGS#_c", []core.InboxEvent{{User: "a", Kind: core.EventGroupLeft}, {User: "b", Kind: core.EventGroupLeft}})
	if err != nil {
		t.Fatalf("DestroyGroup: %v", err)
	}
	all := scanGroups(t, gs)
	if _, ok := all["@TGS#_c"]; ok || len(all) != 1 {
		t.Errorf("after destroy, groups = %v, want only other", slices.Collect(maps.Keys(all)))
	}
	if got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "@TGS#_c"}); len(got) != 0 {
		t.Errorf("destroyed group's messages = %v", seqs(got))
	}
	if got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "@TGS#_c", Topic: "t1"}); len(got) != 0 {
		t.Errorf("destroyed group's topic messages = %v", seqs(got))
	}
	if tp, err := gs.Topics(ctx, app, "@TGS#_c"); err != nil || len(tp) != 0 {
		t.Errorf("destroyed group's topics = %+v, %v", tp, err)
	}
	if ext, err := gs.GroupMessageExtensions(ctx, app, m.ID); err != nil || ext.LatestSeq != 0 || len(ext.Items) != 0 {
		t.Errorf("destroyed message's extensions = %+v, %v", ext, err)
	}
	if r, err := gs.GroupReceipts(ctx, app, "@TGS#_c", m.Seq); err != nil || len(r) != 0 {
		t.Errorf("destroyed message's receipts = %v, %v", r, err)
	}
	for _, owner := range []string{"a", "nonmember"} {
		if _, ok, err := s.Conversation(ctx, app, owner, core.ConvGroup, "@TGS#_c"); err != nil || ok {
			t.Errorf("%s's conversation of the destroyed group: %v, %v; want gone", owner, ok, err)
		}
	}
	if _, ok, _ := s.Conversation(ctx, app, "a", core.ConvGroup, "other"); !ok {
		t.Errorf("a's conversation of another group went with the destroyed one")
	}
	if _, ok, _ := s.Conversation(ctx, app, "a", core.ConvC2C, "@TGS#_c"); !ok {
		t.Errorf("a C2C conversation went with the group of the same name")
	}
	if in := inbox(t, s, "b", 0); len(in) != 1 || in[0].Kind != core.EventGroupLeft {
		t.Errorf("b's inbox = %+v, want the leave", in)
	}
	if got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "other"}); len(got) != 1 {
		t.Errorf("other group's messages = %v", seqs(got))
	}
	if err := gs.DestroyGroup(ctx, app, "@TGS#_c", nil); core.KindOf(err) != core.NotFound {
		t.Errorf("second DestroyGroup: %v, want NotFound", err)
	}
	if _, err := gs.AppendGroupMessage(ctx, &core.GroupAppend{Msg: gmsg("@TGS#_c", "a", 200)}); core.KindOf(err) != core.NotFound {
		t.Errorf("AppendGroupMessage to a destroyed group: %v, want NotFound", err)
	}
	// The ID is free again, and starts over; message IDs never repeat.
	createGroup(t, gs, newGroup("@TGS#_c", core.GroupCommunity), "a")
	again := gmsg("@TGS#_c", "a", 300)
	send(t, gs, again)
	if again.Seq != 1 || again.ID <= tm.ID {
		t.Errorf("first message of the re-created group: seq %d, ID %d; want 1 and an ID above %d", again.Seq, again.ID, tm.ID)
	}
	if sc := storedGroup(t, gs, "@TGS#_c"); len(sc.members) != 1 || sc.g.MemberCount != 1 {
		t.Errorf("re-created group has members %v", sc.members)
	}
}

func testGroupMembers(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a", "b")
	in := members("b", "c", "d", "c")
	in[0].Role, in[0].NameCard = core.RoleAdmin, "changed?"
	isNew, g, err := gs.PutMembers(ctx, app, "g", in, []core.InboxEvent{joined("c", "g"), joined("d", "g")})
	if err != nil {
		t.Fatalf("PutMembers: %v", err)
	}
	if !slices.Equal(isNew, []bool{false, true, true, false}) || g.MemberCount != 4 {
		t.Errorf("PutMembers = %v, MemberCount %d; want [false true true false], 4", isNew, g.MemberCount)
	}
	sc := storedGroup(t, gs, "g")
	if b := sc.members["b"]; b.Role != core.RoleMember || b.NameCard != "" {
		t.Errorf("existing member b changed by PutMembers: %+v", b)
	}
	if sc.g.MemberCount != 4 || len(sc.members) != 4 {
		t.Errorf("stored MemberCount %d with %d members, want 4", sc.g.MemberCount, len(sc.members))
	}
	if e := inbox(t, s, "d", 0); len(e) != 1 || e[0].Kind != core.EventGroupJoined {
		t.Errorf("d's inbox = %+v", e)
	}
	if _, _, err := gs.PutMembers(ctx, app, "nope", members("x"), nil); core.KindOf(err) != core.NotFound {
		t.Errorf("PutMembers(unknown group): %v, want NotFound", err)
	}

	for _, u := range []string{"c", "x"} {
		if err := s.SetConversationPinned(ctx, app, u, core.ConvGroup, "g", true, 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	existed, g, err := gs.RemoveMembers(ctx, app, "g", []string{"c", "x", "c"}, []core.InboxEvent{{User: "c", Kind: core.EventGroupLeft}})
	if err != nil {
		t.Fatalf("RemoveMembers: %v", err)
	}
	if !slices.Equal(existed, []bool{true, false, false}) || g.MemberCount != 3 {
		t.Errorf("RemoveMembers = %v, MemberCount %d; want [true false false], 3", existed, g.MemberCount)
	}
	if sc := storedGroup(t, gs, "g"); len(sc.members) != 3 || sc.g.MemberCount != 3 {
		t.Errorf("after remove: %d members, MemberCount %d", len(sc.members), sc.g.MemberCount)
	}
	for _, u := range []string{"c", "x"} {
		if _, ok, _ := s.Conversation(ctx, app, u, core.ConvGroup, "g"); ok {
			t.Errorf("%s's conversation of g survived RemoveMembers", u)
		}
	}
	if _, _, err := gs.RemoveMembers(ctx, app, "nope", []string{"a"}, nil); core.KindOf(err) != core.NotFound {
		t.Errorf("RemoveMembers(unknown group): %v, want NotFound", err)
	}

	m, err := gs.UpdateMember(ctx, app, "g", "a", func(m *core.Member) ([]core.InboxEvent, error) {
		m.Role, m.ReadSeq, m.ReadCounted, m.MsgFlag, m.MuteUntil = core.RoleAdmin, 5, 4, "Discard", 900
		m.NameCard, m.AppDefined, m.AtMeSeq, m.LastSendMsgTime = "A", []core.KV{{Key: "k", Value: "v"}}, 3, 800
		m.JoinTime, m.User = 1, "ignored" // not fields UpdateMember stores
		return []core.InboxEvent{{User: "a", Kind: core.EventGroupRead}}, nil
	})
	if err != nil {
		t.Fatalf("UpdateMember: %v", err)
	}
	want := core.Member{App: app, Group: "g", User: "a", Role: core.RoleAdmin, JoinTime: 100, ReadSeq: 5, ReadCounted: 4,
		MsgFlag: "Discard", LastSendMsgTime: 800, MuteUntil: 900, NameCard: "A", AppDefined: []core.KV{{Key: "k", Value: "v"}}, AtMeSeq: 3}
	for _, got := range []core.Member{m, storedGroup(t, gs, "g").members["a"]} {
		if !equalMember(got, want) {
			t.Errorf("updated member = %+v\nwant %+v", got, want)
		}
	}
	boom := errors.New("boom")
	_, err = gs.UpdateMember(ctx, app, "g", "a", func(m *core.Member) ([]core.InboxEvent, error) {
		m.Role = core.RoleOwner
		return nil, boom
	})
	if !errors.Is(err, boom) || storedGroup(t, gs, "g").members["a"].Role != core.RoleAdmin {
		t.Errorf("UpdateMember with failing fn: %v (role now %q), want fn's error and no change", err, storedGroup(t, gs, "g").members["a"].Role)
	}
	for _, u := range []string{"c", "nobody"} {
		_, err := gs.UpdateMember(ctx, app, "g", u, func(*core.Member) ([]core.InboxEvent, error) { return nil, nil })
		if core.KindOf(err) != core.NotFound {
			t.Errorf("UpdateMember(%s): %v, want NotFound", u, err)
		}
	}

	ms, err := gs.UpdateMembers(ctx, app, "g", []string{"a", "b", "c", "d"}, func(m *core.Member) bool {
		m.ReadSeq = 42
		return m.User != "b"
	}, []core.InboxEvent{{User: "d", Kind: core.EventGroupRead}})
	if err != nil {
		t.Fatalf("UpdateMembers: %v", err)
	}
	got := map[string]uint64{}
	for _, m := range ms {
		got[m.User] = m.ReadSeq
	}
	if !maps.Equal(got, map[string]uint64{"a": 42, "b": 0, "d": 42}) {
		t.Errorf("UpdateMembers returned read seqs %v, want a and d at 42, b unchanged, c skipped", got)
	}
	stored := storedGroup(t, gs, "g").members
	if stored["a"].ReadSeq != 42 || stored["d"].ReadSeq != 42 || stored["b"].ReadSeq != 0 || stored["a"].NameCard != "A" {
		t.Errorf("after UpdateMembers: a %+v, b %+v, d %+v", stored["a"], stored["b"], stored["d"])
	}
	if e := inbox(t, s, "d", 0); len(e) != 2 || e[1].Kind != core.EventGroupRead {
		t.Errorf("d's inbox = %+v, want the join and the read", e)
	}
}

func equalMember(a, b core.Member) bool {
	ad, bd := a.AppDefined, b.AppDefined
	a.AppDefined, b.AppDefined = nil, nil
	return reflect.DeepEqual(a, b) && slices.Equal(ad, bd)
}

func testGroupAppendSeqs(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g1", core.GroupPublic), "a")
	createGroup(t, gs, newGroup("g2", core.GroupPublic), "a")
	var ids []int64
	for i := range 3 {
		for _, g := range []string{"g1", "g2"} {
			m := gmsg(g, "a", int64(100+i))
			stored := send(t, gs, m)
			if m.Seq != uint64(i+1) || stored.NextSeq != uint64(i+2) {
				t.Errorf("message %d in %s: seq %d, NextSeq %d; want %d, %d", i, g, m.Seq, stored.NextSeq, i+1, i+2)
			}
			ids = append(ids, m.ID)
		}
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) || ids[0] <= 0 {
		t.Errorf("message IDs = %v, want positive and ascending", ids)
	}
	_, err := gs.AppendGroupMessage(ctx, &core.GroupAppend{Msg: gmsg("nope", "a", 1), Counts: true})
	if core.KindOf(err) != core.NotFound {
		t.Errorf("AppendGroupMessage(unknown group): %v, want NotFound", err)
	}
	if got := seqs(groupMsgs(t, gs, core.GroupMsgQuery{Group: "g1"})); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Errorf("g1's seqs = %v, want 1 2 3", got)
	}
}

func testGroupAppendCounters(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a", "b", "c")
	check := func(step string, g core.Group, next, last uint64, lastTime, msgTime int64, counted, atAll uint64) {
		t.Helper()
		if g.NextSeq != next || g.LastSeq != last || g.LastTime != lastTime || g.LastMsgTime != msgTime || g.Counted != counted || g.AtAllSeq != atAll {
			t.Errorf("%s: NextSeq %d LastSeq %d LastTime %d LastMsgTime %d Counted %d AtAllSeq %d;\nwant %d %d %d %d %d %d",
				step, g.NextSeq, g.LastSeq, g.LastTime, g.LastMsgTime, g.Counted, g.AtAllSeq, next, last, lastTime, msgTime, counted, atAll)
		}
		if sg := storedGroup(t, gs, "g").g; sg.NextSeq != g.NextSeq || sg.LastSeq != g.LastSeq || sg.Counted != g.Counted ||
			sg.AtAllSeq != g.AtAllSeq || sg.LastMsgTime != g.LastMsgTime || sg.LastTime != g.LastTime {
			t.Errorf("%s: stored group %+v differs from the returned %+v", step, sg, g)
		}
	}
	g := appendGroup(t, gs, &core.GroupAppend{Msg: gmsg("g", "a", 100), Counts: true, UpdatesConversation: true})
	check("plain", g, 2, 1, 100, 100, 1, 0)
	g = appendGroup(t, gs, &core.GroupAppend{Msg: gmsg("g", "a", 110)})
	check("neither counting nor updating", g, 3, 1, 100, 110, 1, 0)
	g = appendGroup(t, gs, &core.GroupAppend{Msg: gmsg("g", "a", 120), Counts: true})
	check("counting only", g, 4, 1, 100, 120, 2, 0)
	g = appendGroup(t, gs, &core.GroupAppend{Msg: gmsg("g", "a", 130), UpdatesConversation: true})
	check("updating only", g, 5, 4, 130, 130, 2, 0)
	g = appendGroup(t, gs, &core.GroupAppend{Msg: gmsg("g", "a", 90), UpdatesConversation: true})
	check("an older time", g, 6, 5, 90, 130, 2, 0)

	atAll := gmsg("g", "b", 140)
	atAll.Flags |= core.GFlagAtAll
	g = appendGroup(t, gs, &core.GroupAppend{Msg: atAll, Counts: true, UpdatesConversation: true})
	check("@all", g, 7, 6, 140, 140, 3, 6)
	at := gmsg("g", "b", 150)
	at.AtUsers = []string{"a", "c", "stranger"}
	g = appendGroup(t, gs, &core.GroupAppend{Msg: at, Counts: true, UpdatesConversation: true})
	check("@a and c", g, 8, 7, 150, 150, 4, 6)
	ms := storedGroup(t, gs, "g").members
	if ms["a"].AtMeSeq != 7 || ms["c"].AtMeSeq != 7 || ms["b"].AtMeSeq != 0 {
		t.Errorf("AtMeSeq a %d, b %d, c %d; want 7, 0, 7", ms["a"].AtMeSeq, ms["b"].AtMeSeq, ms["c"].AtMeSeq)
	}
	if ms["a"].LastSendMsgTime != 130 || ms["b"].LastSendMsgTime != 150 || ms["c"].LastSendMsgTime != 0 {
		t.Errorf("LastSendMsgTime a %d, b %d, c %d; want 130 (never back), 150, 0", ms["a"].LastSendMsgTime, ms["b"].LastSendMsgTime, ms["c"].LastSendMsgTime)
	}
	if _, ok := ms["stranger"]; ok {
		t.Errorf("an @-mention of a non-member made a member")
	}
	sys := gmsg("g", "", 160) // a system notification has no sender
	sys.Flags |= core.GFlagSystem
	appendGroup(t, gs, &core.GroupAppend{Msg: sys, UpdatesConversation: true})
	if sys.Seq != 8 {
		t.Errorf("system notification seq %d, want 8", sys.Seq)
	}
}

func testGroupImport(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a", "b")
	send(t, gs, gmsg("g", "a", 100))
	send(t, gs, gmsg("g", "a", 101))
	var msgs []*core.GroupMessage
	for i := range 3 {
		m := gmsg("g", "b", int64(50+i))
		m.Flags = core.GFlagImported
		msgs = append(msgs, m)
	}
	g, err := gs.ImportGroupMessages(ctx, app, "g", msgs)
	if err != nil {
		t.Fatalf("ImportGroupMessages: %v", err)
	}
	for i, m := range msgs {
		if m.Seq != uint64(3+i) || m.ID == 0 {
			t.Errorf("imported message %d: seq %d, ID %d; want seq %d", i, m.Seq, m.ID, 3+i)
		}
	}
	if g.NextSeq != 6 || g.Counted != 2 {
		t.Errorf("after import: NextSeq %d, Counted %d; want 6, 2 (imports count nothing)", g.NextSeq, g.Counted)
	}
	sc := storedGroup(t, gs, "g")
	for _, u := range []string{"a", "b"} {
		if m := sc.members[u]; m.ReadCounted != sc.g.Counted || m.ReadSeq != 5 {
			t.Errorf("%s's ReadCounted = %d, ReadSeq %d; want Counted %d (unread 0) and 5", u, m.ReadCounted, m.ReadSeq, sc.g.Counted)
		}
	}
	if sc.members["b"].LastSendMsgTime != 0 {
		t.Errorf("import moved the sender's LastSendMsgTime to %d", sc.members["b"].LastSendMsgTime)
	}
	got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "g"})
	if !slices.Equal(seqs(got), seqRange(1, 5)) || !got[2].Flags.Has(core.GFlagImported) || got[4].Time != 52 {
		t.Errorf("history after import = %v", seqs(got))
	}
	m := gmsg("g", "a", 200)
	send(t, gs, m)
	if m.Seq != 6 {
		t.Errorf("next message after import: seq %d, want 6", m.Seq)
	}
	if _, err := gs.ImportGroupMessages(ctx, app, "nope", []*core.GroupMessage{gmsg("nope", "a", 1)}); core.KindOf(err) != core.NotFound {
		t.Errorf("ImportGroupMessages(unknown group): %v, want NotFound", err)
	}
}

func testGroupMessagesRange(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a")
	createGroup(t, gs, newGroup("h", core.GroupPublic), "a")
	for i := range 10 {
		send(t, gs, gmsg("g", "a", int64(100+i)))
	}
	send(t, gs, gmsg("h", "a", 100))
	for _, c := range []struct {
		name     string
		min, max uint64
		limit    int
		desc     bool
		want     []uint64
	}{
		{"3..7", 3, 7, 100, false, []uint64{3, 4, 5, 6, 7}},
		{"3..7 descending", 3, 7, 100, true, []uint64{7, 6, 5, 4, 3}},
		{"3..7 limit 2", 3, 7, 2, false, []uint64{3, 4}},
		{"3..7 limit 2 descending", 3, 7, 2, true, []uint64{7, 6}},
		{"newest 3", 0, math.MaxUint64, 3, true, []uint64{10, 9, 8}},
		{"one", 4, 4, 100, false, []uint64{4}},
		{"beyond", 11, 20, 100, false, nil},
		{"min above max", 7, 3, 100, false, nil},
		{"limit 0", 1, 10, 0, false, nil},
	} {
		got, err := gs.GroupMessages(ctx, core.GroupMsgQuery{App: app, Group: "g", MinSeq: c.min, MaxSeq: c.max, Limit: c.limit, Desc: c.desc})
		if err != nil || !slices.Equal(seqs(got), c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, seqs(got), err, c.want)
		}
	}
	if got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "nope"}); len(got) != 0 {
		t.Errorf("unknown group's messages = %v", seqs(got))
	}

	m := gmsg("h", "a", 300)
	m.Random, m.Priority, m.CloudCustomData = 4242, core.PriorityLow, "ccd ✓"
	m.Body = []byte(`[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"x\u0000y"}}]`)
	m.OfflinePush = []byte(`{"PushFlag":0,"Desc":"离线"}`)
	m.Flags = core.GFlagSupportExtension | core.GFlagNeedReadReceipt
	m.To = []string{"a", "b\x00c"}
	m.AtUsers = []string{"a"}
	send(t, gs, m)
	nobody := gmsg("h", "a", 301)
	nobody.To = []string{} // targeted at nobody: not the same as everyone
	send(t, gs, nobody)
	got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "h", MinSeq: m.Seq})
	if len(got) != 2 {
		t.Fatalf("h's messages from %d: %v", m.Seq, seqs(got))
	}
	g := got[0]
	if g.App != app || g.Group != "h" || g.Topic != "" || g.Seq != m.Seq || g.ID != m.ID || g.From != "a" || g.Random != 4242 ||
		g.Time != 300 || g.Priority != core.PriorityLow || string(g.Body) != string(m.Body) || g.CloudCustomData != m.CloudCustomData ||
		string(g.OfflinePush) != string(m.OfflinePush) || g.Flags != m.Flags || !slices.Equal(g.To, m.To) || !slices.Equal(g.AtUsers, m.AtUsers) {
		t.Errorf("stored message = %+v\nwant %+v", g, *m)
	}
	if got[1].To == nil || len(got[1].To) != 0 {
		t.Errorf("a message targeted at nobody came back with To %#v", got[1].To)
	}
	if first := groupMsgs(t, gs, core.GroupMsgQuery{Group: "h", MaxSeq: 1}); len(first) != 1 || first[0].To != nil || first[0].AtUsers != nil || first[0].OfflinePush != nil {
		t.Errorf("a message for everyone came back with To %#v, AtUsers %#v, push %q", first[0].To, first[0].AtUsers, first[0].OfflinePush)
	}
}

func testUpdateGroupMessage(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a", "b")
	m := gmsg("g", "a", 100)
	send(t, gs, m)
	got, err := gs.UpdateGroupMessage(ctx, app, "g", "", m.Seq, func(gm *core.GroupMessage, _ *core.Extensions) ([]core.InboxEvent, error) {
		gm.Flags |= core.GFlagRecalled
		gm.Body = body("changed")
		gm.CloudCustomData = "new ccd"
		gm.From, gm.Time = "ignored", 1 // not fields UpdateGroupMessage stores
		return []core.InboxEvent{{User: "a"}, {User: "b", MsgID: 12345}}, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroupMessage: %v", err)
	}
	for _, g := range []core.GroupMessage{got, groupMsgs(t, gs, core.GroupMsgQuery{Group: "g"})[0]} {
		if !g.Flags.Has(core.GFlagRecalled) || string(g.Body) != string(body("changed")) || g.CloudCustomData != "new ccd" ||
			g.From != "a" || g.Time != 100 || g.ID != m.ID || g.Seq != m.Seq {
			t.Errorf("updated message = %+v", g)
		}
	}
	if in := inbox(t, s, "a", 0); len(in) != 1 || in[0].MsgID != m.ID {
		t.Errorf("a's inbox = %+v, want one event about message %d", in, m.ID)
	}
	if in := inbox(t, s, "b", 0); len(in) != 1 || in[0].MsgID != 12345 {
		t.Errorf("b's inbox = %+v, want the event's own MsgID kept", in)
	}
	boom := core.Errorf(core.Forbidden, "", "boom")
	_, err = gs.UpdateGroupMessage(ctx, app, "g", "", m.Seq, func(gm *core.GroupMessage, _ *core.Extensions) ([]core.InboxEvent, error) {
		gm.Body = body("lost")
		return []core.InboxEvent{{User: "a"}}, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("UpdateGroupMessage with failing fn: %v, want fn's error", err)
	}
	if g := groupMsgs(t, gs, core.GroupMsgQuery{Group: "g"})[0]; string(g.Body) != string(body("changed")) {
		t.Errorf("failed update stored body %s", g.Body)
	}
	if in := inbox(t, s, "a", 0); len(in) != 1 {
		t.Errorf("failed update added events: %+v", in)
	}
	for _, c := range []struct {
		group, topic string
		seq          uint64
	}{{"g", "", 2}, {"g", "t", 1}, {"nope", "", 1}, {"g", "", math.MaxUint64}} {
		_, err := gs.UpdateGroupMessage(ctx, app, c.group, c.topic, c.seq, func(*core.GroupMessage, *core.Extensions) ([]core.InboxEvent, error) {
			return nil, nil
		})
		if core.KindOf(err) != core.NotFound {
			t.Errorf("UpdateGroupMessage(%s/%s/%d): %v, want NotFound", c.group, c.topic, c.seq, err)
		}
	}
}

// setGroupExt sets one extension of a group message.
func setGroupExt(t *testing.T, gs core.GroupStore, group, topic string, seq uint64, key, value string) {
	t.Helper()
	_, err := gs.UpdateGroupMessage(ctx, app, group, topic, seq, func(_ *core.GroupMessage, ext *core.Extensions) ([]core.InboxEvent, error) {
		ext.LatestSeq++
		ext.Items[key] = core.Extension{Key: key, Value: value, Seq: ext.LatestSeq}
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroupMessage(extensions): %v", err)
	}
}

func testGroupExtensions(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a")
	m := gmsg("g", "a", 100)
	m.Flags |= core.GFlagSupportExtension
	send(t, gs, m)
	c := msg("a", "b", 100, 1, 1) // a C2C message: its ID may equal m's
	appendOK(t, s, c)
	_, err := s.UpdateC2CExtensions(ctx, app, "a", "b", c.Key(), func(_ *core.C2CMessage, ext *core.Extensions) ([]core.InboxEvent, error) {
		ext.LatestSeq = 9
		ext.Items["c2c"] = core.Extension{Key: "c2c", Value: "x", Seq: 9}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = gs.UpdateGroupMessage(ctx, app, "g", "", m.Seq, func(_ *core.GroupMessage, ext *core.Extensions) ([]core.InboxEvent, error) {
		if ext.LatestSeq != 0 || len(ext.Items) != 0 {
			t.Errorf("new message has extensions %+v", ext)
		}
		ext.LatestSeq = 1
		ext.Items["k1"] = core.Extension{Key: "k1", Value: "v1", Seq: 1}
		ext.Items["k2"] = core.Extension{Key: "k2", Value: "v2", Seq: 1}
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateGroupMessage: %v", err)
	}
	_, err = gs.UpdateGroupMessage(ctx, app, "g", "", m.Seq, func(_ *core.GroupMessage, ext *core.Extensions) ([]core.InboxEvent, error) {
		if ext.LatestSeq != 1 || len(ext.Items) != 2 {
			t.Errorf("stored extensions = %+v, want two at Seq 1", ext)
		}
		ext.LatestSeq, ext.ClearSeq = 2, 2
		delete(ext.Items, "k1")
		ext.Items["k2"] = core.Extension{Key: "k2", Value: "v2b", Seq: 2}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := gs.GroupMessageExtensions(ctx, app, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LatestSeq != 2 || got.ClearSeq != 2 || len(got.Items) != 1 || got.Items["k2"] != (core.Extension{Key: "k2", Value: "v2b", Seq: 2}) {
		t.Errorf("group extensions = %+v", got)
	}
	if cx, err := s.C2CExtensions(ctx, app, c.ID); err != nil || cx.LatestSeq != 9 || len(cx.Items) != 1 {
		t.Errorf("C2C extensions of %d = %+v, %v; want its own", c.ID, cx, err)
	}
	if got, err := gs.GroupMessageExtensions(ctx, app, 987654); err != nil || got.LatestSeq != 0 || len(got.Items) != 0 || got.Items == nil {
		t.Errorf("extensions of an unknown message = %+v, %v; want empty", got, err)
	}
}

func testGroupReceipts(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a", "b", "c")
	wants := gmsg("g", "a", 100)
	wants.Flags |= core.GFlagNeedReadReceipt
	send(t, gs, wants)
	send(t, gs, gmsg("g", "a", 101))
	added, err := gs.AddGroupReceipts(ctx, app, "g", "c", []uint64{1, 2, 1, 99, math.MaxUint64})
	if err != nil || !slices.Equal(added, []bool{true, false, false, false, false}) {
		t.Errorf("AddGroupReceipts(c) = %v, %v; want [true false false false false]", added, err)
	}
	if added, err := gs.AddGroupReceipts(ctx, app, "g", "b", []uint64{1}); err != nil || !slices.Equal(added, []bool{true}) {
		t.Errorf("AddGroupReceipts(b) = %v, %v", added, err)
	}
	if added, err := gs.AddGroupReceipts(ctx, app, "g", "c", []uint64{1}); err != nil || !slices.Equal(added, []bool{false}) {
		t.Errorf("repeated receipt = %v, %v; want [false]", added, err)
	}
	if added, err := gs.AddGroupReceipts(ctx, app, "nope", "c", []uint64{1}); err != nil || !slices.Equal(added, []bool{false}) {
		t.Errorf("receipt in an unknown group = %v, %v; want [false]", added, err)
	}
	if r, err := gs.GroupReceipts(ctx, app, "g", 1); err != nil || !slices.Equal(r, []string{"b", "c"}) {
		t.Errorf("GroupReceipts(1) = %v, %v; want [b c]", r, err)
	}
	if r, err := gs.GroupReceipts(ctx, app, "g", 2); err != nil || len(r) != 0 {
		t.Errorf("GroupReceipts(2) = %v, %v; want none", r, err)
	}
}

func testGroupTopics(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("@TGS#_c", core.GroupCommunity), "a")
	createGroup(t, gs, newGroup("pub", core.GroupPublic), "a")
	tp := &core.Topic{App: app, Group: "@TGS#_c", ID: "t2", Name: "two", Introduction: "i", Notification: "n", FaceURL: "f",
		CustomString: "cs", CreateTime: 100, MuteAll: true, NextSeq: 9, LastSeq: 9}
	if err := gs.CreateTopic(ctx, tp); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if tp.NextSeq != 1 || tp.LastSeq != 0 {
		t.Errorf("created topic NextSeq %d, LastSeq %d; want 1, 0", tp.NextSeq, tp.LastSeq)
	}
	if err := gs.CreateTopic(ctx, &core.Topic{App: app, Group: "@TGS#_c", ID: "t1"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		t    core.Topic
		want core.Kind
	}{
		{core.Topic{App: app, Group: "@TGS#_c", ID: "t2"}, core.Duplicate},
		{core.Topic{App: app, Group: "nope", ID: "t9"}, core.NotFound},
		{core.Topic{App: app, Group: "pub", ID: "t9"}, core.Invalid},
	} {
		if err := gs.CreateTopic(ctx, &c.t); core.KindOf(err) != c.want {
			t.Errorf("CreateTopic(%s/%s): %v, want %v", c.t.Group, c.t.ID, err, c.want)
		}
	}
	topics, err := gs.Topics(ctx, app, "@TGS#_c")
	if err != nil || len(topics) != 2 || topics[0].ID != "t1" || topics[1].ID != "t2" {
		t.Fatalf("Topics = %+v, %v; want t1 and t2", topics, err)
	}
	if got := topics[1]; got.Name != "two" || got.Introduction != "i" || got.Notification != "n" || got.FaceURL != "f" ||
		got.CustomString != "cs" || got.CreateTime != 100 || !got.MuteAll || got.NextSeq != 1 || got.App != app || got.Group != "@TGS#_c" {
		t.Errorf("stored topic = %+v", got)
	}
	if topics, err := gs.Topics(ctx, app, "pub"); err != nil || len(topics) != 0 {
		t.Errorf("Topics(pub) = %+v, %v", topics, err)
	}

	send(t, gs, gmsg("@TGS#_c", "a", 100))
	before := storedGroup(t, gs, "@TGS#_c").g
	for i := range 3 {
		m := gmsg("@TGS#_c", "a", int64(200+i))
		m.Topic = "t2"
		m.Flags |= core.GFlagAtAll
		m.AtUsers = []string{"a"}
		g := appendGroup(t, gs, &core.GroupAppend{Msg: m, Counts: true, UpdatesConversation: i != 2})
		if m.Seq != uint64(i+1) {
			t.Errorf("topic message %d: seq %d, want %d", i, m.Seq, i+1)
		}
		if g.NextSeq != before.NextSeq || g.Counted != before.Counted || g.LastSeq != before.LastSeq || g.AtAllSeq != 0 || g.LastMsgTime != int64(200+i) {
			t.Errorf("topic message %d moved the group: %+v (before %+v)", i, g, before)
		}
	}
	if a := storedGroup(t, gs, "@TGS#_c").members["a"]; a.AtMeSeq != 0 || a.LastSendMsgTime != 202 {
		t.Errorf("after topic messages a = %+v, want AtMeSeq 0 (group seqs only), LastSendMsgTime 202", a)
	}
	topics, _ = gs.Topics(ctx, app, "@TGS#_c")
	if t2 := topics[1]; t2.NextSeq != 4 || t2.LastSeq != 2 || t2.LastTime != 201 {
		t.Errorf("t2 after 3 messages (the last not updating conversations) = %+v, want NextSeq 4, LastSeq 2, LastTime 201", t2)
	}
	if got := seqs(groupMsgs(t, gs, core.GroupMsgQuery{Group: "@TGS#_c", Topic: "t2"})); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Errorf("t2's messages = %v, want 1 2 3", got)
	}
	if got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "@TGS#_c"}); len(got) != 1 || got[0].Topic != "" {
		t.Errorf("the group's own messages = %+v, want the one outside topics", seqs(got))
	}
	bad := gmsg("@TGS#_c", "a", 300)
	bad.Topic = "t9"
	if _, err := gs.AppendGroupMessage(ctx, &core.GroupAppend{Msg: bad}); core.KindOf(err) != core.NotFound {
		t.Errorf("AppendGroupMessage to an unknown topic: %v, want NotFound", err)
	}

	if err := gs.DestroyTopic(ctx, app, "@TGS#_c", "t2"); err != nil {
		t.Fatalf("DestroyTopic: %v", err)
	}
	if got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "@TGS#_c", Topic: "t2"}); len(got) != 0 {
		t.Errorf("destroyed topic's messages = %v", seqs(got))
	}
	if topics, _ := gs.Topics(ctx, app, "@TGS#_c"); len(topics) != 1 || topics[0].ID != "t1" {
		t.Errorf("topics after destroy = %+v", topics)
	}
	if err := gs.DestroyTopic(ctx, app, "@TGS#_c", "t2"); core.KindOf(err) != core.NotFound {
		t.Errorf("second DestroyTopic: %v, want NotFound", err)
	}
	if got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "@TGS#_c"}); len(got) != 1 {
		t.Errorf("DestroyTopic took the group's messages: %v", seqs(got))
	}
}

func testGroupPurge(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("@TGS#_c", core.GroupCommunity), "a")
	createGroup(t, gs, newGroup("g2", core.GroupPublic), "a")
	if err := gs.CreateTopic(ctx, &core.Topic{App: app, Group: "@TGS#_c", ID: "t"}); err != nil {
		t.Fatal(err)
	}
	other := newGroup("g2", core.GroupPublic)
	other.App = app + 1
	createGroup(t, gs, other)
	var first *core.GroupMessage
	for i, tm := range []int64{100, 150, 300, 120, 400} { // 120: an import's older time, after a newer one
		m := gmsg("@TGS#_c", "a", tm)
		m.Flags = core.GFlagSupportExtension | core.GFlagNeedReadReceipt
		send(t, gs, m)
		if i == 0 {
			first = m
		}
	}
	setGroupExt(t, gs, "@TGS#_c", "", 1, "k", "v")
	if _, err := gs.AddGroupReceipts(ctx, app, "@TGS#_c", "a", []uint64{1, 3}); err != nil {
		t.Fatal(err)
	}
	for _, tm := range []int64{100, 500} {
		m := gmsg("@TGS#_c", "a", tm)
		m.Topic = "t"
		send(t, gs, m)
	}
	send(t, gs, gmsg("g2", "a", 100))
	om := gmsg("g2", "a", 100)
	om.App = app + 1
	send(t, gs, om)

	n, err := gs.PurgeGroupMessages(ctx, app, 200)
	if err != nil || n != 4 {
		t.Fatalf("PurgeGroupMessages = %d, %v; want 4 (2 of the group, 1 of its topic, 1 of g2)", n, err)
	}
	if got := seqs(groupMsgs(t, gs, core.GroupMsgQuery{Group: "@TGS#_c"})); !slices.Equal(got, []uint64{3, 4, 5}) {
		t.Errorf("group after purge = %v, want 3 4 5 (the prefix up to the first kept)", got)
	}
	if got := seqs(groupMsgs(t, gs, core.GroupMsgQuery{Group: "@TGS#_c", Topic: "t"})); !slices.Equal(got, []uint64{2}) {
		t.Errorf("topic after purge = %v, want 2", got)
	}
	if got := groupMsgs(t, gs, core.GroupMsgQuery{Group: "g2"}); len(got) != 0 {
		t.Errorf("g2 after purge = %v", seqs(got))
	}
	if got, err := gs.GroupMessages(ctx, core.GroupMsgQuery{App: app + 1, Group: "g2", MaxSeq: 10, Limit: 10}); err != nil || len(got) != 1 {
		t.Errorf("purge of one app touched another: %v, %v", seqs(got), err)
	}
	if ext, _ := gs.GroupMessageExtensions(ctx, app, first.ID); ext.LatestSeq != 0 || len(ext.Items) != 0 {
		t.Errorf("purged message's extensions = %+v", ext)
	}
	if r, _ := gs.GroupReceipts(ctx, app, "@TGS#_c", 1); len(r) != 0 {
		t.Errorf("purged message's receipts = %v", r)
	}
	if r, _ := gs.GroupReceipts(ctx, app, "@TGS#_c", 3); !slices.Equal(r, []string{"a"}) {
		t.Errorf("kept message's receipts = %v, want [a]", r)
	}
	m := gmsg("@TGS#_c", "a", 600)
	g := send(t, gs, m)
	if m.Seq != 6 || g.Counted != 6 {
		t.Errorf("after purge, next seq %d, Counted %d; want 6 and 6 (counters stay)", m.Seq, g.Counted)
	}
	if n, err := gs.PurgeGroupMessages(ctx, app, 200); err != nil || n != 0 {
		t.Errorf("second PurgeGroupMessages = %d, %v; want 0", n, err)
	}
	if n, err := gs.PurgeGroupMessages(ctx, app, 1<<40); err != nil || n != 5 {
		t.Errorf("PurgeGroupMessages(everything) = %d, %v; want 5", n, err)
	}
	m = gmsg("@TGS#_c", "a", 700)
	send(t, gs, m)
	if m.Seq != 7 || m.ID <= first.ID {
		t.Errorf("after purging everything: seq %d, ID %d; want 7 and a new ID", m.Seq, m.ID)
	}
}

func testGroupConcurrentAppends(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a")
	const workers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	var got []uint64
	ids := map[int64]bool{}
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m := gmsg("g", "a", int64(100+w*each+i))
				if _, err := gs.AppendGroupMessage(ctx, &core.GroupAppend{Msg: m, Counts: true, UpdatesConversation: true}); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				got, ids[m.ID] = append(got, m.Seq), true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent AppendGroupMessage: %v", err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	if !slices.Equal(got, seqRange(1, workers*each)) {
		t.Errorf("assigned seqs are not 1..%d once each: %v", workers*each, got)
	}
	if len(ids) != workers*each {
		t.Errorf("%d distinct IDs for %d messages", len(ids), workers*each)
	}
	if stored := seqs(groupMsgs(t, gs, core.GroupMsgQuery{Group: "g"})); !slices.Equal(stored, seqRange(1, workers*each)) {
		t.Errorf("stored seqs = %v", stored)
	}
	if g := storedGroup(t, gs, "g").g; g.NextSeq != workers*each+1 || g.Counted != workers*each || g.LastSeq != workers*each {
		t.Errorf("group after concurrent appends = %+v", g)
	}
}

func testGroupClosed(t *testing.T, s core.Store) {
	gs := groupStore(t, s)
	createGroup(t, gs, newGroup("g", core.GroupPublic), "a")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := gs.CreateGroup(ctx, newGroup("h", core.GroupPublic), nil, nil); !errors.Is(err, core.ErrClosed) {
		t.Errorf("CreateGroup after Close: %v, want ErrClosed", err)
	}
	if _, err := gs.AppendGroupMessage(ctx, &core.GroupAppend{Msg: gmsg("g", "a", 1)}); !errors.Is(err, core.ErrClosed) {
		t.Errorf("AppendGroupMessage after Close: %v, want ErrClosed", err)
	}
	if _, err := gs.GroupMessages(ctx, core.GroupMsgQuery{App: app, Group: "g", MaxSeq: 10, Limit: 10}); !errors.Is(err, core.ErrClosed) {
		t.Errorf("GroupMessages after Close: %v, want ErrClosed", err)
	}
	if err := gs.ScanGroups(ctx, func(core.Group, []core.Member) error { return nil }); !errors.Is(err, core.ErrClosed) {
		t.Errorf("ScanGroups after Close: %v, want ErrClosed", err)
	}
}

// testGroupCommitFeed checks that group writes report their inbox entries
// and appended messages to the store's feed.
func testGroupCommitFeed(t *testing.T, s core.Store) {
	feeder, ok := any(s).(core.CommitFeed)
	if !ok {
		t.Skipf("%T has no commit feed", s)
	}
	var mu sync.Mutex
	var commits []core.Commit
	feeder.SetCommitFeed(func(c core.Commit) {
		mu.Lock()
		commits = append(commits, c)
		mu.Unlock()
	})
	taken := func() []core.Commit {
		mu.Lock()
		defer mu.Unlock()
		out := commits
		commits = nil
		return out
	}
	gs := groupStore(t, s)
	err := gs.CreateGroup(ctx, newGroup("g", core.GroupPublic), members("a", "b"), []core.InboxEvent{joined("a", "g"), joined("b", "g")})
	if err != nil {
		t.Fatal(err)
	}
	c := taken()
	if len(c) != 1 || len(c[0].Inbox) != 2 || c[0].Inbox[0].Kind != core.EventGroupJoined || len(c[0].Group) != 0 {
		t.Errorf("feed after CreateGroup = %+v, want one commit with the two joins", c)
	}
	m := gmsg("g", "a", 100)
	appendGroup(t, gs, &core.GroupAppend{Msg: m, Counts: true, Events: []core.InboxEvent{{User: "b", Kind: core.EventGroupRead}}})
	c = taken()
	if len(c) != 1 || len(c[0].Group) != 1 || c[0].Group[0].Seq != 1 || c[0].Group[0].ID != m.ID || c[0].Group[0].Group != "g" ||
		len(c[0].Inbox) != 1 || c[0].Inbox[0].User != "b" || c[0].Inbox[0].MsgID != m.ID {
		t.Errorf("feed after AppendGroupMessage = %+v, want the message (seq 1) and b's event about it", c)
	}
	_, err = gs.UpdateGroupMessage(ctx, app, "g", "", 1, func(m *core.GroupMessage, _ *core.Extensions) ([]core.InboxEvent, error) {
		m.Flags |= core.GFlagRecalled
		return []core.InboxEvent{{User: "a"}, {User: "b"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c = taken(); len(c) != 1 || len(c[0].Inbox) != 2 || c[0].Inbox[1].MsgID != m.ID {
		t.Errorf("feed after UpdateGroupMessage = %+v", c)
	}
	if _, _, err := gs.RemoveMembers(ctx, app, "g", []string{"b"}, []core.InboxEvent{{User: "b", Kind: core.EventGroupLeft}}); err != nil {
		t.Fatal(err)
	}
	if c = taken(); len(c) != 1 || !slices.Equal(kinds(c[0].Inbox), []core.EventKind{core.EventGroupLeft}) {
		t.Errorf("feed after RemoveMembers = %+v", c)
	}
	if err := gs.DestroyGroup(ctx, app, "g", []core.InboxEvent{{User: "a", Kind: core.EventGroupLeft}}); err != nil {
		t.Fatal(err)
	}
	if c = taken(); len(c) != 1 || len(c[0].Inbox) != 1 || c[0].Inbox[0].User != "a" {
		t.Errorf("feed after DestroyGroup = %+v", c)
	}
	_, err = gs.UpdateGroup(ctx, app, "g", func(*core.Group) ([]core.InboxEvent, error) {
		return []core.InboxEvent{{User: "a", Kind: core.EventGroupMuted}}, nil
	})
	if core.KindOf(err) != core.NotFound || len(taken()) != 0 {
		t.Errorf("a refused update reached the feed (%v)", err)
	}
}
