package tim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyim/parley/internal/parleytest"
)

// v4/openim/c2c_msg_read_receipt (reference §3.2, Java SDK shape): the
// reader (Operator_Account) acknowledges messages the peer sent asking for
// a read receipt.

// receiptBody is a read receipt by reader for messages from→to with keys.
func receiptBody(reader, peer, from, to string, keys ...string) string {
	items := make([]string, len(keys))
	for i, k := range keys {
		items[i] = fmt.Sprintf(`{"From_Account":%q,"To_Account":%q,"MsgKey":%q}`, from, to, k)
	}
	return fmt.Sprintf(`{"Operator_Account":%q,"Peer_Account":%q,"C2CMsgInfo":[%s]}`, reader, peer, strings.Join(items, ","))
}

func TestC2CMsgReadReceipt(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		asked := sendText(t, n, "alice", "bob", 1, "tell me", `,"IsNeedReadReceipt":1`)
		asked2 := sendText(t, n, "alice", "bob", 2, "tell me too", `,"IsNeedReadReceipt":1`)
		plain := sendText(t, n, "alice", "bob", 3, "plain", "")
		wantPeerRead(t, n, "alice", "bob", map[string]int{asked: 0, asked2: 0, plain: 0})

		timCode(t, n, "openim/c2c_msg_read_receipt", receiptBody("bob", "alice", "alice", "bob", asked), 0)
		wantPeerRead(t, n, "alice", "bob", map[string]int{asked: 1, asked2: 0, plain: 0})
		// A receipt is not a read report: bob's unread count stays.
		wantUnread(t, n, "bob", "alice", 3, 3)
		// Again is fine.
		timCode(t, n, "openim/c2c_msg_read_receipt", receiptBody("bob", "alice", "alice", "bob", asked), 0)
		// Current behaviour (the reference is silent): a call in which at
		// least one receipt is recorded succeeds, whatever the others.
		timCode(t, n, "openim/c2c_msg_read_receipt", receiptBody("bob", "alice", "alice", "bob", plain, asked2), 0)
		wantPeerRead(t, n, "alice", "bob", map[string]int{asked: 1, asked2: 1, plain: 0})
	})
}

func TestC2CMsgReadReceiptErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob", "carol")
		asked := sendText(t, n, "alice", "bob", 1, "tell me", `,"IsNeedReadReceipt":1`)
		plain := sendText(t, n, "alice", "bob", 2, "plain", "")
		var many []string
		for range 31 {
			many = append(many, asked)
		}
		tests := []struct {
			name, body string
			want       int
		}{
			{"message without IsNeedReadReceipt", receiptBody("bob", "alice", "alice", "bob", plain), 20001},
			{"From and To of C2CMsgInfo swapped", receiptBody("bob", "alice", "bob", "alice", asked), 20001},
			{"C2CMsgInfo from a third user", receiptBody("bob", "alice", "carol", "bob", asked), 20001},
			{"the sender acknowledging", receiptBody("alice", "bob", "alice", "bob", asked), 20001},
			{"unknown message", receiptBody("bob", "alice", "alice", "bob", "1_2_3"), 20022},
			{"malformed key", receiptBody("bob", "alice", "alice", "bob", "1_2"), 90054},
			{"more than 30 messages", receiptBody("bob", "alice", "alice", "bob", many...), 90011},
			{"Operator_Account not imported", receiptBody("ghost", "alice", "alice", "ghost", asked), 90008},
			{"Peer_Account not imported", receiptBody("bob", "ghost", "ghost", "bob", asked), 90003},
			{"Operator_Account missing", `{"Peer_Account":"alice","C2CMsgInfo":[{"From_Account":"alice","To_Account":"bob","MsgKey":"1_1_1"}]}`, 90008},
			{"Peer_Account missing", `{"Operator_Account":"bob","C2CMsgInfo":[{"From_Account":"alice","To_Account":"bob","MsgKey":"1_1_1"}]}`, 90003},
			{"C2CMsgInfo missing", `{"Operator_Account":"bob","Peer_Account":"alice"}`, 20001},
			{"C2CMsgInfo empty", `{"Operator_Account":"bob","Peer_Account":"alice","C2CMsgInfo":[]}`, 20001},
			{"JSON syntax error", `{"Operator_Account":"bob"`, 90001},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				timCode(t, n, "openim/c2c_msg_read_receipt", tt.body, tt.want)
			})
		}
		wantPeerRead(t, n, "alice", "bob", map[string]int{asked: 0, plain: 0})
	})
}
