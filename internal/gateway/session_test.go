package gateway_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/auth"
	"github.com/parleyim/parley/internal/gateway"
	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// Sessions: login and its refusals, kick, heartbeats and timeouts, slow
// devices, shutdown.

// rawDial opens a WebSocket to n without logging in.
func rawDial(t *testing.T, n *parleytest.Node) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.DialContext(ctx(t), "ws"+strings.TrimPrefix(n.URL, "http")+protocol.Path, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// refusal reads what the server sends until it closes: the error frame (if
// any) and the close code.
func refusal(t *testing.T, ws *websocket.Conn) (protocol.Error, int) {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var e protocol.Error
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("read: %v, want a close frame", err)
			}
			return e, ce.Code
		}
		var f protocol.Frame
		json.Unmarshal(data, &f)
		switch f.Op {
		case protocol.OpError:
			json.Unmarshal(data, &e)
		case protocol.OpBye:
			var b protocol.Bye
			json.Unmarshal(data, &b)
			if e.Op == "" || b.Code == 0 {
				t.Errorf("bye frame %s, want one after the error frame, with the close code", data)
			}
		default:
			t.Fatalf("frame %s, want an error frame, a bye or the close", data)
		}
	}
}

func TestLoginRefusals(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "bob")
	sig := func(app uint64, key, user string, expire int64, at time.Time) string {
		s, err := auth.GenUserSig(app, key, user, expire, at)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := time.Now()
	good := sig(parleytest.AppID, parleytest.Key, "bob", 3600, now)
	tests := []struct {
		name      string
		login     protocol.Login
		code      int
		closeCode int
	}{
		{"garbage UserSig", protocol.Login{User: "bob", UserSig: "garbage"}, protocol.CodeUnauthorized, protocol.CloseUnauthorized},
		{"empty UserSig", protocol.Login{User: "bob"}, protocol.CodeUnauthorized, protocol.CloseUnauthorized},
		{"expired", protocol.Login{User: "bob", UserSig: sig(parleytest.AppID, parleytest.Key, "bob", 60, now.Add(-time.Hour))}, protocol.CodeUnauthorized, protocol.CloseUnauthorized},
		{"other key", protocol.Login{User: "bob", UserSig: sig(parleytest.AppID, strings.Repeat("ab", 32), "bob", 3600, now)}, protocol.CodeUnauthorized, protocol.CloseUnauthorized},
		{"other user's sig", protocol.Login{User: "bob", UserSig: sig(parleytest.AppID, parleytest.Key, "alice", 3600, now)}, protocol.CodeUnauthorized, protocol.CloseUnauthorized},
		{"other app", protocol.Login{SDKAppID: 1400000002, User: "bob", UserSig: sig(1400000002, parleytest.Key, "bob", 3600, now)}, protocol.CodeUnauthorized, protocol.CloseUnauthorized},
		{"not imported", protocol.Login{User: "carol", UserSig: sig(parleytest.AppID, parleytest.Key, "carol", 3600, now)}, protocol.CodeNotFound, protocol.CloseNotImported},
		{"unknown platform", protocol.Login{User: "bob", UserSig: good, Platform: "Toaster"}, protocol.CodeInvalid, protocol.CloseBadRequest},
		{"no platform", protocol.Login{User: "bob", UserSig: good, Platform: "-"}, protocol.CodeInvalid, protocol.CloseBadRequest},
		{"first frame not a login", protocol.Login{Frame: protocol.Frame{Op: protocol.OpPing}, User: "bob", UserSig: good}, protocol.CodeInvalid, protocol.CloseBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.login
			l.ID = 1
			if l.Op == "" {
				l.Op = protocol.OpLogin
			}
			if l.SDKAppID == 0 {
				l.SDKAppID = parleytest.AppID
			}
			switch l.Platform {
			case "":
				l.Platform = "PC"
			case "-":
				l.Platform = ""
			}
			ws := rawDial(t, n)
			if err := ws.WriteJSON(l); err != nil {
				t.Fatal(err)
			}
			e, closeCode := refusal(t, ws)
			if e.Code != tt.code || e.ID != 1 || e.Message == "" {
				t.Errorf("error frame %+v, want code %d for id 1 with a message", e, tt.code)
			}
			if closeCode != tt.closeCode {
				t.Errorf("close code %d, want %d", closeCode, tt.closeCode)
			}
			// The client reports the same refusal as an *client.Error.
			_, err := client.Dial(ctx(t), client.Config{URL: n.URL, SDKAppID: l.SDKAppID, User: l.User, UserSig: l.UserSig, Platform: l.Platform})
			if l.Op == protocol.OpLogin && l.Platform != "" && !isCode(err, tt.code) {
				t.Errorf("client.Dial: %v, want code %d", err, tt.code)
			}
		})
	}
	t.Run("binary first frame", func(t *testing.T) {
		ws := rawDial(t, n)
		ws.WriteMessage(websocket.BinaryMessage, []byte(`{"op":"login"}`))
		if _, code := refusal(t, ws); code != protocol.CloseBadRequest {
			t.Errorf("close code %d, want %d", code, protocol.CloseBadRequest)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		ws := rawDial(t, n)
		ws.WriteMessage(websocket.TextMessage, []byte(`hello`))
		if e, code := refusal(t, ws); code != protocol.CloseBadRequest || e.Code != protocol.CodeInvalid {
			t.Errorf("error %+v close code %d, want 400 and %d", e, code, protocol.CloseBadRequest)
		}
	})
}

func TestLoginTimeout(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Gateway: gateway.Config{LoginTimeout: 200 * time.Millisecond}})
	ws := rawDial(t, n)
	start := time.Now()
	if _, code := refusal(t, ws); code != protocol.CloseLoginTimeout {
		t.Errorf("close code %d, want %d", code, protocol.CloseLoginTimeout)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed after %v, want about 200ms", d)
	}
}

func TestLoginAnswer(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	sendText(t, n, "alice", "bob", "one", "")
	sendText(t, n, "alice", "bob", "two", "")
	bob := n.Dial(t, "bob")
	if bob.Head() != 2 {
		t.Errorf("Head %d, want 2", bob.Head())
	}
	if d := time.Now().Unix() - bob.ServerTime(); d < -1 || d > 1 {
		t.Errorf("ServerTime %d, want about now", bob.ServerTime())
	}
	// Without sync_from the device starts at the head: nothing is replayed.
	select {
	case h := <-bob.Synced():
		if h != 2 {
			t.Errorf("synced head %d, want 2", h)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no synced frame")
	}
	none(t, bob)
	// The connection started at the head: so does LastSeq, and a reconnect
	// from it replays nothing.
	if bob.LastSeq() != 2 {
		t.Errorf("LastSeq %d, want the head 2", bob.LastSeq())
	}
	far := n.Dial(t, "bob", parleytest.DialOptions{SyncFrom: u64(99), Platform: "Web"})
	if far.LastSeq() != 2 {
		t.Errorf("LastSeq with SyncFrom beyond the head: %d, want the head 2", far.LastSeq())
	}
	// A second login frame is refused; the session stays.
	ws := rawDial(t, n)
	ws.WriteJSON(protocol.Login{Frame: protocol.Frame{ID: 1, Op: protocol.OpLogin}, SDKAppID: parleytest.AppID, User: "bob", UserSig: n.Sig(t, "bob"), Platform: "Web"})
	ws.WriteJSON(protocol.Login{Frame: protocol.Frame{ID: 2, Op: protocol.OpLogin}, SDKAppID: parleytest.AppID, User: "bob", UserSig: n.Sig(t, "bob"), Platform: "Web"})
	ws.WriteJSON(protocol.Frame{ID: 3, Op: "no-such-op"})
	ws.WriteJSON(protocol.Frame{ID: 4, Op: protocol.OpPing})
	want := map[int64]string{1: protocol.OpOK, 2: protocol.OpError, 3: protocol.OpError, 4: protocol.OpPong}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(want) > 0 {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (still waiting for %v)", err, want)
		}
		var f protocol.Frame
		json.Unmarshal(data, &f)
		if f.Op == protocol.OpSynced {
			continue
		}
		if want[f.ID] != f.Op {
			t.Errorf("frame %s: op %q, want %q", data, f.Op, want[f.ID])
		}
		delete(want, f.ID)
	}
}

func TestPing(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "bob")
	bob := n.Dial(t, "bob")
	for range 3 {
		if err := bob.Ping(ctx(t)); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	}
}

func TestKick(t *testing.T) {
	clock := parleytest.NewClock(time.Now().Add(-time.Hour).Truncate(time.Second))
	n := parleytest.Start(t, parleytest.Options{Clock: clock})
	n.ImportAccounts(t, "alice", "bob")
	oldSig := n.Sig(t, "bob")
	phone := n.Dial(t, "bob", parleytest.DialOptions{Platform: "iPhone", Sig: oldSig})
	pc := n.Dial(t, "bob", parleytest.DialOptions{Platform: "PC", Sig: oldSig, PushToken: "tok"})
	alice := n.Dial(t, "alice")
	sendText(t, n, "alice", "bob", "before", "")
	nextText(t, phone, "before")
	nextText(t, pc, "before")

	clock.Advance(time.Minute)
	n.MustTIM(t, "im_open_login_svc/kick", `{"UserID":"bob"}`)
	for name, c := range map[string]*client.Conn{"phone": phone, "pc": pc} {
		if ev := nextOf(t, c, protocol.KindKick); ev.Seq != 2 {
			t.Errorf("%s: kick event seq %d, want 2", name, ev.Seq)
		}
		if code := closed(t, c); code != protocol.CloseKicked {
			t.Errorf("%s: close code %d, want %d", name, code, protocol.CloseKicked)
		}
	}
	if err := alice.Ping(ctx(t)); err != nil {
		t.Errorf("alice's device after bob's kick: %v", err)
	}
	// Kicked devices are not push-reachable either.
	eventually(t, "bob offline", func() bool { return status(t, n, "bob").Status == "Offline" })

	// The old UserSig is refused; over a raw socket the close says kicked.
	if _, err := n.TryDial(t, "bob", parleytest.DialOptions{Sig: oldSig}); !isCode(err, protocol.CodeUnauthorized) {
		t.Errorf("login with the old UserSig: %v, want code 401", err)
	}
	ws := rawDial(t, n)
	ws.WriteJSON(protocol.Login{Frame: protocol.Frame{ID: 1, Op: protocol.OpLogin}, SDKAppID: parleytest.AppID, User: "bob", UserSig: oldSig, Platform: "PC"})
	if e, code := refusal(t, ws); e.Code != protocol.CodeUnauthorized || code != protocol.CloseKicked {
		t.Errorf("old UserSig: error %+v close %d, want 401 and %d", e, code, protocol.CloseKicked)
	}

	// A UserSig generated at or after the kick works, also for a device that
	// missed the kick and catches up past it.
	newSig := n.Sig(t, "bob")
	fresh := n.Dial(t, "bob", parleytest.DialOptions{Sig: newSig})
	late := n.Dial(t, "bob", parleytest.DialOptions{Sig: newSig, Platform: "Web", SyncFrom: u64(0)})
	nextText(t, late, "before")
	nextOf(t, late, protocol.KindKick)
	sendText(t, n, "alice", "bob", "after", "")
	nextText(t, fresh, "after")
	nextText(t, late, "after")
}
