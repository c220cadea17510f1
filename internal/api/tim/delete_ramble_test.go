package tim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parleyim/parley/internal/parleytest"
)

// v4/openim/delete_c2c_msg_ramble (reference §3.2): a one-sided delete.

// rambleBody is a delete_c2c_msg_ramble request.
func rambleBody(operator, peer string, keys []string) string {
	list := "[]"
	if len(keys) > 0 {
		list = `["` + strings.Join(keys, `","`) + `"]`
	}
	return fmt.Sprintf(`{"Operator_Account":%q,"Peer_Account":%q,"MsgKeyList":%s}`, operator, peer, list)
}

func TestDeleteC2CMsgRamble(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		a1 := sendText(t, n, "alice", "bob", 1, "a1", at(t0-50))
		b1 := sendText(t, n, "bob", "alice", 2, "b1", at(t0-40))
		a2 := sendText(t, n, "alice", "bob", 3, "a2", at(t0-30))
		b2 := sendText(t, n, "bob", "alice", 4, "b2", at(t0-20))
		a3 := sendText(t, n, "alice", "bob", 5, "a3", at(t0-10))
		all := []string{a1, b1, a2, b2, a3}
		wantHistories := func(step string, alice, bob []string) {
			t.Helper()
			if got := keys(historyOf(t, n, "alice", "bob")); !slices.Equal(got, alice) {
				t.Errorf("after %s, alice's history: %q, want %q", step, got, alice)
			}
			if got := keys(historyOf(t, n, "bob", "alice")); !slices.Equal(got, bob) {
				t.Errorf("after %s, bob's history: %q, want %q", step, got, bob)
			}
		}

		// alice deletes one message she sent and one she received; the
		// malformed keys are listed and do not stop the others.
		var a struct{ InvalidMsgKeyList []string }
		r := timCode(t, n, "openim/delete_c2c_msg_ramble", rambleBody("alice", "bob", []string{a1, "1_2", b1, "x_y_z"}), 0)
		r.Decode(t, &a)
		if want := []string{"1_2", "x_y_z"}; !slices.Equal(a.InvalidMsgKeyList, want) {
			t.Errorf("InvalidMsgKeyList %q, want %q", a.InvalidMsgKeyList, want)
		}
		wantHistories("alice's delete", []string{a2, b2, a3}, all)

		// bob deletes one he received; alice keeps it.
		r = timCode(t, n, "openim/delete_c2c_msg_ramble", rambleBody("bob", "alice", []string{a2}), 0)
		if strings.Contains(string(r.Raw), "InvalidMsgKeyList") {
			t.Errorf("answer without malformed keys: %s, want no InvalidMsgKeyList", r.Raw)
		}
		wantHistories("bob's delete", []string{a2, b2, a3}, []string{a1, b1, b2, a3})

		// Keys that name nothing, or what is already deleted, change nothing.
		timCode(t, n, "openim/delete_c2c_msg_ramble", rambleBody("bob", "alice", []string{"1_2_3", a2}), 0)
		wantHistories("deleting nothing", []string{a2, b2, a3}, []string{a1, b1, b2, a3})

		// Deleting everything from both sides leaves both histories empty.
		timCode(t, n, "openim/delete_c2c_msg_ramble", rambleBody("alice", "bob", all), 0)
		timCode(t, n, "openim/delete_c2c_msg_ramble", rambleBody("bob", "alice", all), 0)
		wantHistories("deleting everything", nil, nil)
	})
}

func TestDeleteC2CMsgRambleErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		var thirty []string
		for i := range 30 {
			thirty = append(thirty, sendText(t, n, "alice", "bob", 100+i, "m", ""))
		}
		thirtyOne := append(slices.Clone(thirty), "1_1_1")
		tests := []struct {
			name, body string
			want       int
		}{
			{"31 keys", rambleBody("alice", "bob", thirtyOne), 90011},
			{"Operator_Account not imported", rambleBody("ghost", "bob", thirty[:1]), 90008},
			{"Operator_Account missing", `{"Peer_Account":"bob","MsgKeyList":["1_1_1"]}`, 90008},
			{"Operator_Account a number", `{"Operator_Account":1,"Peer_Account":"bob","MsgKeyList":["1_1_1"]}`, 90008},
			{"Peer_Account missing", `{"Operator_Account":"alice","MsgKeyList":["1_1_1"]}`, 90003},
			{"Peer_Account empty", rambleBody("alice", "", []string{"1_1_1"}), 90003},
			// The reference lists no private codes here (unconfirmed); the
			// current answer for a missing or empty list is 20001.
			{"MsgKeyList missing", `{"Operator_Account":"alice","Peer_Account":"bob"}`, 20001},
			{"MsgKeyList empty", rambleBody("alice", "bob", nil), 20001},
			{"MsgKeyList not an array", `{"Operator_Account":"alice","Peer_Account":"bob","MsgKeyList":"1_1_1"}`, 20001},
			{"JSON syntax error", `{"Operator_Account":"alice"`, 90001},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				timCode(t, n, "openim/delete_c2c_msg_ramble", tt.body, tt.want)
			})
		}
		if got := historyOf(t, n, "alice", "bob"); len(got) != 30 {
			t.Fatalf("alice's history after the refusals: %d messages, want 30", len(got))
		}
		// Exactly 30 keys are accepted.
		timCode(t, n, "openim/delete_c2c_msg_ramble", rambleBody("alice", "bob", thirty), 0)
		if got := historyOf(t, n, "alice", "bob"); len(got) != 0 {
			t.Errorf("alice's history after deleting all 30: %q, want nothing", keys(got))
		}
		if got := historyOf(t, n, "bob", "alice"); len(got) != 30 {
			t.Errorf("bob's history after alice deleted all 30: %d messages, want 30", len(got))
		}
	})
}
