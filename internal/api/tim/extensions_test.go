package tim_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/parleyim/parley/internal/parleytest"
)

// v4/openim_msg_ext_http_svc/set_key_values and get_key_values (reference
// §3.2, message extensions).
//
// REST callers are app admins, and admins skip the Seq check: a stale Seq
// is accepted here. The conflict answer, 23001, is reachable only for
// device callers (core's CheckSeq); core's TestExtensions covers it.

// kv is one extension pair as the wire carries it.
type kv struct {
	Key   string
	Value string
	Seq   uint64
}

// setAnswer is set_key_values' answer.
type setAnswer struct {
	ExtensionList []struct {
		ErrorCode int
		Extension kv
	}
}

// getAnswer is get_key_values' answer.
type getAnswer struct {
	CompleteFlag  int
	LatestSeq     uint64
	ClearSeq      uint64
	ExtensionList []kv
}

// extBody is a set_key_values request for alice's message to bob.
func extBody(key string, op int, items []kv) string {
	list := ""
	if items != nil {
		b, _ := json.Marshal(items)
		list = `,"ExtensionList":` + string(b)
	}
	return fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MsgKey":%q,"OperateType":%d%s}`, key, op, list)
}

// setKV posts set_key_values and returns its per-item results.
func setKV(t testing.TB, n *parleytest.Node, body string) setAnswer {
	t.Helper()
	var a setAnswer
	timCode(t, n, "openim_msg_ext_http_svc/set_key_values", body, 0).Decode(t, &a)
	return a
}

// getKV posts get_key_values for alice's message to bob.
func getKV(t testing.TB, n *parleytest.Node, key string, startSeq uint64) getAnswer {
	t.Helper()
	var a getAnswer
	body := fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MsgKey":%q,"StartSeq":%d}`, key, startSeq)
	timCode(t, n, "openim_msg_ext_http_svc/get_key_values", body, 0).Decode(t, &a)
	if a.ExtensionList == nil {
		t.Errorf("get_key_values %s: no ExtensionList array", body)
	}
	return a
}

// pairs renders items as key=value@seq for failure messages and comparisons.
func pairs(items []kv) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s@%d", it.Key, it.Value, it.Seq)
	}
	return b.String()
}

func TestKeyValues(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		key := sendText(t, n, "alice", "bob", 1, "extensible", `,"SupportMessageExtension":1`)
		check := func(step string, startSeq uint64, want string, latest, cleared uint64) {
			t.Helper()
			a := getKV(t, n, key, startSeq)
			if got := pairs(a.ExtensionList); got != want || a.LatestSeq != latest || a.ClearSeq != cleared || a.CompleteFlag != 1 {
				t.Errorf("after %s, get_key_values from %d: [%s] LatestSeq %d ClearSeq %d CompleteFlag %d, want [%s] %d %d 1",
					step, startSeq, got, a.LatestSeq, a.ClearSeq, a.CompleteFlag, want, latest, cleared)
			}
		}
		check("nothing", 0, "", 0, 0)

		res := setKV(t, n, extBody(key, 1, []kv{{Key: "k1", Value: "v1"}, {Key: "k2", Value: "v2"}}))
		if got := fmt.Sprint(res.ExtensionList); got != "[{0 {k1 v1 1}} {0 {k2 v2 1}}]" {
			t.Errorf("first set: ExtensionList %s, want k1 and k2 at Seq 1, ErrorCode 0", got)
		}
		check("the first set", 0, "k1=v1@1 k2=v2@1", 1, 0)

		// Admin calls skip the Seq check: Seq 0 for a key at Seq 1 is taken.
		res = setKV(t, n, extBody(key, 1, []kv{{Key: "k1", Value: "v1b", Seq: 0}}))
		if got := fmt.Sprint(res.ExtensionList); got != "[{0 {k1 v1b 2}}]" {
			t.Errorf("stale Seq as admin: ExtensionList %s, want k1 at Seq 2, ErrorCode 0", got)
		}
		setKV(t, n, extBody(key, 1, []kv{{Key: "k3", Value: "v3", Seq: 99}}))
		check("two more sets", 0, "k2=v2@1 k1=v1b@2 k3=v3@3", 3, 0)
		check("two more sets", 2, "k1=v1b@2 k3=v3@3", 3, 0)
		check("two more sets", 4, "", 3, 0)

		// OperateType 2 deletes the named keys.
		res = setKV(t, n, extBody(key, 2, []kv{{Key: "k2"}}))
		if got := fmt.Sprint(res.ExtensionList); got != "[{0 {k2  4}}]" {
			t.Errorf("delete: ExtensionList %s, want k2 at Seq 4, ErrorCode 0", got)
		}
		check("the delete", 0, "k1=v1b@2 k3=v3@3", 4, 0)

		// OperateType 3 clears everything and moves ClearSeq.
		res = setKV(t, n, extBody(key, 3, nil))
		if len(res.ExtensionList) != 0 {
			t.Errorf("clear: ExtensionList %v, want empty", res.ExtensionList)
		}
		check("the clear", 0, "", 5, 5)
		setKV(t, n, extBody(key, 1, []kv{{Key: "k1", Value: "again"}}))
		check("a set after the clear", 0, "k1=again@6", 6, 5)

		// Without From_Account the admin is the sender.
		adminKey := send(t, n, `{"To_Account":"bob","MsgRandom":9,"SupportMessageExtension":1,"MsgBody":`+textBody("from the admin")+`}`).MsgKey
		setKV(t, n, fmt.Sprintf(`{"To_Account":"bob","MsgKey":%q,"OperateType":1,"ExtensionList":[{"Key":"a","Value":"b"}]}`, adminKey))
		var a getAnswer
		r := timCode(t, n, "openim_msg_ext_http_svc/get_key_values", fmt.Sprintf(`{"To_Account":"bob","MsgKey":%q}`, adminKey), 0)
		r.Decode(t, &a)
		if got := pairs(a.ExtensionList); got != "a=b@1" {
			t.Errorf("extensions of the admin's message: [%s], want [a=b@1]", got)
		}
	})
}

func TestKeyValuesErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		key := sendText(t, n, "alice", "bob", 1, "extensible", `,"SupportMessageExtension":1`)
		plain := sendText(t, n, "alice", "bob", 2, "plain", "")
		one := []kv{{Key: "k", Value: "v"}}
		many := func(count int) []kv {
			out := make([]kv, count)
			for i := range out {
				out[i] = kv{Key: fmt.Sprintf("key%02d", i), Value: "v"}
			}
			return out
		}
		set := "openim_msg_ext_http_svc/set_key_values"
		get := "openim_msg_ext_http_svc/get_key_values"
		tests := []struct {
			name, command, body string
			want                int
		}{
			{"set on a message without extensions", set, extBody(plain, 1, one), 23002},
			{"get on a message without extensions", get, fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MsgKey":%q}`, plain), 23002},
			{"set on an unknown message", set, extBody("1_2_3", 1, one), 23004},
			{"get on an unknown message", get, `{"From_Account":"alice","To_Account":"bob","MsgKey":"1_2_3"}`, 23004},
			{"set with From and To swapped", set, fmt.Sprintf(`{"From_Account":"bob","To_Account":"alice","MsgKey":%q,"OperateType":3}`, key), 23004},
			{"get with From and To swapped", get, fmt.Sprintf(`{"From_Account":"bob","To_Account":"alice","MsgKey":%q}`, key), 23004},
			{"21 pairs", set, extBody(key, 1, many(21)), 10004},
			{"21 keys to delete", set, extBody(key, 2, many(21)), 10004},
			{"key of 101 bytes", set, extBody(key, 1, []kv{{Key: strings.Repeat("k", 101), Value: "v"}}), 10004},
			{"empty key", set, extBody(key, 1, []kv{{Key: "", Value: "v"}}), 10004},
			{"value of 1001 bytes", set, extBody(key, 1, []kv{{Key: "k", Value: strings.Repeat("v", 1001)}}), 10004},
			{"item without Key", set, fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MsgKey":%q,"OperateType":1,"ExtensionList":[{"Value":"v"}]}`, key), 10004},
			{"ExtensionList missing for a set", set, extBody(key, 1, nil), 10004},
			{"ExtensionList empty for a delete", set, extBody(key, 2, []kv{}), 10004},
			{"OperateType 0", set, extBody(key, 0, one), 10004},
			{"OperateType 4", set, extBody(key, 4, one), 10004},
			{"OperateType missing", set, fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MsgKey":%q}`, key), 10004},
			{"To_Account missing", set, fmt.Sprintf(`{"From_Account":"alice","MsgKey":%q,"OperateType":3}`, key), 10004},
			{"MsgKey missing", get, `{"From_Account":"alice","To_Account":"bob"}`, 10004},
			{"MsgKey malformed", get, `{"From_Account":"alice","To_Account":"bob","MsgKey":"1_2"}`, 10004},
			{"JSON syntax error in set", set, `{"To_Account":"bob",`, 10004},
			{"JSON syntax error in get", get, `{"To_Account":"bob",`, 10004},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				timCode(t, n, tt.command, tt.body, tt.want)
			})
		}
		if a := getKV(t, n, key, 0); len(a.ExtensionList) != 0 || a.LatestSeq != 0 {
			t.Errorf("after the refusals: [%s] LatestSeq %d, want nothing", pairs(a.ExtensionList), a.LatestSeq)
		}
		// The limits themselves are accepted.
		setKV(t, n, extBody(key, 1, many(20)))
		setKV(t, n, extBody(key, 1, []kv{{Key: strings.Repeat("k", 100), Value: strings.Repeat("v", 1000)}}))
		if a := getKV(t, n, key, 0); len(a.ExtensionList) != 21 || a.LatestSeq != 2 {
			t.Errorf("after setting 20 pairs and one of the largest: %d pairs, LatestSeq %d, want 21 and 2", len(a.ExtensionList), a.LatestSeq)
		}
	})
}

// TestKeyValuesPaging fills a message to its 300 pairs, pages them 200 at a
// time, and refuses the 301st per item.
func TestKeyValuesPaging(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		key := sendText(t, n, "alice", "bob", 1, "extensible", `,"SupportMessageExtension":1`)
		for call := range 15 {
			items := make([]kv, 20)
			for i := range items {
				items[i] = kv{Key: fmt.Sprintf("key%03d", call*20+i), Value: fmt.Sprint(call)}
			}
			setKV(t, n, extBody(key, 1, items))
		}

		first := getKV(t, n, key, 0)
		if len(first.ExtensionList) != 200 || first.CompleteFlag != 0 || first.LatestSeq != 15 {
			t.Fatalf("first page: %d pairs, CompleteFlag %d, LatestSeq %d; want 200, 0, 15",
				len(first.ExtensionList), first.CompleteFlag, first.LatestSeq)
		}
		last := first.ExtensionList[len(first.ExtensionList)-1].Seq
		rest := getKV(t, n, key, last+1)
		if len(rest.ExtensionList) != 100 || rest.CompleteFlag != 1 {
			t.Fatalf("page from Seq %d: %d pairs, CompleteFlag %d; want 100, 1", last+1, len(rest.ExtensionList), rest.CompleteFlag)
		}
		seen := map[string]bool{}
		var prev uint64
		for _, e := range append(first.ExtensionList, rest.ExtensionList...) {
			if seen[e.Key] {
				t.Errorf("pair %s listed twice", e.Key)
			}
			seen[e.Key] = true
			if e.Seq < prev {
				t.Errorf("pair %s at Seq %d after Seq %d: want Seq order", e.Key, e.Seq, prev)
			}
			prev = e.Seq
		}
		if len(seen) != 300 {
			t.Errorf("the two pages hold %d distinct pairs, want 300", len(seen))
		}

		// The message is full: a new key is refused for that item alone,
		// an existing one still changes. The reference names no per-item
		// code for this; the current one is 10004.
		res := setKV(t, n, extBody(key, 1, []kv{{Key: "key300", Value: "x"}, {Key: "key000", Value: "changed"}}))
		if len(res.ExtensionList) != 2 || res.ExtensionList[0].ErrorCode == 0 || res.ExtensionList[1].ErrorCode != 0 {
			t.Fatalf("set on a full message: %+v, want the new key refused and the old one changed", res.ExtensionList)
		}
		if code := res.ExtensionList[0].ErrorCode; code != 10004 {
			t.Errorf("the 301st pair: ErrorCode %d, want 10004", code)
		}
		if e := res.ExtensionList[1].Extension; e.Key != "key000" || e.Value != "changed" || e.Seq != 16 {
			t.Errorf("the changed pair: %+v, want key000=changed at Seq 16", e)
		}
		// Room again after a delete.
		setKV(t, n, extBody(key, 2, []kv{{Key: "key001"}}))
		if res := setKV(t, n, extBody(key, 1, []kv{{Key: "key300", Value: "x"}})); res.ExtensionList[0].ErrorCode != 0 {
			t.Errorf("a new pair after a delete: %+v, want accepted", res.ExtensionList)
		}
		all := getKV(t, n, key, 17)
		if got := pairs(all.ExtensionList); got != "key300=x@18" || all.LatestSeq != 18 {
			t.Errorf("pairs from Seq 17: [%s] LatestSeq %d, want [key300=x@18] 18", got, all.LatestSeq)
		}
	})
}

// TestKeyValuesRateLimit: more than 200 changes to one message's extensions
// in a minute are refused with 23003, until the next minute.
func TestKeyValuesRateLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		clock := clockAt(t0 - t0%60) // the start of a minute
		n := startOn(t, sqlite, parleytest.Options{Clock: clock})
		n.ImportAccounts(t, "alice", "bob")
		key := sendText(t, n, "alice", "bob", 1, "busy", `,"SupportMessageExtension":1`)
		other := sendText(t, n, "alice", "bob", 2, "quiet", `,"SupportMessageExtension":1`)
		body := extBody(key, 1, []kv{{Key: "counter", Value: "x"}})
		for range 200 {
			setKV(t, n, body)
		}
		timCode(t, n, "openim_msg_ext_http_svc/set_key_values", body, 23003)
		// Reads and other messages are not limited.
		if a := getKV(t, n, key, 0); a.LatestSeq != 200 {
			t.Errorf("LatestSeq after 200 sets: %d, want 200 (the refused one changed nothing)", a.LatestSeq)
		}
		setKV(t, n, extBody(other, 1, []kv{{Key: "k", Value: "v"}}))
		clock.Advance(time.Minute)
		setKV(t, n, body)
	})
}
