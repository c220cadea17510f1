package tim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/parleytest"
)

// v4/openim/admin_set_msg_read (reference §3.2): everything up to
// MsgReadTime becomes read for the reporter, and the peer's history shows
// those messages with IsPeerRead 1.

// wantPeerRead checks IsPeerRead of each key in owner's history with peer.
func wantPeerRead(t testing.TB, n *parleytest.Node, owner, peer string, want map[string]int) {
	t.Helper()
	h := historyOf(t, n, owner, peer)
	for key, w := range want {
		if got := findMsg(t, h, key).IsPeerRead; got != w {
			t.Errorf("%s's history: %s has IsPeerRead %d, want %d", owner, key, got, w)
		}
	}
}

func TestAdminSetMsgRead(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		clock := clockAt(t0)
		n := startOn(t, sqlite, parleytest.Options{Clock: clock})
		n.ImportAccounts(t, "alice", "bob")
		m1 := sendText(t, n, "alice", "bob", 1, "m1", at(t0-30))
		m2 := sendText(t, n, "alice", "bob", 2, "m2", at(t0-20))
		m3 := sendText(t, n, "alice", "bob", 3, "m3", at(t0-10))
		mine := sendText(t, n, "bob", "alice", 4, "bob's", at(t0-25))
		wantUnread(t, n, "bob", "alice", 3, 3)
		wantPeerRead(t, n, "alice", "bob", map[string]int{m1: 0, m2: 0, m3: 0, mine: 0})

		// MsgReadTime as the Integer SDKs send: up to and including m2.
		setRead(t, n, "bob", "alice", `,"MsgReadTime":`+itoa(t0-20))
		wantUnread(t, n, "bob", "alice", 1, 1)
		wantPeerRead(t, n, "alice", "bob", map[string]int{m1: 1, m2: 1, m3: 0, mine: 0})

		// An earlier time does not make anything unread again.
		setRead(t, n, "bob", "alice", `,"MsgReadTime":`+itoa(t0-100))
		wantUnread(t, n, "bob", "alice", 1, 1)
		wantPeerRead(t, n, "alice", "bob", map[string]int{m2: 1, m3: 0})

		// MsgReadTime as the String the reference documents.
		setRead(t, n, "bob", "alice", fmt.Sprintf(`,"MsgReadTime":"%d"`, t0-10))
		wantUnread(t, n, "bob", "alice", 0, 0)
		wantPeerRead(t, n, "alice", "bob", map[string]int{m3: 1, mine: 0})

		// Absent means now; so does null.
		m4 := sendText(t, n, "alice", "bob", 5, "m4", "")
		m5 := sendText(t, n, "alice", "bob", 6, "m5", "")
		wantUnread(t, n, "bob", "alice", 2, 2)
		setRead(t, n, "bob", "alice", "")
		wantUnread(t, n, "bob", "alice", 0, 0)
		m6 := sendText(t, n, "alice", "bob", 7, "m6", "")
		setRead(t, n, "bob", "alice", `,"MsgReadTime":null`)
		wantUnread(t, n, "bob", "alice", 0, 0)
		wantPeerRead(t, n, "alice", "bob", map[string]int{m4: 1, m5: 1, m6: 1})

		// A time in the future is now: what comes later is unread.
		setRead(t, n, "bob", "alice", `,"MsgReadTime":`+itoa(t0+3600))
		clock.Advance(10 * time.Second)
		later := sendText(t, n, "alice", "bob", 8, "later", "")
		wantUnread(t, n, "bob", "alice", 1, 1)
		wantPeerRead(t, n, "alice", "bob", map[string]int{later: 0})

		// Reading is one-sided: alice has not read bob's message.
		wantUnread(t, n, "alice", "bob", 1, 1)
		wantPeerRead(t, n, "bob", "alice", map[string]int{mine: 0})
		setRead(t, n, "alice", "bob", "")
		wantUnread(t, n, "alice", "bob", 0, 0)
		wantPeerRead(t, n, "bob", "alice", map[string]int{mine: 1, later: 0})
	})
}

func TestAdminSetMsgReadErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		sendText(t, n, "alice", "bob", 1, "hi", "")
		tests := []struct {
			name, body string
			want       int
		}{
			{"Report_Account not imported", `{"Report_Account":"ghost","Peer_Account":"alice"}`, 90008},
			{"Report_Account empty", `{"Report_Account":"","Peer_Account":"alice"}`, 90008},
			{"Report_Account missing", `{"Peer_Account":"alice"}`, 90008},
			{"Report_Account a number", `{"Report_Account":1,"Peer_Account":"alice"}`, 90008},
			{"Peer_Account not imported", `{"Report_Account":"bob","Peer_Account":"ghost"}`, 90003},
			{"Peer_Account missing", `{"Report_Account":"bob"}`, 90003},
			{"Peer_Account a number", `{"Report_Account":"bob","Peer_Account":2}`, 90003},
			// The reference is silent on a bad MsgReadTime; the current
			// answer is 20001 (invalid packet).
			{"MsgReadTime not a number", `{"Report_Account":"bob","Peer_Account":"alice","MsgReadTime":"soon"}`, 20001},
			{"MsgReadTime negative", `{"Report_Account":"bob","Peer_Account":"alice","MsgReadTime":-1}`, 20001},
			{"MsgReadTime fractional", `{"Report_Account":"bob","Peer_Account":"alice","MsgReadTime":1.5}`, 20001},
			{"MsgReadTime a boolean", `{"Report_Account":"bob","Peer_Account":"alice","MsgReadTime":true}`, 20001},
			{"JSON syntax error", `{"Report_Account":"bob",}`, 90001},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				timCode(t, n, "openim/admin_set_msg_read", tt.body, tt.want)
			})
		}
		wantUnread(t, n, "bob", "alice", 1, 1)
	})
}
