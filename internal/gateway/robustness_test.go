package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/gateway"
	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// Slow devices, heartbeats, idle connections and shutdown.

func TestSlowDeviceIsDroppedAndResyncs(t *testing.T) {
	// A long write timeout: the close frame waits for the device to read
	// again, which it does only after all messages were sent.
	n := parleytest.Start(t, parleytest.Options{Gateway: gateway.Config{QueueFrames: 16, WriteTimeout: 30 * time.Second}})
	n.ImportAccounts(t, "alice", "bob", "carol")
	slow, err := client.Dial(ctx(t), client.Config{URL: n.URL, SDKAppID: parleytest.AppID, User: "bob",
		UserSig: n.Sig(t, "bob"), EventBuffer: 1})
	if err != nil {
		t.Fatalf("dial slow device: %v", err)
	}
	t.Cleanup(func() { slow.Close() })
	carol := n.Dial(t, "carol")

	// bob's device reads nothing while big messages pile up for it (more
	// than the sockets' buffers hold); carol's device receives hers in real
	// time all along.
	big := strings.Repeat("x", 11<<10)
	const total = 1000
	var worst time.Duration
	for i := range total {
		sendText(t, n, "alice", "bob", fmt.Sprint(i, big), "")
		if i%10 == 0 {
			start := time.Now()
			sendText(t, n, "alice", "carol", fmt.Sprint("c", i), "")
			nextText(t, carol, fmt.Sprint("c", i))
			worst = max(worst, time.Since(start))
		}
	}
	if worst > time.Second {
		t.Errorf("carol's slowest delivery took %v while bob's device was stuck", worst)
	}
	// bob's device reads again: it got a gapless prefix, then the close.
	var got uint64
	for ev := range slow.Events() {
		if ev.Seq != got+1 {
			t.Fatalf("slow device: seq %d after %d", ev.Seq, got)
		}
		got = ev.Seq
	}
	var ce *client.CloseError
	if !errors.As(slow.Err(), &ce) || ce.Code != protocol.CloseSlow {
		t.Errorf("slow device ended with %v, want close code %d", slow.Err(), protocol.CloseSlow)
	}
	if got >= total {
		t.Fatalf("slow device received all %d messages: it was never too slow", got)
	}
	t.Logf("slow device got %d of %d before it was dropped", got, total)
	// It reconnects from where it was and receives the rest, in order.
	again := n.Dial(t, "bob", parleytest.DialOptions{SyncFrom: u64(slow.LastSeq())})
	for want := got + 1; want <= total; want++ {
		if ev := next(t, again); ev.Seq != want || !strings.HasPrefix(textOf(ev), fmt.Sprint(want-1, "x")) {
			t.Fatalf("after reconnect: seq %d text %.10q, want seq %d", ev.Seq, textOf(ev), want)
		}
	}
}

func TestHeartbeatsKeepDevicesAndIdleOnesAreClosed(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Gateway: gateway.Config{PingInterval: 50 * time.Millisecond, IdleTimeout: 200 * time.Millisecond}})
	n.ImportAccounts(t, "alice", "bob")
	// The client answers pings (as WebSocket libraries do): it stays.
	bob := n.Dial(t, "bob")
	// A raw connection that logs in and then answers no ping is idle.
	ws := rawDial(t, n)
	ws.SetPingHandler(func(string) error { return nil })
	ws.WriteJSON(protocol.Login{Frame: protocol.Frame{ID: 1, Op: protocol.OpLogin}, SDKAppID: parleytest.AppID, User: "alice", UserSig: n.Sig(t, "alice"), Platform: "Web"})
	start := time.Now()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var code int
	for {
		_, _, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			code = ce.Code
			break
		}
		if err != nil {
			t.Fatalf("idle connection: %v, want a close", err)
		}
	}
	if code != protocol.CloseIdle {
		t.Errorf("idle connection closed with %d, want %d", code, protocol.CloseIdle)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("idle connection closed after %v, before IdleTimeout", d)
	}
	// bob's device outlived the idle one by several ping intervals.
	time.Sleep(300 * time.Millisecond) // real time must pass for heartbeats to matter
	if err := bob.Ping(ctx(t)); err != nil {
		t.Errorf("device answering pings was dropped: %v", err)
	}
}

func TestOversizeFrameClosesSession(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Gateway: gateway.Config{MaxFrameBytes: 1024}})
	n.ImportAccounts(t, "alice", "bob")
	bob := n.Dial(t, "bob")
	_, err := bob.Send(ctx(t), protocol.Send{To: "alice", Random: 1, Body: textBody(strings.Repeat("y", 2048))})
	var ce *client.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("oversize frame: %v, want close 1009", err)
	}
}

func TestShutdownClosesDevicesWithGoingAway(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	devices := []*client.Conn{n.Dial(t, "alice"), n.Dial(t, "bob"), n.Dial(t, "bob", parleytest.DialOptions{Platform: "Web"})}
	ws := rawDial(t, n)
	ws.WriteJSON(protocol.Login{Frame: protocol.Frame{ID: 1, Op: protocol.OpLogin}, SDKAppID: parleytest.AppID, User: "alice", UserSig: n.Sig(t, "alice"), Platform: "Mac"})

	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for i, d := range devices {
		if code := closed(t, d); code != websocket.CloseGoingAway {
			t.Errorf("device %d: close code %d, want 1001", i, code)
		}
	}
	// Raw: the last frame before the close is a bye with the same code.
	var bye protocol.Bye
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Errorf("raw connection: %v, want close 1001", err)
			}
			break
		}
		json.Unmarshal(data, &bye)
	}
	if bye.Op != protocol.OpBye || bye.Code != websocket.CloseGoingAway {
		t.Errorf("last frame %+v, want bye 1001", bye)
	}
	// New connections are refused.
	if _, err := client.Dial(ctx(t), client.Config{URL: n.URL, SDKAppID: parleytest.AppID, User: "bob", UserSig: n.Sig(t, "bob")}); err == nil {
		t.Errorf("dial after shutdown succeeded")
	}
}
