package bench

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/auth"
	"github.com/parleyim/parley/internal/config"
	"github.com/parleyim/parley/internal/node"
)

// sigExpire is the validity of the UserSigs a run makes.
const sigExpire = 24 * 3600

// target is what a scenario drives: a Parley server or a null server.
type target struct {
	url      string // http://host:port
	app      uint64
	key      string
	admin    string
	adminSig string
	// node is the in-process server, when the run started one; history
	// pre-fills through its core service.
	node *node.Node
	// null marks a null server: it has no accounts and no history.
	null bool
	// proc is where the server's CPU and RSS are read.
	proc proc
	// loopback: the server is on 127.0.0.0/8, so connections can come from
	// several 127.0.0.x source addresses.
	loopback bool

	mu       sync.Mutex
	imported map[string]bool
	groups   map[string]bool // made (or found) in this run
}

func newTarget(rawURL string, app uint64, key, admin string, p proc) (*target, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want http://host:port or https://host:port", rawURL)
	}
	sig, err := auth.GenUserSig(app, key, admin, sigExpire, time.Now())
	if err != nil {
		return nil, err
	}
	t := &target{url: strings.TrimSuffix(rawURL, "/"), app: app, key: key, admin: admin, adminSig: sig,
		proc: p, imported: map[string]bool{}}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() && ip.To4() != nil {
		t.loopback = true
	} else if u.Hostname() == "localhost" {
		t.loopback = true
	}
	return t, nil
}

// startNode starts a Parley node in this process on a loopback port with a
// fresh app, and returns it as a target with a cleanup that stops it and
// removes its temporary data. store is "memory", "sqlite" (a temporary
// file) or "sqlite:PATH".
func startNode(ctx context.Context, store string, log *slog.Logger) (*target, func(), error) {
	dir, err := os.MkdirTemp("", "parley-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if store == "" || store == "sqlite" {
		store = "sqlite:" + filepath.Join(dir, "parley.db")
	}
	app, err := config.NewApp()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	// Group frequency control off: groupsend and grouphistory measure the
	// store and the fan-out, not the documented 40 messages/s per group.
	cfg := &config.Config{Listen: "127.0.0.1:0", DataDir: dir, Store: store, Apps: []config.AppConfig{app}, GroupMsgRate: -1}
	n, err := node.New(ctx, cfg, node.Options{Logger: log})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	if err := n.Start(); err != nil {
		n.Shutdown(context.Background())
		cleanup()
		return nil, nil, err
	}
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := n.Shutdown(sctx); err != nil {
			log.Warn("bench: node shutdown", "err", err)
		}
		cleanup()
	}
	t, err := newTarget("http://"+n.Addr().String(), app.SDKAppID, string(app.Key), app.Admins[0], selfProc("server"))
	if err != nil {
		stop()
		return nil, nil, err
	}
	t.node = n
	return t, stop, nil
}

// userSig signs a UserSig for user.
func (t *target) userSig(user string) (string, error) {
	return auth.GenUserSig(t.app, t.key, user, sigExpire, time.Now())
}

// importUsers imports the accounts not imported yet in this run, 100 per
// multiaccount_import, a few requests at a time. A null target needs none.
func (t *target) importUsers(ctx context.Context, users []string) error {
	if t.null {
		return nil
	}
	t.mu.Lock()
	var todo []string
	for _, u := range users {
		if !t.imported[u] {
			todo = append(todo, u)
		}
	}
	t.mu.Unlock()
	r := newREST(t, 4)
	defer r.Close()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	batches := make(chan []string)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for batch := range batches {
				body := []byte(`{"Accounts":["` + strings.Join(batch, `","`) + `"]}`)
				err := r.post(ctx, r.url("im_open_login_svc/multiaccount_import", rand.Uint32()), body, &buf)
				if err == nil && bytes.Contains(buf.Bytes(), []byte(`"FailAccounts":["`)) {
					err = fmt.Errorf("multiaccount_import: some accounts failed: %s", buf.Bytes())
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("import accounts: %w", err)
				}
				if err == nil {
					t.mu.Lock()
					for _, u := range batch {
						t.imported[u] = true
					}
					t.mu.Unlock()
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < len(todo); i += 100 {
		batches <- todo[i:min(i+100, len(todo))]
	}
	close(batches)
	wg.Wait()
	return firstErr
}

// dialer connects devices. Connections to a loopback server are spread over
// source addresses 127.0.0.1, 127.0.0.2 … (connsPerAddr each), so that more
// connections can be open than one address has ephemeral ports.
type dialer struct {
	t       *target
	dialers []*websocket.Dialer
	// events is client.Config.EventBuffer.
	events int
}

// connsPerAddr is how many connections share one source address: below the
// usual ephemeral range (32768–60999, 28k ports) with room for other sockets.
const connsPerAddr = 20_000

// newDialer prepares a dialer for up to conns connections, each holding at
// most events undelivered events.
func newDialer(t *target, conns, events int) *dialer {
	return newDialerSpread(t, conns, events, connsPerAddr)
}

// newDialerSpread is newDialer with perAddr connections per source address
// (at most connsPerAddr).
func newDialerSpread(t *target, conns, events, perAddr int) *dialer {
	perAddr = min(max(perAddr, 1), connsPerAddr)
	d := &dialer{t: t, events: events}
	// Small buffers and a shared write-buffer pool, as the server has: an
	// idle client connection holds little memory, which matters when the
	// load generator and the server share a process.
	pool := &sync.Pool{}
	addrs := 1
	if t.loopback {
		addrs = min(max(1, (conns+perAddr-1)/perAddr), 254)
	}
	for i := range addrs {
		nd := &net.Dialer{Timeout: 10 * time.Second}
		if t.loopback && addrs > 1 {
			nd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(i+1))}
		}
		d.dialers = append(d.dialers, &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: 10 * time.Second,
			ReadBufferSize:   1024,
			WriteBufferSize:  1024,
			WriteBufferPool:  pool,
		})
	}
	return d
}

// dial connects device number i as user.
func (d *dialer) dial(ctx context.Context, i int, user string) (*client.Conn, error) {
	sig, err := d.t.userSig(user)
	if err != nil {
		return nil, err
	}
	return client.Dial(ctx, client.Config{
		URL: d.t.url, SDKAppID: d.t.app, User: user, UserSig: sig,
		Platform: "PC", Device: fmt.Sprintf("bench-%d", i),
		EventBuffer: d.events, Dialer: d.dialers[i%len(d.dialers)],
	})
}

// closeAll closes conns, a few at a time.
func closeAll(conns []*client.Conn) {
	var wg sync.WaitGroup
	ch := make(chan *client.Conn)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range ch {
				c.Close()
			}
		}()
	}
	for _, c := range conns {
		if c != nil {
			ch <- c
		}
	}
	close(ch)
	wg.Wait()
}
