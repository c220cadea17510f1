// Package gateway owns devices' WebSocket sessions: login with a UserSig,
// live delivery of each user's events in sync order, catch-up after a
// reconnect, presence, and the requests devices make (which it hands to
// core). It speaks the protocol of package protocol; rules live in core.
package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parleyim/parley/internal/auth"
	"github.com/parleyim/parley/internal/bus"
	"github.com/parleyim/parley/internal/core"
)

// Config tunes the gateway. The zero value is ready to use.
type Config struct {
	// QueueFrames is how many frames a session may have waiting before it
	// is closed with CloseSlow and its device resyncs. Zero means 512.
	QueueFrames int
	// PingInterval is how often sessions are pinged. Zero means 25s.
	PingInterval time.Duration
	// IdleTimeout closes a session that sent nothing (not even a pong) for
	// this long. Zero means 2.5 × PingInterval.
	IdleTimeout time.Duration
	// LoginTimeout closes a connection whose login frame does not come in
	// time. Zero means 10s.
	LoginTimeout time.Duration
	// WriteTimeout bounds one write to a socket. Zero means 10s.
	WriteTimeout time.Duration
	// MaxFrameBytes bounds a frame from a device. Zero means 64 KiB.
	MaxFrameBytes int64
	// PushOnlineFor is how long a device that registered a push token shows
	// as PushOnline after it disconnected. Zero means 7 days.
	PushOnlineFor time.Duration
	// Now is the clock. Nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.QueueFrames <= 0 {
		c.QueueFrames = 512
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = c.PingInterval * 5 / 2
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 64 << 10
	}
	if c.PushOnlineFor <= 0 {
		c.PushOnlineFor = 7 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Gateway serves GET /v1/ws. It implements core.Presence and
// core.LiveDelivery, and takes the store's committed inbox entries through
// Publish.
type Gateway struct {
	cfg      Config
	svc      *core.Service
	bus      bus.Bus
	sigs     *auth.Verifier
	hub      *hub
	groups   *groupHub
	upgrader websocket.Upgrader
	pub      *publisher

	ctx    context.Context // ends at Shutdown: background work and sessions
	cancel context.CancelFunc
	wg     sync.WaitGroup // sessions and loops
	closed atomic.Bool

	// Panics counts requests that hit the recover at the boundary: a bug.
	Panics atomic.Int64
}

var (
	_ core.Presence     = (*Gateway)(nil)
	_ core.LiveDelivery = (*Gateway)(nil)
)

// New returns a gateway serving svc's users, delivering through b. Call
// Shutdown to stop it.
func New(svc *core.Service, b bus.Bus, cfg Config) *Gateway {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{
		cfg:    cfg,
		svc:    svc,
		bus:    b,
		sigs:   auth.NewVerifier(0),
		ctx:    ctx,
		cancel: cancel,
	}
	g.hub = newHub(g)
	g.groups = newGroupHub(g)
	g.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
		// Write buffers are taken from the pool only while a frame is being
		// written: idle sessions hold none.
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true }, // devices authenticate with UserSigs, not cookies
	}
	g.pub = newPublisher(g)
	g.wg.Add(2)
	go func() { defer g.wg.Done(); g.pub.run(ctx) }()
	go func() { defer g.wg.Done(); g.pingLoop(ctx) }()
	return g
}

// ServeHTTP upgrades the request to a WebSocket session.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.closed.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	conn, err := g.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the error
	}
	s := newSession(g, conn)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		s.run()
	}()
}

// Shutdown tells every device to reconnect elsewhere (a bye frame and close
// code 1001), stops taking connections and waits for sessions to end or ctx.
func (g *Gateway) Shutdown(ctx context.Context) error {
	if g.closed.Swap(true) {
		return nil
	}
	for _, s := range g.hub.all() {
		s.closeGracefully(websocket.CloseGoingAway, "server shutting down, reconnect")
	}
	done := make(chan struct{})
	go func() {
		g.hub.waitEmpty(ctx)
		g.cancel()
		g.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, s := range g.hub.all() {
			s.conn.Close()
		}
		g.cancel()
		return ctx.Err()
	}
}

// Devices implements core.Presence.
func (g *Gateway) Devices(app core.AppID, user string) []core.Device {
	return g.hub.devices(userKey{app, user}, g.cfg.Now())
}

// pingLoop pings every session each PingInterval so that dead connections
// are noticed (IdleTimeout) and proxies keep idle ones open.
func (g *Gateway) pingLoop(ctx context.Context) {
	t := time.NewTicker(g.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, s := range g.hub.all() {
				s.enqueue(outFrame{ping: true})
			}
		}
	}
}
