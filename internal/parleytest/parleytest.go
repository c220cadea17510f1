// Package parleytest starts whole Parley nodes in-process for tests: a
// memory (or SQLite) store, a loopback port, real UserSigs. A node is ready
// when Start returns and is stopped by t.Cleanup.
package parleytest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/auth"
	"github.com/parleyim/parley/internal/config"
	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/gateway"
	"github.com/parleyim/parley/internal/node"
)

// The app every test node serves: the demo key of the official UserSig
// libraries, the SDKAppID of the captured SDK traffic.
const (
	AppID = 1400000001
	Key   = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	Admin = "administrator"
)

// Options tune Start. The zero value is a memory store and the real clock.
type Options struct {
	// SQLite stores in a file under t.TempDir() instead of memory.
	SQLite bool
	// StorePath, when set with SQLite, is the file to use (to reopen one).
	StorePath string
	// Clock, when set, is the node's clock (and the one signatures use).
	Clock *Clock
	// Roaming is the app's history retention in days; zero means 7.
	RoamingDays int
	// Gateway tunes the WebSocket gateway (queue size, timeouts). Its Now
	// defaults to the node's clock.
	Gateway gateway.Config
	// GroupMsgRate is the app's group_msg_rate: zero means the default (40
	// messages/s per group), negative turns frequency control off.
	GroupMsgRate int
}

// Node is a running test server.
type Node struct {
	*node.Node
	URL    string
	Client *http.Client
	clock  func() time.Time
	Path   string // the SQLite file, when SQLite
}

// Start runs a node until the test ends.
func Start(t testing.TB, opts ...Options) *Node {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	cfg := &config.Config{
		Listen:  "127.0.0.1:0",
		DataDir: t.TempDir(),
		Store:   "memory",
		Apps: []config.AppConfig{{
			SDKAppID: AppID, Key: core.Secret(Key), Admins: []string{Admin}, RoamingDays: o.RoamingDays,
			GroupMsgRate: o.GroupMsgRate,
		}},
	}
	tn := &Node{clock: time.Now}
	if o.SQLite {
		tn.Path = o.StorePath
		if tn.Path == "" {
			tn.Path = filepath.Join(cfg.DataDir, "parley.db")
		}
		cfg.Store = "sqlite:" + tn.Path
	}
	nopt := node.Options{Gateway: o.Gateway}
	if o.Clock != nil {
		tn.clock = o.Clock.Now
		nopt.Now = o.Clock.Now
	}
	n, err := node.New(context.Background(), cfg, nopt)
	if err != nil {
		t.Fatalf("parleytest: new node: %v", err)
	}
	if err := n.Start(); err != nil {
		t.Fatalf("parleytest: start: %v", err)
	}
	tn.Node = n
	tn.URL = "http://" + n.Addr().String()
	tn.Client = &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("parleytest: shutdown: %v", err)
		}
		if p := n.TIM.Panics.Load(); p > 0 {
			t.Errorf("parleytest: %d requests panicked (see log)", p)
		}
	})
	return tn
}

// Sig returns a UserSig for user valid for a day on the node's clock.
func (n *Node) Sig(t testing.TB, user string) string {
	t.Helper()
	sig, err := auth.GenUserSig(AppID, Key, user, 86400, n.clock())
	if err != nil {
		t.Fatalf("GenUserSig: %v", err)
	}
	return sig
}

// AdminURL returns the URL of a v4 command signed as the admin.
func (n *Node) AdminURL(t testing.TB, command string) string {
	return fmt.Sprintf("%s/v4/%s?sdkappid=%d&identifier=%s&usersig=%s&random=%d&contenttype=json",
		n.URL, command, AppID, Admin, n.Sig(t, Admin), time.Now().UnixNano()&0xffffffff)
}

// Result is a decoded v4 answer.
type Result struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorCode    int    `json:"ErrorCode"`
	ErrorInfo    string `json:"ErrorInfo"`
	// Raw is the whole answer.
	Raw jsontext.Value `json:"-"`
	// HTTPStatus is the response's status code.
	HTTPStatus int `json:"-"`
}

// Decode unmarshals the whole answer into v.
func (r Result) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Raw, v); err != nil {
		t.Fatalf("decode %s: %v", r.Raw, err)
	}
}

// TIM posts body to the v4 command as the admin and decodes the envelope.
func (n *Node) TIM(t testing.TB, command, body string) Result {
	t.Helper()
	return n.Post(t, n.AdminURL(t, command), body)
}

// Post posts body to url and decodes the envelope. The answer must be HTTP
// 200 with a JSON envelope.
func (n *Node) Post(t testing.TB, url, body string) Result {
	t.Helper()
	resp, err := n.Client.Post(url, "application/json; charset=utf-8", bytes.NewBufferString(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read: %v", url, err)
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("POST %s: answer is not a JSON envelope: %v\n%s", url, err, raw)
	}
	r.Raw, r.HTTPStatus = raw, resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d, want 200", url, resp.StatusCode)
	}
	return r
}

// MustTIM is TIM that fails the test unless ErrorCode is 0.
func (n *Node) MustTIM(t testing.TB, command, body string) Result {
	t.Helper()
	r := n.TIM(t, command, body)
	if r.ErrorCode != 0 {
		t.Fatalf("%s %s: ErrorCode %d (%s), want 0", command, body, r.ErrorCode, r.ErrorInfo)
	}
	return r
}

// ImportAccounts imports each user.
func (n *Node) ImportAccounts(t testing.TB, users ...string) {
	t.Helper()
	for _, u := range users {
		n.MustTIM(t, "im_open_login_svc/account_import", fmt.Sprintf(`{"UserID":%q}`, u))
	}
}

// PurgeNow runs the node's retention purge once, as its hourly loop does:
// history older than the app's roaming period (on the node's clock) goes,
// and unread counts follow.
func (n *Node) PurgeNow(t testing.TB) {
	t.Helper()
	if err := n.Service.PurgeOnce(context.Background()); err != nil {
		t.Fatalf("parleytest: purge: %v", err)
	}
}

// Clock is a settable clock for tests. The zero value is not usable.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// DialOptions tune Dial.
type DialOptions struct {
	Platform  string
	Device    string
	SyncFrom  *uint64
	PushToken string
	// Sig overrides the UserSig (to test refusals).
	Sig string
}

// Dial connects a device as user (signing with the app key) and closes it
// when the test ends.
func (n *Node) Dial(t testing.TB, user string, opts ...DialOptions) *client.Conn {
	t.Helper()
	c, err := n.TryDial(t, user, opts...)
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	return c
}

// TryDial is Dial returning the error.
func (n *Node) TryDial(t testing.TB, user string, opts ...DialOptions) (*client.Conn, error) {
	t.Helper()
	var o DialOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	sig := o.Sig
	if sig == "" {
		sig = n.Sig(t, user)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{
		URL: n.URL, SDKAppID: AppID, User: user, UserSig: sig,
		Platform: o.Platform, Device: o.Device, SyncFrom: o.SyncFrom, PushToken: o.PushToken,
	})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}
