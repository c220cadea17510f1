package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// Sync: sync numbers, catch-up after a reconnect, the sync request.

func TestReconnectCatchesUpInOrder(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	bob := n.Dial(t, "bob")
	s1 := sendText(t, n, "alice", "bob", "m1", "")
	nextText(t, bob, "m1")
	bob.Close()
	last := bob.LastSeq()
	if last != 1 {
		t.Fatalf("LastSeq %d, want 1", last)
	}
	// While bob is away: two messages, a recall, a read report.
	sendText(t, n, "alice", "bob", "m2", "")
	sendText(t, n, "alice", "bob", "m3", "")
	n.MustTIM(t, "openim/admin_msgwithdraw", fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","MsgKey":%q}`, s1.MsgKey))
	n.MustTIM(t, "openim/admin_set_msg_read", `{"Report_Account":"bob","Peer_Account":"alice"}`)

	bob = n.Dial(t, "bob", parleytest.DialOptions{SyncFrom: &last})
	if bob.Head() != 5 {
		t.Errorf("Head %d, want 5", bob.Head())
	}
	want := []struct {
		kind, text string
	}{{protocol.KindC2C, "m2"}, {protocol.KindC2C, "m3"}, {protocol.KindC2CRecall, ""}, {protocol.KindRead, ""}}
	for i, w := range want {
		ev := nextOf(t, bob, w.kind)
		if ev.Seq != uint64(i+2) || textOf(ev) != w.text {
			t.Errorf("catch-up event %d: seq %d %s %q, want seq %d %s %q", i, ev.Seq, ev.Kind, textOf(ev), i+2, w.kind, w.text)
		}
	}
	select {
	case h := <-bob.Synced():
		if h != 5 {
			t.Errorf("synced head %d, want 5", h)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no synced frame after the catch-up")
	}
	sendText(t, n, "alice", "bob", "live", "")
	if ev := nextText(t, bob, "live"); ev.Seq != 6 {
		t.Errorf("live event seq %d, want 6", ev.Seq)
	}
	// A sync_from beyond the head (another store's) starts at the head.
	far := n.Dial(t, "bob", parleytest.DialOptions{SyncFrom: u64(1000), Platform: "Web"})
	<-far.Synced()
	none(t, far)
}

func TestSyncRequestPages(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	for i := range 250 {
		sendText(t, n, "alice", "bob", fmt.Sprint(i), "")
	}
	bob := n.Dial(t, "bob")
	res, err := bob.Sync(ctx(t), 0)
	if err != nil || len(res.Events) != 200 || !res.More || res.Head != 250 {
		t.Fatalf("Sync(0) = %d events more=%v head %d (%v), want 200, more, head 250", len(res.Events), res.More, res.Head, err)
	}
	for i, ev := range res.Events {
		if ev.Seq != uint64(i+1) || textOf(ev) != fmt.Sprint(i) || ev.Op != protocol.OpEvent {
			t.Fatalf("event %d: seq %d text %q", i, ev.Seq, textOf(ev))
		}
	}
	res, err = bob.Sync(ctx(t), 200)
	if err != nil || len(res.Events) != 50 || res.More || res.Events[0].Seq != 201 {
		t.Fatalf("Sync(200) = %d events more=%v (%v), want 50 from 201", len(res.Events), res.More, err)
	}
	res, err = bob.Sync(ctx(t), 250)
	if err != nil || len(res.Events) != 0 || res.Events == nil {
		t.Errorf("Sync(head) = %+v (%v), want an empty list", res, err)
	}
}

func TestExpiredMessageKeepsItsNumber(t *testing.T) {
	clock := parleytest.NewClock(time.Now().Truncate(time.Second))
	n := parleytest.Start(t, parleytest.Options{Clock: clock})
	n.ImportAccounts(t, "alice", "bob")
	sendText(t, n, "alice", "bob", "short-lived", `"MsgLifeTime":60`)
	sendText(t, n, "alice", "bob", "durable", "")
	clock.Advance(2 * time.Minute)
	bob := n.Dial(t, "bob", parleytest.DialOptions{SyncFrom: u64(0)})
	if ev := nextOf(t, bob, protocol.KindExpired); ev.Seq != 1 || ev.Message != nil {
		t.Errorf("expired event %+v, want seq 1 without a message", ev)
	}
	if ev := nextText(t, bob, "durable"); ev.Seq != 2 {
		t.Errorf("durable message seq %d, want 2", ev.Seq)
	}
}

func TestCatchUpPastPurgedEvents(t *testing.T) {
	clock := parleytest.NewClock(time.Now().Truncate(time.Second))
	n := parleytest.Start(t, parleytest.Options{Clock: clock})
	n.ImportAccounts(t, "alice", "bob")
	for i := range 3 {
		sendText(t, n, "alice", "bob", fmt.Sprint("old", i), "")
	}
	clock.Advance(8 * 24 * time.Hour) // past the 7-day roaming period
	n.PurgeNow(t)
	// Everything before the head is gone: the catch-up ends at once.
	bob := n.Dial(t, "bob", parleytest.DialOptions{SyncFrom: u64(0)})
	select {
	case h := <-bob.Synced():
		if h != 3 {
			t.Errorf("synced head %d, want 3", h)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("catch-up over purged events never ended")
	}
	none(t, bob)
	bob.Close()
	// Newer events after purged ones: the sequence jumps past the gap.
	sendText(t, n, "alice", "bob", "new", "")
	bob = n.Dial(t, "bob", parleytest.DialOptions{SyncFrom: u64(1)})
	if ev := nextText(t, bob, "new"); ev.Seq != 4 {
		t.Errorf("first event after the purge: seq %d, want 4", ev.Seq)
	}
	<-bob.Synced()
}

// TestReconnectSyncExactlyOnce is the sync proof: a device that disconnects
// at random points of a stream of thousands of messages and reconnects
// with the last sync number it saw ends up with every message exactly once,
// sync numbers rising by one across all its connections, and each
// conversation in history order.
func TestReconnectSyncExactlyOnce(t *testing.T) {
	const perSender = 1500
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	n := parleytest.Start(t)
	senders := []string{"alice", "carol"}
	n.ImportAccounts(t, "alice", "carol", "bob")

	// Each sender sends perSender messages, alternating at random between
	// REST and its device, with MsgSeq 1, 2, 3 … as SDKs do, so that history
	// order (time, then MsgSeq) is send order.
	sentKeys := make([][]string, len(senders))
	var senderWG sync.WaitGroup
	var sendErr atomic.Pointer[error]
	start := time.Now()
	for si, from := range senders {
		dev := n.Dial(t, from)
		go func() { // the sender's device gets its own messages back: drain
			for range dev.Events() {
			}
		}()
		senderWG.Add(1)
		go func() {
			defer senderWG.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(si)))
			for i := 1; i <= perSender; i++ {
				txt := fmt.Sprintf("%s-%d", from, i)
				var key string
				if rng.IntN(2) == 0 {
					s, err := postSend(n, n.AdminURL(t, "openim/sendmsg"), fmt.Sprintf(`{"From_Account":%q,"To_Account":"bob","MsgSeq":%d,"MsgRandom":%d,
						"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":%q}}]}`, from, i, rng.Uint32(), txt))
					if err != nil {
						err = fmt.Errorf("sendmsg %s: %w", txt, err)
						sendErr.Store(&err)
						return
					}
					key = s.MsgKey
				} else {
					seq := uint32(i)
					c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					ans, err := dev.Send(c, protocol.Send{To: "bob", Seq: &seq, Random: rng.Uint32(), Body: textBody(txt)})
					cancel()
					if err != nil {
						err = fmt.Errorf("device send %s: %w", txt, err)
						sendErr.Store(&err)
						return
					}
					key = ans.MsgKey
				}
				sentKeys[si] = append(sentKeys[si], key)
			}
		}()
	}

	// bob's one device: disconnect at random, reconnect with LastSeq.
	rng := rand.New(rand.NewPCG(seed, 99))
	const total = perSender * 2
	var (
		lastSeq    uint64
		seen       = map[string]int{}      // key → times received
		gotOrder   = map[string][]string{} // sender → keys in the order received
		conns      int
		abrupt     int
		serverEnds int
	)
	receive := func(ev protocol.Event) {
		if ev.Seq != lastSeq+1 {
			t.Fatalf("connection %d: seq %d after %d", conns, ev.Seq, lastSeq)
		}
		lastSeq = ev.Seq
		if ev.Kind != protocol.KindC2C || ev.Message == nil {
			t.Fatalf("event %+v, want a c2c message", ev)
		}
		seen[ev.Message.Key]++
		gotOrder[ev.Message.From] = append(gotOrder[ev.Message.From], ev.Message.Key)
	}
	deadline := time.Now().Add(60 * time.Second)
	for lastSeq < total {
		if time.Now().After(deadline) {
			t.Fatalf("after 60s bob has %d of %d messages", lastSeq, total)
		}
		if p := sendErr.Load(); p != nil {
			t.Fatal(*p)
		}
		var raw net.Conn
		dialer := &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			raw = c
			return c, err
		}}
		from := lastSeq
		c, err := client.Dial(ctx(t), client.Config{URL: n.URL, SDKAppID: parleytest.AppID, User: "bob",
			UserSig: n.Sig(t, "bob"), SyncFrom: &from, Dialer: dialer})
		if err != nil {
			t.Fatalf("reconnect %d: %v", conns, err)
		}
		conns++
		// Leave after a random number of events, or after a random time
		// (possibly in the middle of the catch-up, or while idle).
		limit, timer := 50+rng.IntN(251), time.After(time.Duration(1+rng.IntN(30))*time.Millisecond)
		if rng.IntN(3) > 0 {
			timer = nil
		}
	read:
		for got := 0; got < limit && lastSeq < total; got++ {
			select {
			case ev, ok := <-c.Events():
				if !ok {
					serverEnds++ // the server dropped us: reconnect all the same
					break read
				}
				receive(ev)
			case <-timer:
				break read
			case <-time.After(10 * time.Second):
				t.Fatalf("connection %d: no event for 10s at seq %d", conns, lastSeq)
			}
		}
		// Half the time the network just goes away, without a close frame.
		if rng.IntN(2) == 0 {
			abrupt++
			raw.Close()
			<-c.Done()
		} else {
			c.Close()
		}
		// What reached the connection before it ended is still there to
		// read; after it, LastSeq is the last event received.
		for ev := range c.Events() {
			receive(ev)
		}
		if c.LastSeq() != lastSeq {
			t.Fatalf("connection %d: LastSeq %d, but the last event received was %d", conns, c.LastSeq(), lastSeq)
		}
		// Sometimes stay away a while, so that the catch-up is long and
		// live events arrive during it.
		if rng.IntN(4) == 0 {
			time.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond)
		}
	}
	senderWG.Wait()
	if p := sendErr.Load(); p != nil {
		t.Fatal(*p)
	}
	t.Logf("%d messages over %d connections (%d cut abruptly, %d ended by the server) in %v",
		total, conns, abrupt, serverEnds, time.Since(start).Round(time.Millisecond))

	if len(seen) != total {
		t.Errorf("received %d distinct messages, want %d", len(seen), total)
	}
	for k, times := range seen {
		if times != 1 {
			t.Errorf("message %s received %d times", k, times)
		}
	}
	for si, from := range senders {
		history := roamKeys(t, n, "bob", from)
		if !slices.Equal(gotOrder[from], sentKeys[si]) {
			t.Errorf("messages from %s: received order differs from send order", from)
		}
		if !slices.Equal(gotOrder[from], history) {
			t.Errorf("messages from %s: received order differs from REST history order (%d vs %d messages)", from, len(gotOrder[from]), len(history))
		}
	}
	// Nothing more comes.
	bob := n.Dial(t, "bob", parleytest.DialOptions{SyncFrom: &lastSeq})
	<-bob.Synced()
	none(t, bob)
}

// postSend posts a sendmsg body to url (off the test goroutine: no t).
func postSend(n *parleytest.Node, url, body string) (sent, error) {
	resp, err := n.Client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return sent{}, err
	}
	defer resp.Body.Close()
	var r struct {
		sent
		ErrorCode int
		ErrorInfo string
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return sent{}, err
	}
	if r.ErrorCode != 0 {
		return sent{}, fmt.Errorf("ErrorCode %d (%s)", r.ErrorCode, r.ErrorInfo)
	}
	return r.sent, nil
}
