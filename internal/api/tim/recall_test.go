package tim_test

import (
	"testing"

	"github.com/parleyim/parley/internal/parleytest"
)

// v4/openim/admin_msgwithdraw (reference §3.2).

func TestAdminMsgWithdraw(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		secret := sendText(t, n, "alice", "bob", 1, "secret", at(t0-20))
		kept := sendText(t, n, "alice", "bob", 2, "kept", at(t0-10))
		reply := sendText(t, n, "bob", "alice", 3, "reply", at(t0-5))

		recall(t, n, "alice", "bob", secret, 0)
		recall(t, n, "bob", "alice", reply, 0)
		// The recalled messages stay in both histories, flagged 8.
		for _, side := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
			h := historyOf(t, n, side[0], side[1])
			if len(h) != 3 {
				t.Fatalf("%s's history after the recalls: %q, want all three messages", side[0], keys(h))
			}
			for key, want := range map[string]int{secret: 8, kept: 0, reply: 8} {
				if got := findMsg(t, h, key).MsgFlagBits; got != want {
					t.Errorf("%s's history: %s has MsgFlagBits %d, want %d", side[0], key, got, want)
				}
			}
		}
		// Irreversible: a second recall is refused.
		recall(t, n, "alice", "bob", secret, 20023)
		recall(t, n, "alice", "bob", kept, 0)
		recall(t, n, "alice", "bob", kept, 20023)
	})
}

func TestAdminMsgWithdrawErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob", "carol")
		key := sendText(t, n, "alice", "bob", 1, "hi", "")
		tests := []struct {
			name, body string
			want       int
		}{
			{"unknown key", msgRef("alice", "bob", "1_2_3", ""), 20022},
			{"From and To swapped", msgRef("bob", "alice", key, ""), 20022},
			{"another conversation", msgRef("alice", "carol", key, ""), 20022},
			{"sender not imported", msgRef("ghost", "bob", key, ""), 20022},
			{"two parts", msgRef("alice", "bob", "1_2", ""), 90054},
			{"letters", msgRef("alice", "bob", "a_b_c", ""), 90054},
			{"empty key", msgRef("alice", "bob", "", ""), 90054},
			{"Seq over uint32", msgRef("alice", "bob", "4294967296_1_1", ""), 90054},
			{"MsgKey missing", `{"From_Account":"alice","To_Account":"bob"}`, 90054},
			{"MsgKey a number", `{"From_Account":"alice","To_Account":"bob","MsgKey":1}`, 90054},
			{"From_Account missing", `{"To_Account":"bob","MsgKey":"` + key + `"}`, 90008},
			{"From_Account a number", `{"From_Account":1,"To_Account":"bob","MsgKey":"` + key + `"}`, 90008},
			{"From_Account empty", msgRef("", "bob", key, ""), 90008},
			{"To_Account missing", `{"From_Account":"alice","MsgKey":"` + key + `"}`, 90003},
			{"To_Account empty", msgRef("alice", "", key, ""), 90003},
			{"JSON syntax error", `{"From_Account":"alice",`, 90001},
			{"not an object", `["alice","bob"]`, 90001},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				timCode(t, n, "openim/admin_msgwithdraw", tt.body, tt.want)
			})
		}
		// None of the refusals recalled anything.
		if h := historyOf(t, n, "bob", "alice"); len(h) != 1 || h[0].MsgFlagBits != 0 {
			t.Errorf("bob's history after the refused recalls: %+v, want the message unrecalled", h)
		}
	})
}

func TestRecallThenUnread(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		read := sendText(t, n, "alice", "bob", 1, "read", at(t0-30))
		setRead(t, n, "bob", "alice", `,"MsgReadTime":`+itoa(t0-30))
		unread1 := sendText(t, n, "alice", "bob", 2, "unread 1", at(t0-20))
		unread2 := sendText(t, n, "alice", "bob", 3, "unread 2", at(t0-10))
		quiet := sendText(t, n, "alice", "bob", 4, "no unread", at(t0-5)+`,"SendMsgControl":["NoUnread"]`)
		own := sendText(t, n, "bob", "alice", 5, "bob's own", at(t0-5))
		wantUnread(t, n, "bob", "alice", 2, 2)

		// A recalled read message changes nothing.
		recall(t, n, "alice", "bob", read, 0)
		wantUnread(t, n, "bob", "alice", 2, 2)
		// A recalled unread message stops counting.
		recall(t, n, "alice", "bob", unread1, 0)
		wantUnread(t, n, "bob", "alice", 1, 1)
		// Neither a message that never counted nor one bob sent moves
		// bob's count; bob's recalled message leaves alice's.
		wantUnread(t, n, "alice", "bob", 1, 1)
		recall(t, n, "alice", "bob", quiet, 0)
		recall(t, n, "bob", "alice", own, 0)
		wantUnread(t, n, "bob", "alice", 1, 1)
		wantUnread(t, n, "alice", "bob", 0, 0)
		// Once everything is read, a recall cannot go below zero.
		setRead(t, n, "bob", "alice", "")
		recall(t, n, "alice", "bob", unread2, 0)
		wantUnread(t, n, "bob", "alice", 0, 0)
	})
}
