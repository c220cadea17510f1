package gateway_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// next returns the next event of c, failing after a deadline.
func next(t *testing.T, c *client.Conn) protocol.Event {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			t.Fatalf("connection closed: %v", c.Err())
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatalf("no event within 5s")
	}
	return protocol.Event{}
}

// none checks that c gets no event for a short while.
func none(t *testing.T, c *client.Conn) {
	t.Helper()
	select {
	case ev := <-c.Events():
		t.Errorf("unexpected event %+v", ev)
	case <-time.After(150 * time.Millisecond):
	}
}

func text(ev protocol.Event) string {
	if ev.Message == nil {
		return ""
	}
	return string(ev.Message.Body)
}

func sendREST(t *testing.T, n *parleytest.Node, from, to, txt string, extra string) {
	t.Helper()
	n.MustTIM(t, "openim/sendmsg", fmt.Sprintf(`{"From_Account":%q,"To_Account":%q,"MsgRandom":%d%s,
		"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":%q}}]}`, from, to, time.Now().UnixNano()&0xffffff, extra, txt))
}

func TestRESTSendReachesDevice(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	bob := n.Dial(t, "bob")
	sendREST(t, n, "alice", "bob", "hi", "")
	ev := next(t, bob)
	if ev.Kind != protocol.KindC2C || ev.Seq != 1 || ev.Message == nil || ev.Message.From != "alice" {
		t.Fatalf("event = %+v, want c2c #1 from alice", ev)
	}
	if ev.Conversation == nil || ev.Conversation.Unread != 1 || ev.Conversation.Peer != "alice" {
		t.Errorf("conversation = %+v, want unread 1 with alice", ev.Conversation)
	}
	ctx := context.Background()
	if _, err := bob.SendText(ctx, "alice", "hello back"); err != nil {
		t.Fatalf("device send: %v", err)
	}
}
