package tim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/parleytest"
)

// roamQuery returns an admin_getroammsg body.
func roamQuery(owner, peer string, maxCnt int, minTime, maxTime int64, lastKey string) string {
	return fmt.Sprintf(`{"Operator_Account":%q,"Peer_Account":%q,"MaxCnt":%d,"MinTime":%d,"MaxTime":%d,"LastMsgKey":%q}`,
		owner, peer, maxCnt, minTime, maxTime, lastKey)
}

// sendSeries sends count messages alice→bob (odd ones bob→alice) with
// MsgSeq i and MsgTimeStamp start+i/perSecond, and returns their keys in
// history order.
func sendSeries(t *testing.T, n *parleytest.Node, count, perSecond int, start int64, text string) []string {
	t.Helper()
	var out []string
	for i := range count {
		from, to := "alice", "bob"
		if i%2 == 1 {
			from, to = to, from
		}
		ts := start + int64(i/perSecond)
		a := send(t, n, sendFrom(from, to, 10_000+i, textBody(text), fmt.Sprintf(`,"MsgSeq":%d,"MsgTimeStamp":%d`, i, ts)))
		out = append(out, a.MsgKey)
	}
	return out
}

func TestGetRoamMsgRangeAndOrder(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob", "carol")
	// Ten messages, two per second, at t0-100 … t0-96.
	all := sendSeries(t, n, 10, 2, t0-100, "m")
	send(t, n, sendFrom("alice", "carol", 1, textBody("another conversation"), `,"MsgTimeStamp":`+fmt.Sprint(t0-98)))

	tests := []struct {
		name     string
		body     string
		want     []string
		complete int
	}{
		{name: "everything", body: roamQuery("alice", "bob", 100, 0, farFuture, ""), want: all, complete: 1},
		{name: "everything from bob's side", body: roamQuery("bob", "alice", 100, 0, farFuture, ""), want: all, complete: 1},
		{name: "legacy member names",
			body: fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MaxCnt":100,"MinTime":0,"MaxTime":%d}`, farFuture),
			want: all, complete: 1},
		{name: "inclusive range", body: roamQuery("alice", "bob", 100, t0-99, t0-98, ""), want: all[2:6], complete: 1},
		{name: "a single second", body: roamQuery("alice", "bob", 100, t0-96, t0-96, ""), want: all[8:10], complete: 1},
		{name: "empty range", body: roamQuery("alice", "bob", 100, t0-50, t0-40, ""), want: nil, complete: 1},
		{name: "MinTime after MaxTime", body: roamQuery("alice", "bob", 100, t0, t0-100, ""), want: nil, complete: 1},
		{name: "MaxCnt takes the newest", body: roamQuery("alice", "bob", 3, 0, farFuture, ""), want: all[7:10], complete: 0},
		{name: "MaxCnt exactly the range", body: roamQuery("alice", "bob", 4, t0-99, t0-98, ""), want: all[2:6], complete: 1},
		{name: "continuation", body: roamQuery("alice", "bob", 3, 0, t0-96, all[7]), want: all[4:7], complete: 0},
		{name: "last page", body: roamQuery("alice", "bob", 5, 0, t0-98, all[4]), want: all[0:4], complete: 1},
		{name: "continuation inside one second", body: roamQuery("alice", "bob", 1, 0, t0-96, all[9]), want: all[8:9], complete: 0},
		{name: "a key that names no message continues from its place",
			body: roamQuery("alice", "bob", 100, 0, farFuture, fmt.Sprintf("5_999_%d", t0-98)), want: all[0:5], complete: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := roam(t, n, tt.body)
			got := keys(a.MsgList)
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("admin_getroammsg %s: MsgList %q, want %q", tt.body, got, tt.want)
			}
			if a.Complete != tt.complete {
				t.Errorf("admin_getroammsg %s: Complete %d, want %d", tt.body, a.Complete, tt.complete)
			}
			wantKey, wantTime := "", int64(0)
			if len(a.MsgList) > 0 {
				wantKey, wantTime = a.MsgList[0].MsgKey, a.MsgList[0].MsgTimeStamp
			}
			if a.LastMsgKey != wantKey || a.LastMsgTime != wantTime {
				t.Errorf("admin_getroammsg %s: LastMsgKey %q LastMsgTime %d, want the oldest listed: %q %d",
					tt.body, a.LastMsgKey, a.LastMsgTime, wantKey, wantTime)
			}
		})
	}

	// Every item carries every documented member.
	r := n.MustTIM(t, "openim/admin_getroammsg", roamQuery("alice", "bob", 1, 0, farFuture, ""))
	var raw struct{ MsgList []map[string]jsontext.Value }
	r.Decode(t, &raw)
	for _, k := range []string{"From_Account", "To_Account", "MsgSeq", "MsgRandom", "MsgTimeStamp", "MsgFlagBits", "IsPeerRead", "MsgKey", "MsgBody", "CloudCustomData"} {
		if len(raw.MsgList) != 1 || raw.MsgList[0][k] == nil {
			t.Errorf("admin_getroammsg item: no %s in %s", k, r.Raw)
		}
	}
	var top map[string]jsontext.Value
	r.Decode(t, &top)
	for _, k := range []string{"Complete", "MsgCnt", "LastMsgTime", "LastMsgKey", "MsgList"} {
		if top[k] == nil {
			t.Errorf("admin_getroammsg: no %s in %s", k, r.Raw)
		}
	}
	// An empty answer lists [] rather than null.
	r = n.MustTIM(t, "openim/admin_getroammsg", roamQuery("alice", "bob", 1, 1, 2, ""))
	r.Decode(t, &top)
	if string(top["MsgList"]) != "[]" {
		t.Errorf("empty admin_getroammsg: MsgList %s, want []", top["MsgList"])
	}
}

func TestGetRoamMsgPagesEverythingOnce(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	const count = 300
	text := strings.Repeat("0123456789", 20) // a 200-byte message
	want := sendSeries(t, n, count, 7, t0-1000, text)

	for _, maxCnt := range []int{100, 1000, 37, 1} {
		t.Run(fmt.Sprint("MaxCnt=", maxCnt), func(t *testing.T) {
			var pages [][]string
			maxTime, lastKey := int64(farFuture), ""
			for {
				if len(pages) > count {
					t.Fatalf("more pages than messages")
				}
				a, r := roam(t, n, roamQuery("bob", "alice", maxCnt, 0, maxTime, lastKey))
				if len(r.Raw) > 13824 {
					t.Errorf("page %d: answer is %d bytes, want at most 13.5 KB", len(pages), len(r.Raw))
				}
				if len(a.MsgList) == 0 && a.Complete == 0 {
					t.Fatalf("page %d: empty and not complete", len(pages))
				}
				if len(a.MsgList) > maxCnt {
					t.Errorf("page %d: %d messages, want at most MaxCnt %d", len(pages), len(a.MsgList), maxCnt)
				}
				for _, m := range a.MsgList {
					if string(m.MsgBody) != textBody(text) {
						t.Fatalf("page %d: message %s has body %s", len(pages), m.MsgKey, m.MsgBody)
					}
				}
				pages = append(pages, keys(a.MsgList))
				if a.Complete == 1 {
					break
				}
				maxTime, lastKey = a.LastMsgTime, a.LastMsgKey
			}
			var got []string
			for i := len(pages) - 1; i >= 0; i-- {
				got = append(got, pages[i]...)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%d pages hold %d messages; want all %d exactly once in order", len(pages), len(got), len(want))
			}
			if maxCnt >= 100 && len(pages) < 4 {
				t.Errorf("%d pages of 300 messages of 200 bytes, want the 13 KB cap to split them more", len(pages))
			}
		})
	}
}

func TestGetRoamMsgPagesLargeMessages(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	// 6 KB and 12 KB messages (the limit): pages of one or two messages.
	var want []string
	for i, size := range []int{6000, 12000, 6000, 6000, 12000, 100, 6000} {
		text := strings.Repeat("y", size)
		a := send(t, n, sendFrom("alice", "bob", i, textBody(text), fmt.Sprintf(`,"MsgSeq":%d`, i)))
		want = append(want, a.MsgKey)
	}
	maxTime, lastKey := int64(farFuture), ""
	var pages [][]string
	for len(pages) <= len(want) {
		a, r := roam(t, n, roamQuery("alice", "bob", 100, 0, maxTime, lastKey))
		if len(r.Raw) > 13824 {
			t.Errorf("page %d: answer is %d bytes, want at most 13.5 KB", len(pages), len(r.Raw))
		}
		pages = append(pages, keys(a.MsgList))
		if a.Complete == 1 {
			break
		}
		maxTime, lastKey = a.LastMsgTime, a.LastMsgKey
	}
	var got []string
	for i := len(pages) - 1; i >= 0; i-- {
		got = append(got, pages[i]...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages %q hold %q, want %q", pages, got, want)
	}
}

func TestGetRoamMsgRetention(t *testing.T) {
	clock := clockAt(t0)
	n := parleytest.Start(t, parleytest.Options{Clock: clock, RoamingDays: 1})
	n.ImportAccounts(t, "alice", "bob")
	day := int64(86400)
	send(t, n, sendFrom("alice", "bob", 1, textBody("old"), ``))
	edge := send(t, n, sendFrom("alice", "bob", 2, textBody("edge"), fmt.Sprintf(`,"MsgSeq":1,"MsgTimeStamp":%d`, t0+3600)))
	clock.Advance(25 * time.Hour)
	now := clock.Now().Unix()
	timCode(t, n, "openim/importmsg", importBody("2", "alice", "bob", 3, 3, now-2*day, "imported long ago"), 0)
	timCode(t, n, "openim/importmsg", importBody("2", "alice", "bob", 4, 4, now-day-1, "a second too old"), 0)
	timCode(t, n, "openim/importmsg", importBody("2", "alice", "bob", 5, 5, now-day, "just in"), 0)
	recent := send(t, n, sendFrom("alice", "bob", 6, textBody("recent"), ``))

	want := []string{edge.MsgKey, fmt.Sprintf("5_5_%d", now-day), recent.MsgKey}
	for _, owner := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
		if got := keys(historyOf(t, n, owner[0], owner[1])); !slices.Equal(got, want) {
			t.Errorf("%s's history with a one-day retention: %q, want %q", owner[0], got, want)
		}
	}
	// Asking for the old range explicitly finds nothing either.
	a, _ := roam(t, n, roamQuery("alice", "bob", 100, t0-10, t0+10, ""))
	if len(a.MsgList) != 0 || a.Complete != 1 {
		t.Errorf("history of a range past retention: %q Complete %d, want nothing, Complete 1", keys(a.MsgList), a.Complete)
	}
}

func TestGetRoamMsgErrors(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	tests := []struct {
		name, body string
		want       int
	}{
		{"unknown Operator_Account", roamQuery("ghost", "bob", 10, 0, farFuture, ""), 90008},
		{"invalid Operator_Account", roamQuery("", "bob", 10, 0, farFuture, ""), 90008},
		{"Operator_Account missing", `{"Peer_Account":"bob","MaxCnt":10,"MinTime":0,"MaxTime":1}`, 90008},
		{"Operator_Account a number", `{"Operator_Account":1,"Peer_Account":"bob","MaxCnt":10,"MinTime":0,"MaxTime":1}`, 90008},
		{"unknown Peer_Account", roamQuery("alice", "ghost", 10, 0, farFuture, ""), 90003},
		{"Peer_Account missing", `{"Operator_Account":"alice","MaxCnt":10,"MinTime":0,"MaxTime":1}`, 90003},
		{"Peer_Account a number", `{"Operator_Account":"alice","Peer_Account":2,"MaxCnt":10,"MinTime":0,"MaxTime":1}`, 90003},
		{"legacy To_Account a number", `{"From_Account":"alice","To_Account":2,"MaxCnt":10,"MinTime":0,"MaxTime":1}`, 90003},
		// Current behaviour, undocumented by the reference: 20001.
		{"MaxCnt missing", `{"Operator_Account":"alice","Peer_Account":"bob","MinTime":0,"MaxTime":1}`, 20001},
		{"MaxCnt 0", roamQuery("alice", "bob", 0, 0, farFuture, ""), 20001},
		{"MinTime missing", `{"Operator_Account":"alice","Peer_Account":"bob","MaxCnt":1,"MaxTime":1}`, 20001},
		{"MaxTime a string", `{"Operator_Account":"alice","Peer_Account":"bob","MaxCnt":1,"MinTime":0,"MaxTime":"1"}`, 20001},
		{"LastMsgKey malformed", roamQuery("alice", "bob", 10, 0, farFuture, "1_2"), 20001},
		{"LastMsgKey with a sign", roamQuery("alice", "bob", 10, 0, farFuture, "+1_2_3"), 20001},
		{"JSON syntax error", `{"Operator_Account":"alice"`, 90001},
		{"valid", roamQuery("alice", "bob", 10, 0, farFuture, ""), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timCode(t, n, "openim/admin_getroammsg", tt.body, tt.want)
		})
	}
}
