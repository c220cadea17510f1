package tim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/parleytest"
)

// v4/openim/get_c2c_unread_msg_num (reference §3.2) and the rules that
// decide what counts as unread.

func TestGetC2CUnreadMsgNum(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		users := []string{"alice", "bob", "carol", "dave"}
		for i := range 8 {
			users = append(users, fmt.Sprintf("peer%d", i))
		}
		n.ImportAccounts(t, users...)
		sendText(t, n, "alice", "bob", 1, "a1", "")
		sendText(t, n, "alice", "bob", 2, "a2", "")
		sendText(t, n, "carol", "bob", 3, "c1", "")
		sendText(t, n, "bob", "alice", 4, "b1", "")

		type item = peerNum
		tests := []struct {
			name  string
			body  string
			total *int   // AllC2CUnreadMsgNum, nil: absent
			list  []item // C2CUnreadMsgNumList, nil: absent
			errs  []item // ErrorList (peer, code), nil: absent
		}{
			{name: "total", body: `{"To_Account":"bob"}`, total: ptr(3)},
			{name: "total of the sender", body: `{"To_Account":"alice"}`, total: ptr(1)},
			{name: "total without conversations", body: `{"To_Account":"dave"}`, total: ptr(0)},
			{name: "empty Peer_Account is the total", body: `{"To_Account":"bob","Peer_Account":[]}`, total: ptr(3)},
			{name: "per peer", body: `{"To_Account":"bob","Peer_Account":["alice","carol","dave"]}`,
				list: []item{{"alice", 2}, {"carol", 1}, {"dave", 0}}},
			{name: "unknown peers", body: `{"To_Account":"bob","Peer_Account":["ghost","alice","","x"]}`,
				list: []item{{"alice", 2}}, errs: []item{{"ghost", 70107}, {"", 70107}, {"x", 70107}}},
			// The reference is silent; currently an empty list is left out.
			// Asked for per-peer counts, the list is present even when empty.
			{name: "only unknown peers", body: `{"To_Account":"bob","Peer_Account":["ghost"]}`,
				list: []item{}, errs: []item{{"ghost", 70107}}},
			{name: "ten peers", body: peerList("bob", append([]string{"alice", "carol"}, users[4:12]...)),
				list: append([]item{{"alice", 2}, {"carol", 1}}, zeroItems(users[4:12])...)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var a unreadAnswer
				timCode(t, n, "openim/get_c2c_unread_msg_num", tt.body, 0).Decode(t, &a)
				switch {
				case tt.total == nil && a.AllC2CUnreadMsgNum != nil:
					t.Errorf("%s: AllC2CUnreadMsgNum %d, want it absent", tt.body, *a.AllC2CUnreadMsgNum)
				case tt.total != nil && (a.AllC2CUnreadMsgNum == nil || *a.AllC2CUnreadMsgNum != *tt.total):
					t.Errorf("%s: AllC2CUnreadMsgNum %v, want %d", tt.body, a.AllC2CUnreadMsgNum, *tt.total)
				}
				var list, errs []item
				if a.C2CUnreadMsgNumList != nil {
					list = []item{}
					for _, it := range *a.C2CUnreadMsgNumList {
						list = append(list, item{it.Peer_Account, it.C2CUnreadMsgNum})
					}
				}
				if a.ErrorList != nil {
					for _, it := range *a.ErrorList {
						errs = append(errs, item{it.Peer_Account, it.ErrorCode})
					}
				}
				if !slices.Equal(list, tt.list) || (list == nil) != (tt.list == nil) {
					t.Errorf("%s: C2CUnreadMsgNumList %v, want %v", tt.body, list, tt.list)
				}
				if !slices.Equal(errs, tt.errs) {
					t.Errorf("%s: ErrorList %v, want %v", tt.body, errs, tt.errs)
				}
			})
		}
	})
}

func ptr[T any](v T) *T { return &v }

func peerList(user string, peers []string) string {
	return fmt.Sprintf(`{"To_Account":%q,"Peer_Account":["%s"]}`, user, strings.Join(peers, `","`))
}

// peerNum is a peer with a count or an error code.
type peerNum struct {
	peer string
	num  int
}

func zeroItems(peers []string) []peerNum {
	out := make([]peerNum, len(peers))
	for i, p := range peers {
		out[i].peer = p
	}
	return out
}

func TestGetC2CUnreadMsgNumErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "bob")
		eleven := make([]string, 11)
		for i := range eleven {
			eleven[i] = fmt.Sprintf("p%d", i)
		}
		tests := []struct {
			name, body string
			want       int
		}{
			{"more than 10 peers", peerList("bob", eleven), 90011},
			{"To_Account not imported", `{"To_Account":"ghost"}`, 90003},
			{"To_Account empty", `{"To_Account":""}`, 90003},
			{"To_Account missing", `{"Peer_Account":["bob"]}`, 90003},
			{"To_Account a number", `{"To_Account":7}`, 90003},
			// The reference is silent; the current answer is 90001.
			{"Peer_Account not an array", `{"To_Account":"bob","Peer_Account":"alice"}`, 90001},
			{"JSON syntax error", `{"To_Account":"bob"`, 90001},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				timCode(t, n, "openim/get_c2c_unread_msg_num", tt.body, tt.want)
			})
		}
	})
}

// TestUnreadCountingRules checks, one sender per rule, what bob's unread
// count with that sender is after the sender's messages.
func TestUnreadCountingRules(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		// Imported messages are recent (the clock is at t0) and, unless
		// said otherwise, after bob's last read time of the conversation.
		importAt := func(mode, from string, random int, ts int64) {
			timCode(t, n, "openim/importmsg", importBody(mode, from, "bob", random, random, ts, "imported"), 0)
		}
		rules := []struct {
			sender string
			do     func(from string)
			want   int
		}{
			{"plain", func(from string) {
				sendText(t, n, from, "bob", 1, "one", "")
				sendText(t, n, from, "bob", 2, "two", "")
			}, 2},
			{"nounread", func(from string) {
				sendText(t, n, from, "bob", 1, "quiet", `,"SendMsgControl":["NoUnread"]`)
			}, 0},
			{"nolastmsg", func(from string) {
				sendText(t, n, from, "bob", 1, "counted", `,"SendMsgControl":["NoLastMsg"]`)
			}, 1},
			{"onlineonly", func(from string) {
				send(t, n, sendFrom(from, "bob", 1, textBody("typing"), `,"OnlineOnlyFlag":1`))
			}, 0},
			{"lifetime0", func(from string) {
				send(t, n, sendFrom(from, "bob", 1, textBody("now or never"), `,"MsgLifeTime":0`))
			}, 0},
			{"sync2", func(from string) { // not kept by the sender: the receiver counts it
				sendText(t, n, from, "bob", 1, "hi", `,"SyncOtherMachine":2`)
			}, 1},
			{"sync3", func(from string) { // not kept by the receiver
				sendText(t, n, from, "bob", 1, "hi", `,"SyncOtherMachine":3`)
			}, 0},
			{"import2", func(from string) { importAt("2", from, 1, t0-60) }, 0},
			{"import1", func(from string) { importAt("1", from, 1, t0-60) }, 1},
			{"import5", func(from string) { importAt("5", from, 1, t0-60) }, 1},
			{"importafterread", func(from string) {
				setRead(t, n, "bob", from, `,"MsgReadTime":`+itoa(t0-120))
				importAt("1", from, 1, t0-60)
				importAt("5", from, 2, t0-59)
			}, 2},
			{"importbeforeread", func(from string) {
				setRead(t, n, "bob", from, `,"MsgReadTime":`+itoa(t0-120))
				importAt("1", from, 1, t0-180)
			}, 0},
			{"batch", func(from string) {
				n.MustTIM(t, "openim/batchsendmsg", batchBody(from, []string{"bob", "carol", "bob"}, 1, ""))
			}, 1},
			{"batchnounread", func(from string) {
				n.MustTIM(t, "openim/batchsendmsg", batchBody(from, []string{"bob", "carol"}, 1, `,"SendMsgControl":["NoUnread"]`))
			}, 0},
			{"batchlifetime0", func(from string) {
				n.MustTIM(t, "openim/batchsendmsg", batchBody(from, []string{"bob", "carol"}, 1, `,"MsgLifeTime":0`))
			}, 0},
			{"recalled", func(from string) {
				key := sendText(t, n, from, "bob", 1, "oops", "")
				sendText(t, n, from, "bob", 2, "stays", "")
				recall(t, n, from, "bob", key, 0)
			}, 1},
			{"deletedbybob", func(from string) {
				key := sendText(t, n, from, "bob", 1, "gone", "")
				sendText(t, n, from, "bob", 2, "stays", "")
				deleteRamble(t, n, "bob", from, key)
			}, 1},
			{"deletedbysender", func(from string) {
				key := sendText(t, n, from, "bob", 1, "still unread", "")
				deleteRamble(t, n, from, "bob", key)
			}, 1},
			{"readthensent", func(from string) {
				sendText(t, n, from, "bob", 1, "read", at(t0-10))
				setRead(t, n, "bob", from, "")
				sendText(t, n, from, "bob", 2, "after", at(t0+1))
			}, 1},
		}
		senders := []string{"bob", "carol"}
		for _, r := range rules {
			senders = append(senders, r.sender)
		}
		n.ImportAccounts(t, senders...)
		total := 0
		for _, r := range rules {
			r.do(r.sender)
			total += r.want
		}
		for _, r := range rules {
			if got := unreadWith(t, n, "bob", r.sender); got != r.want {
				t.Errorf("rule %s: bob's unread with %s is %d, want %d", r.sender, r.sender, got, r.want)
			}
		}
		if got := unreadTotal(t, n, "bob"); got != total {
			t.Errorf("bob's total unread: %d, want %d (the sum of the rules)", got, total)
		}
		// A batch counts for each receiver; senders count nothing.
		if got := unreadTotal(t, n, "carol"); got != 1 {
			t.Errorf("carol's total unread after the batches: %d, want 1", got)
		}
		if got := unreadTotal(t, n, "plain"); got != 0 {
			t.Errorf("the sender's total unread: %d, want 0", got)
		}
	})
}

// deleteRamble deletes messages from operator's history and checks it worked.
func deleteRamble(t testing.TB, n *parleytest.Node, operator, peer string, keys ...string) {
	t.Helper()
	body := fmt.Sprintf(`{"Operator_Account":%q,"Peer_Account":%q,"MsgKeyList":["%s"]}`, operator, peer, strings.Join(keys, `","`))
	timCode(t, n, "openim/delete_c2c_msg_ramble", body, 0)
}

// TestRetentionDropsUnread checks that the retention purge deletes old
// messages and takes the purged unread ones out of the counts, and nothing
// more: purged messages that were read, recalled or deleted had already
// stopped counting.
func TestRetentionDropsUnread(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		clock := clockAt(t0)
		n := startOn(t, sqlite, parleytest.Options{Clock: clock, RoamingDays: 1})
		n.ImportAccounts(t, "alice", "bob", "carol")
		old := sendText(t, n, "alice", "bob", 1, "old 1", "")
		sendText(t, n, "alice", "bob", 2, "old 2", "")
		recall(t, n, "alice", "bob", sendText(t, n, "alice", "bob", 3, "old recalled", ""), 0)
		deleteRamble(t, n, "bob", "alice", sendText(t, n, "alice", "bob", 4, "old deleted", ""))
		sendText(t, n, "carol", "bob", 5, "old read", "")
		setRead(t, n, "bob", "carol", "")
		clock.Advance(time.Second) // read times are whole seconds
		sendText(t, n, "carol", "bob", 6, "old unread", "")
		n.PurgeNow(t) // nothing is old yet
		wantUnread(t, n, "bob", "alice", 2, 3)

		clock.Advance(2 * 24 * time.Hour)
		fresh := sendText(t, n, "alice", "bob", 7, "fresh", "")
		freshCarol := sendText(t, n, "carol", "bob", 8, "fresh", "")
		wantUnread(t, n, "bob", "alice", 3, 5)
		n.PurgeNow(t)
		wantUnread(t, n, "bob", "alice", 1, 2)
		wantUnread(t, n, "bob", "carol", 1, 2)
		for _, c := range []struct{ owner, peer, want string }{
			{"bob", "alice", fresh}, {"alice", "bob", fresh}, {"bob", "carol", freshCarol}, {"carol", "bob", freshCarol},
		} {
			if got := keys(historyOf(t, n, c.owner, c.peer)); !slices.Equal(got, []string{c.want}) {
				t.Errorf("%s's history with %s after the purge: %q, want only %s", c.owner, c.peer, got, c.want)
			}
		}
		// History hides old messages even before a purge; a recall shows
		// that the purged message is gone from the store.
		recall(t, n, "alice", "bob", old, 20022)
		// A second purge changes nothing.
		n.PurgeNow(t)
		wantUnread(t, n, "bob", "alice", 1, 2)
	})
}
