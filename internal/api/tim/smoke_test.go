package tim_test

import (
	"testing"

	"github.com/parleyim/parley/internal/parleytest"
)

func TestSmokeSendAndHistory(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	r := n.MustTIM(t, "openim/sendmsg", `{"From_Account":"alice","To_Account":"bob","MsgRandom":7,"MsgSeq":3,
		"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`)
	var sent struct {
		MsgKey  string
		MsgTime int64
	}
	r.Decode(t, &sent)
	if sent.MsgKey == "" {
		t.Fatalf("no MsgKey in %s", r.Raw)
	}
	h := n.MustTIM(t, "openim/admin_getroammsg", `{"Operator_Account":"bob","Peer_Account":"alice","MaxCnt":10,"MinTime":0,"MaxTime":4000000000}`)
	t.Logf("%s", h.Raw)
}
