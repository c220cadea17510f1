package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// syncBuffer is a bytes.Buffer safe for one writer and polling readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls buf until it matches re.
func waitFor(t *testing.T, buf *syncBuffer, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(5 * time.Second)
	for !rx.MatchString(buf.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("output never matched %q; it is:\n%s", re, buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startTail runs runTail with args until the test ends; it returns stdout,
// stderr and a function that stops it and returns its exit code.
func startTail(t *testing.T, args ...string) (stdout, stderr *syncBuffer, stop func() int) {
	t.Helper()
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runTail(ctx, args, stdout, stderr) }()
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(5 * time.Second):
				t.Errorf("tail did not stop")
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

func TestTail(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	send := func(body string) string {
		t.Helper()
		var s struct{ MsgKey string }
		n.MustTIM(t, "openim/sendmsg", `{"From_Account":"alice","To_Account":"bob","MsgRandom":1,`+body+`}`).Decode(t, &s)
		return s.MsgKey
	}
	first := send(`"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"before tail"}}]`)

	out, errOut, stop := startTail(t, "--url", n.URL, "--sdkappid", fmt.Sprint(parleytest.AppID), "--key", parleytest.Key,
		"--user", "bob", "--sync-from", "0", "--retry", "20ms", "--platform", "Web")
	waitFor(t, errOut, `connected to .* as bob \(head 1\), from sync number 0`)
	// Caught-up events carry no conversation: no unread count.
	waitFor(t, out, `(?m)^\d\d:\d\d:\d\d #1 c2c alice→bob "before tail"$`)

	send(`"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"look"}},{"MsgType":"TIMFaceElem","MsgContent":{"Index":1}}]`)
	waitFor(t, out, `(?m)^\d\d:\d\d:\d\d #2 c2c alice→bob "look" \[TIMFaceElem\] unread=2$`)
	send(`"OnlineOnlyFlag":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"typing"}}]`)
	waitFor(t, out, `(?m)^\d\d:\d\d:\d\d #- c2c alice→bob "typing" \[online-only\]$`)
	n.MustTIM(t, "openim/admin_msgwithdraw", `{"From_Account":"alice","To_Account":"bob","MsgKey":"`+first+`"}`)
	waitFor(t, out, `(?m)^\d\d:\d\d:\d\d #3 c2c.recall alice→bob \(recalled\) key=`+regexp.QuoteMeta(first)+` unread=1$`)
	n.MustTIM(t, "openim/admin_set_msg_read", `{"Report_Account":"bob","Peer_Account":"alice"}`)
	waitFor(t, out, `(?m)^\d\d:\d\d:\d\d #4 read bob read alice up to \d\d:\d\d:\d\d unread=0$`)

	// Kicked: tail prints it, is disconnected, signs anew and resumes
	// after the last sync number it printed.
	n.MustTIM(t, "im_open_login_svc/kick", `{"UserID":"bob"}`)
	waitFor(t, out, `#5 kick \(bob was kicked`)
	waitFor(t, errOut, `disconnected \(.*4003.*\); reconnecting from sync number 5`)
	waitFor(t, errOut, `as bob \(head 5\), from sync number 5`)
	send(`"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"after"}}]`)
	// (unread may be 0: read reports have one-second resolution)
	waitFor(t, out, `#6 c2c alice→bob "after" unread=[01]`)

	if code := stop(); code != 0 {
		t.Errorf("exit code %d after cancel, want 0", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 7 {
		t.Errorf("%d lines, want 7 (each event once):\n%s", len(lines), out.String())
	}
}

func TestTailReadsFirstRunApp(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	dir := t.TempDir()
	app := fmt.Sprintf(`{"sdkappid": %d, "key": %q, "admins": ["administrator"]}`, parleytest.AppID, parleytest.Key)
	if err := os.WriteFile(filepath.Join(dir, "app.json"), []byte(app), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, _ := startTail(t, "--url", n.URL, "--data-dir", dir, "--user", "bob")
	waitFor(t, errOut, `as bob \(head 0\), from the head`)
	n.MustTIM(t, "openim/sendmsg", `{"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`)
	waitFor(t, out, `#1 c2c alice→bob "hi" unread=1`)
}

func TestTailRefusals(t *testing.T) {
	n := parleytest.Start(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no user", []string{"--url", n.URL, "--sdkappid", "1", "--key", "k"}, 2, "--user is required"},
		{"no app", []string{"--url", n.URL, "--user", "bob", "--data-dir", t.TempDir()}, 2, "no first-run app"},
		{"not imported", []string{"--url", n.URL, "--sdkappid", fmt.Sprint(parleytest.AppID), "--key", parleytest.Key, "--user", "nobody"}, 1, "login refused: parley: 404"},
		{"wrong key", []string{"--url", n.URL, "--sdkappid", fmt.Sprint(parleytest.AppID), "--key", "00ff", "--user", parleytest.Admin}, 1, "login refused: parley: 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := runTail(t.Context(), tt.args, &out, &errOut); code != tt.code || !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tt.code, tt.msg)
			}
		})
	}
}

func TestFormatEvent(t *testing.T) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.Local).Unix()
	pinned := true
	tests := []struct {
		ev   protocol.Event
		want string
	}{
		{protocol.Event{Seq: 7, Kind: protocol.KindC2C, Time: at,
			Message:      &protocol.Message{From: "a", To: "b", Body: []byte(`[{"MsgType":"TIMImageElem","MsgContent":{}},{"MsgType":"TIMTextElem","MsgContent":{"Text":"x\"y"}}]`)},
			Conversation: &protocol.Conversation{Unread: 4}},
			`15:04:05 #7 c2c a→b [TIMImageElem] "x\"y" unread=4`},
		{protocol.Event{Seq: 8, Kind: protocol.KindC2CModify, Time: at, Message: &protocol.Message{From: "a", To: "b", Key: "1_2_3", Modified: true, Body: []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"new"}}]`)}},
			`15:04:05 #8 c2c.modify a→b "new" [modified] key=1_2_3`},
		{protocol.Event{Seq: 9, Kind: protocol.KindPeerRead, Time: at, Peer: "a", ReadTime: at},
			`15:04:05 #9 peer_read a read up to 15:04:05`},
		{protocol.Event{Seq: 10, Kind: protocol.KindConvPin, Time: at, Peer: "a", Pinned: &pinned},
			`15:04:05 #10 conversation.pin with a pinned`},
		{protocol.Event{Seq: 11, Kind: protocol.KindConvDelete, Time: at, Peer: "a", ClearHistory: true},
			`15:04:05 #11 conversation.delete with a (history cleared)`},
		{protocol.Event{Seq: 12, Kind: protocol.KindExpired, Time: at},
			`15:04:05 #12 expired (a message whose lifetime ended)`},
	}
	for _, tt := range tests {
		if got := formatEvent(tt.ev, "b"); got != tt.want {
			t.Errorf("formatEvent(%s):\n got %s\nwant %s", tt.ev.Kind, got, tt.want)
		}
	}
}
