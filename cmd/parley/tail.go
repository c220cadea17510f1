package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/auth"
	"github.com/parleyim/parley/internal/config"
	"github.com/parleyim/parley/protocol"
)

// tailSigExpire is the validity of the UserSigs tail signs for itself; it
// signs a new one on every connect.
const tailSigExpire = 24 * 3600

// tailMaxRetry caps the delay between reconnects.
const tailMaxRetry = 30 * time.Second

// tail runs "parley tail" until Ctrl-C or SIGTERM.
func tail(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runTail(ctx, args, stdout, stderr)
}

type tailOptions struct {
	url      string
	sdkappid uint64
	key      string
	user     string
	platform string
	device   string
	syncFrom *uint64
	retry    time.Duration
}

// runTail connects as a user and prints one line per event on stdout until
// ctx ends (exit code 0). Connection news goes to stderr. After a
// disconnect it reconnects with sync_from set to the last sync number it
// printed, so nothing is missed or printed twice. A refused login (bad key,
// account not imported) ends it with exit code 1; bad flags with 2.
func runTail(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, code := parseTail(args, stderr)
	if code >= 0 {
		return code
	}
	syncFrom := o.syncFrom
	delay := o.retry
	for {
		sig, err := auth.GenUserSig(o.sdkappid, o.key, o.user, tailSigExpire, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "parley tail:", err)
			return 1
		}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := client.Dial(dctx, client.Config{URL: o.url, SDKAppID: o.sdkappid, User: o.user, UserSig: sig,
			Platform: o.platform, Device: o.device, SyncFrom: syncFrom})
		cancel()
		if ctx.Err() != nil {
			return 0
		}
		var refused *client.Error
		if errors.As(err, &refused) {
			fmt.Fprintf(stderr, "parley tail: login refused: %v\n", err)
			return 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "parley tail: %v; retrying in %v\n", err, delay)
			if !sleepCtx(ctx, delay) {
				return 0
			}
			delay = min(delay*2, tailMaxRetry)
			continue
		}
		delay = o.retry
		from := "the head"
		if syncFrom != nil {
			from = "sync number " + strconv.FormatUint(*syncFrom, 10)
		}
		fmt.Fprintf(stderr, "parley tail: connected to %s as %s (head %d), from %s\n", o.url, o.user, c.Head(), from)
		ended := false
		for !ended {
			select {
			case ev, ok := <-c.Events():
				if !ok {
					ended = true
					break
				}
				fmt.Fprintln(stdout, formatEvent(ev, o.user))
			case <-ctx.Done():
				c.Close()
				return 0
			}
		}
		last := c.LastSeq()
		syncFrom = &last
		fmt.Fprintf(stderr, "parley tail: disconnected (%v); reconnecting from sync number %d\n", c.Err(), last)
		if !sleepCtx(ctx, delay) {
			return 0
		}
	}
}

// parseTail reads the flags; code is -1 when tail should run.
func parseTail(args []string, stderr io.Writer) (o tailOptions, code int) {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the server (http://, https://, ws:// or wss://)")
	fs.Uint64Var(&o.sdkappid, "sdkappid", 0, "SDKAppID (default: the first-run app in --data-dir)")
	fs.StringVar(&o.key, "key", "", "the app's secret key, to sign UserSigs (default: the first-run app in --data-dir)")
	dataDir := fs.String("data-dir", config.DefaultDataDir, "where the server keeps its first-run app (app.json)")
	fs.StringVar(&o.user, "user", "", "UserID to watch (required)")
	fs.StringVar(&o.platform, "platform", "PC", "platform to log in as: "+strings.Join(protocol.Platforms, ", "))
	fs.StringVar(&o.device, "device", "parley-tail", "device id")
	syncFrom := fs.Int64("sync-from", -1, "print every event after this sync number first (0: all kept ones); default: only new ones")
	fs.DurationVar(&o.retry, "retry", time.Second, "first delay before a reconnect (doubles up to 30s)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: parley tail --user U [flags]\n\nConnects as U and prints what U's devices receive, one line per event.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, 0
		}
		return o, 2
	}
	if o.user == "" || fs.NArg() > 0 || o.retry <= 0 {
		fmt.Fprintln(stderr, "parley tail: --user is required; --retry must be positive")
		fs.Usage()
		return o, 2
	}
	if *syncFrom >= 0 {
		v := uint64(*syncFrom)
		o.syncFrom = &v
	}
	if o.sdkappid == 0 || o.key == "" {
		app, err := readFirstRunApp(*dataDir)
		if err != nil {
			fmt.Fprintf(stderr, "parley tail: no --sdkappid and --key, and no first-run app: %v\n", err)
			return o, 2
		}
		if o.sdkappid == 0 {
			o.sdkappid = app.SDKAppID
		}
		if o.key == "" {
			o.key = app.Key
		}
	}
	return o, -1
}

// readFirstRunApp reads the app "parley serve" keeps in dataDir on a first run.
func readFirstRunApp(dataDir string) (app struct {
	SDKAppID uint64 `json:"sdkappid"`
	Key      string `json:"key"`
}, err error) {
	path := filepath.Join(dataDir, "app.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return app, err
	}
	if err := json.Unmarshal(b, &app); err != nil {
		return app, fmt.Errorf("%s: %w", path, err)
	}
	if app.SDKAppID == 0 || app.Key == "" {
		return app, fmt.Errorf("%s: no sdkappid or key", path)
	}
	return app, nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// formatEvent renders an event as one line for people:
//
//	15:04:05 #12 c2c alice→bob "hi there" unread=3
func formatEvent(ev protocol.Event, user string) string {
	var b strings.Builder
	b.WriteString(time.Unix(ev.Time, 0).Format("15:04:05"))
	if ev.Seq > 0 {
		fmt.Fprintf(&b, " #%d", ev.Seq)
	} else {
		b.WriteString(" #-") // online-only: not numbered
	}
	b.WriteString(" " + ev.Kind)
	if m := ev.Message; m != nil {
		fmt.Fprintf(&b, " %s→%s", m.From, m.To)
		switch {
		case m.Recalled:
			b.WriteString(" (recalled)")
		case ev.Kind == protocol.KindC2C || ev.Kind == protocol.KindC2CModify:
			b.WriteString(" " + bodyText(m.Body))
		}
		for _, f := range []struct {
			on   bool
			name string
		}{{m.OnlineOnly, "online-only"}, {m.Modified, "modified"}, {m.PeerRead, "peer-read"}} {
			if f.on {
				b.WriteString(" [" + f.name + "]")
			}
		}
		if ev.Kind != protocol.KindC2C {
			b.WriteString(" key=" + m.Key)
		}
	}
	switch ev.Kind {
	case protocol.KindRead:
		fmt.Fprintf(&b, " %s read %s up to %s", user, ev.Peer, time.Unix(ev.ReadTime, 0).Format("15:04:05"))
	case protocol.KindPeerRead:
		if ev.ReadTime > 0 {
			fmt.Fprintf(&b, " %s read up to %s", ev.Peer, time.Unix(ev.ReadTime, 0).Format("15:04:05"))
		} else {
			fmt.Fprintf(&b, " %s read it", ev.Peer)
		}
	case protocol.KindConvDelete:
		fmt.Fprintf(&b, " with %s", ev.Peer)
		if ev.ClearHistory {
			b.WriteString(" (history cleared)")
		}
	case protocol.KindConvPin:
		fmt.Fprintf(&b, " with %s", ev.Peer)
		if ev.Pinned != nil && *ev.Pinned {
			b.WriteString(" pinned")
		} else {
			b.WriteString(" unpinned")
		}
	case protocol.KindKick:
		b.WriteString(" (" + user + " was kicked; this connection ends)")
	case protocol.KindExpired:
		b.WriteString(" (a message whose lifetime ended)")
	}
	if c := ev.Conversation; c != nil {
		fmt.Fprintf(&b, " unread=%d", c.Unread)
	}
	return b.String()
}

// bodyText renders a MsgBody: the text of text elements, quoted, and the
// type of every other element in brackets.
func bodyText(body json.RawMessage) string {
	var elems []struct {
		MsgType    string
		MsgContent struct{ Text string }
	}
	if json.Unmarshal(body, &elems) != nil {
		return "(unreadable body)"
	}
	parts := make([]string, 0, len(elems))
	for _, e := range elems {
		if e.MsgType == "TIMTextElem" {
			parts = append(parts, strconv.Quote(e.MsgContent.Text))
		} else {
			parts = append(parts, "["+e.MsgType+"]")
		}
	}
	return strings.Join(parts, " ")
}
