package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// Helpers shared by the gateway's integration tests (next, none and sendREST
// are in gateway_test.go).

// msgRandom gives each REST send of a test run its own MsgRandom.
var msgRandom atomic.Uint32

// sent is the answer of openim/sendmsg.
type sent struct {
	MsgKey  string `json:"MsgKey"`
	MsgTime int64  `json:"MsgTime"`
}

// sendText sends a text message over REST with extra members (`"K":V,…`,
// or "") and returns its key and time.
func sendText(t *testing.T, n *parleytest.Node, from, to, txt, extra string) sent {
	t.Helper()
	if extra != "" {
		extra = "," + extra
	}
	r := n.MustTIM(t, "openim/sendmsg", fmt.Sprintf(`{"From_Account":%q,"To_Account":%q,"MsgRandom":%d%s,
		"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":%q}}]}`, from, to, msgRandom.Add(1), extra, txt))
	var s sent
	r.Decode(t, &s)
	if s.MsgKey == "" {
		t.Fatalf("sendmsg %s→%s: no MsgKey in %s", from, to, r.Raw)
	}
	return s
}

// textOf returns the text of a message event's first TIMTextElem.
func textOf(ev protocol.Event) string {
	if ev.Message == nil {
		return ""
	}
	var body []struct {
		MsgType    string
		MsgContent struct{ Text string }
	}
	if json.Unmarshal(ev.Message.Body, &body) != nil {
		return ""
	}
	for _, e := range body {
		if e.MsgType == "TIMTextElem" {
			return e.MsgContent.Text
		}
	}
	return ""
}

// textBody is a MsgBody of one text element.
func textBody(txt string) json.RawMessage {
	b, _ := json.Marshal([]map[string]any{{"MsgType": "TIMTextElem", "MsgContent": map[string]string{"Text": txt}}})
	return b
}

// nextOf returns the next event of c, which must be of kind.
func nextOf(t *testing.T, c *client.Conn, kind string) protocol.Event {
	t.Helper()
	ev := next(t, c)
	if ev.Kind != kind {
		t.Fatalf("event kind %q (%+v), want %q", ev.Kind, ev, kind)
	}
	return ev
}

// nextText returns the next event of c, which must be a c2c message with txt.
func nextText(t *testing.T, c *client.Conn, txt string) protocol.Event {
	t.Helper()
	ev := nextOf(t, c, protocol.KindC2C)
	if got := textOf(ev); got != txt {
		t.Fatalf("message text %q, want %q (event %+v)", got, txt, ev)
	}
	return ev
}

// closed waits for c to end and returns the close code the server sent
// (1006 when the connection ended without a close frame), discarding events.
func closed(t *testing.T, c *client.Conn) int {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-c.Events():
			if ok {
				continue
			}
			<-c.Done()
			var ce *client.CloseError
			if errors.As(c.Err(), &ce) {
				return ce.Code
			}
			t.Fatalf("connection ended with %v, want a close code", c.Err())
		case <-timeout:
			t.Fatalf("connection still open after 10s")
		}
	}
}

// eventually polls cond until it holds or 5s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ctx returns a context for one request.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// u64 returns a pointer to v (SyncFrom).
func u64(v uint64) *uint64 { return &v }

// roamKeys returns the keys of owner's history with peer in history order
// (oldest first) as REST admin_getroammsg pages it: each page lists its
// messages oldest first, and pages go from the newest to older ones.
func roamKeys(t *testing.T, n *parleytest.Node, owner, peer string) []string {
	t.Helper()
	var keys []string
	last := ""
	for {
		r := n.MustTIM(t, "openim/admin_getroammsg", fmt.Sprintf(`{"Operator_Account":%q,"Peer_Account":%q,
			"MaxCnt":100,"MinTime":0,"MaxTime":%d,"LastMsgKey":%q}`, owner, peer, time.Now().Unix()+3600, last))
		var page struct {
			Complete   int
			LastMsgKey string
			MsgList    []struct{ MsgKey string }
		}
		r.Decode(t, &page)
		older := make([]string, 0, len(page.MsgList)+len(keys))
		for _, m := range page.MsgList {
			older = append(older, m.MsgKey)
		}
		keys = append(older, keys...)
		if page.Complete == 1 || len(page.MsgList) == 0 {
			return keys
		}
		last = page.LastMsgKey
	}
}
