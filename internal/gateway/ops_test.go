package gateway_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// Requests over the socket answer what the REST API answers.

func TestOpsMatchREST(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob", "carol", "dave")
	bob := n.Dial(t, "bob")
	for i := range 25 {
		sendText(t, n, "alice", "bob", fmt.Sprint("a", i), fmt.Sprintf(`"MsgSeq":%d`, i+1))
	}
	for i := range 3 {
		sendText(t, n, "carol", "bob", fmt.Sprint("c", i), "")
	}
	for i := range 2 {
		if _, err := bob.SendText(ctx(t), "alice", fmt.Sprint("b", i)); err != nil {
			t.Fatal(err)
		}
	}
	sendText(t, n, "bob", "dave", "to dave", "")

	t.Run("history", func(t *testing.T) {
		want := roamKeys(t, n, "bob", "alice") // oldest first
		if len(want) != 27 {
			t.Fatalf("REST history has %d messages, want 27", len(want))
		}
		var got []string
		req := protocol.History{Peer: "alice", Limit: 10}
		for {
			page, err := bob.History(ctx(t), req)
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			for _, m := range page.Messages {
				got = append(got, m.Key)
			}
			if !page.More {
				break
			}
			req.BeforeKey = page.Messages[len(page.Messages)-1].Key
		}
		slices.Reverse(got)
		if !slices.Equal(got, want) {
			t.Errorf("socket history\n%v\nREST history\n%v", got, want)
		}
		page, err := bob.History(ctx(t), protocol.History{Peer: "alice", Limit: 1000})
		if err != nil || len(page.Messages) != 27 || page.More {
			t.Errorf("History limit 1000: %d messages more=%v (%v), want 27, capped at 100 per page", len(page.Messages), page.More, err)
		}
		if _, err := bob.History(ctx(t), protocol.History{Peer: "nobody"}); !isCode(err, protocol.CodeNotFound) {
			t.Errorf("History with unknown peer: %v, want 404", err)
		}
		if _, err := bob.History(ctx(t), protocol.History{Peer: "alice", BeforeKey: "x"}); !isCode(err, protocol.CodeInvalid) {
			t.Errorf("History with bad before_key: %v, want 400", err)
		}
	})

	t.Run("conversations", func(t *testing.T) {
		var rest struct {
			SessionItem []struct {
				Type      int    `json:"Type"`
				ToAccount string `json:"To_Account"`
				MsgTime   int64  `json:"MsgTime"`
			}
			CompleteFlag int
		}
		n.MustTIM(t, "recentcontact/get_list", `{"From_Account":"bob","TimeStamp":0,"StartIndex":0,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":1}`).Decode(t, &rest)
		list, err := bob.Conversations(ctx(t), protocol.Conversations{PinnedFirst: true})
		if err != nil {
			t.Fatalf("Conversations: %v", err)
		}
		if len(list.Conversations) != 3 || len(rest.SessionItem) != 3 || !list.Complete || rest.CompleteFlag != 1 {
			t.Fatalf("socket %+v, REST %+v: want 3 conversations each, complete", list, rest)
		}
		for i, c := range list.Conversations {
			r := rest.SessionItem[i]
			if c.Type != r.Type || c.Peer != r.ToAccount || c.LastTime != r.MsgTime {
				t.Errorf("conversation %d: socket %+v, REST %+v", i, c, r)
			}
		}
	})

	unreadREST := func(t *testing.T, peers string) (total int, per map[string]int) {
		var r struct {
			AllC2CUnreadMsgNum  int
			C2CUnreadMsgNumList []struct {
				PeerAccount     string `json:"Peer_Account"`
				C2CUnreadMsgNum int
			}
		}
		body := `{"To_Account":"bob"}`
		if peers != "" {
			body = `{"To_Account":"bob","Peer_Account":[` + peers + `]}`
		}
		n.MustTIM(t, "openim/get_c2c_unread_msg_num", body).Decode(t, &r)
		per = map[string]int{}
		for _, p := range r.C2CUnreadMsgNumList {
			per[p.PeerAccount] = p.C2CUnreadMsgNum
		}
		return r.AllC2CUnreadMsgNum, per
	}

	t.Run("unread and read", func(t *testing.T) {
		u, err := bob.Unread(ctx(t))
		total, _ := unreadREST(t, "")
		if err != nil || u.Total != 28 || total != 28 {
			t.Errorf("Unread total: socket %+v (%v), REST %d; want 28", u, err, total)
		}
		u, err = bob.Unread(ctx(t), "alice", "carol", "dave")
		_, per := unreadREST(t, `"alice","carol","dave"`)
		want := map[string]int{"alice": 25, "carol": 3, "dave": 0}
		for p, w := range want {
			if u.Peers[p] != w || per[p] != w {
				t.Errorf("unread with %s: socket %d, REST %d, want %d", p, u.Peers[p], per[p], w)
			}
		}
		if err != nil || u.Total != 28 {
			t.Errorf("Unread per peer: total %d (%v), want 28", u.Total, err)
		}
		if _, err := bob.Unread(ctx(t), "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"); !isCode(err, protocol.CodeTooLarge) {
			t.Errorf("Unread with 11 peers: %v, want 413", err)
		}

		left, err := bob.Read(ctx(t), "carol", 0)
		if err != nil || left != 0 {
			t.Errorf("Read carol = %d, %v; want 0", left, err)
		}
		u, _ = bob.Unread(ctx(t))
		total, _ = unreadREST(t, "")
		if u.Total != 25 || total != 25 {
			t.Errorf("after reading carol: socket %d, REST %d, want 25", u.Total, total)
		}
		if _, err := bob.Read(ctx(t), "nobody", 0); !isCode(err, protocol.CodeNotFound) {
			t.Errorf("Read with unknown peer: %v, want 404", err)
		}
	})
}
