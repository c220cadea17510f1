// Package node builds one Parley server from a Config: it picks the store,
// wires core, the dialects and the HTTP listener, and shuts them down in
// reverse order. It holds no rules.
package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/parleyim/parley/internal/api/tim"
	"github.com/parleyim/parley/internal/bus"
	"github.com/parleyim/parley/internal/bus/local"
	"github.com/parleyim/parley/internal/config"
	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/gateway"
	"github.com/parleyim/parley/internal/store/memory"
	"github.com/parleyim/parley/internal/store/sqlite"
	"github.com/parleyim/parley/protocol"
)

// Options are what a node needs besides its Config. The zero value is ready.
type Options struct {
	Logger *slog.Logger
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// RetentionEvery is how often old history is purged. Zero means an hour.
	RetentionEvery time.Duration
	// Gateway tunes the WebSocket gateway.
	Gateway gateway.Config
}

// Node is one running server.
type Node struct {
	cfg      *config.Config
	log      *slog.Logger
	store    core.Store
	bus      bus.Bus
	Service  *core.Service
	TIM      *tim.Handler
	Gateway  *gateway.Gateway
	server   *http.Server
	listener net.Listener

	stop context.CancelFunc // ends background loops
	bg   sync.WaitGroup
}

// New opens the store and builds the node; Start begins serving.
func New(ctx context.Context, cfg *config.Config, opt Options) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	n := &Node{cfg: cfg, log: opt.Logger}
	var err error
	if n.store, err = openStore(ctx, cfg); err != nil {
		return nil, err
	}
	n.Service, err = core.New(ctx, core.Config{Store: n.store, Apps: cfg.CoreApps(), Now: opt.Now, Logger: opt.Logger})
	if err != nil {
		n.store.Close()
		return nil, err
	}
	n.TIM = tim.New(n.Service, tim.Config{Now: opt.Now, Logger: opt.Logger})
	n.bus = local.New()
	gwCfg := opt.Gateway
	if gwCfg.Now == nil {
		gwCfg.Now = opt.Now
	}
	if gwCfg.Logger == nil {
		gwCfg.Logger = opt.Logger
	}
	n.Gateway = gateway.New(n.Service, n.bus, gwCfg)
	n.Service.SetPresence(n.Gateway)
	n.Service.SetLiveDelivery(n.Gateway)
	feed, ok := n.store.(core.CommitFeed)
	if !ok {
		n.store.Close()
		return nil, fmt.Errorf("store %T reports no commits", n.store)
	}
	feed.SetCommitFeed(n.Gateway.Publish)
	if fi, ok := n.store.(core.FeedInterest); ok {
		fi.SetFeedInterest(n.Gateway.Listens)
	}
	mux := http.NewServeMux()
	mux.Handle("/v4/", n.TIM)
	mux.Handle("GET "+protocol.Path, n.Gateway)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	n.server = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(opt.Logger.Handler(), slog.LevelWarn),
	}
	bgCtx, stop := context.WithCancel(context.Background())
	n.stop = stop
	every := opt.RetentionEvery
	if every <= 0 {
		every = time.Hour
	}
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		n.Service.RunRetention(bgCtx, every)
	}()
	return n, nil
}

func openStore(ctx context.Context, cfg *config.Config) (core.Store, error) {
	kind, path := cfg.StoreKind()
	switch kind {
	case "memory":
		return memory.New(), nil
	case "sqlite":
		return sqlite.Open(ctx, path, sqlite.Options{SyncNormal: cfg.SQLiteSync == "normal"})
	}
	return nil, fmt.Errorf("unknown store %q", cfg.Store)
}

// Start listens on the configured address and serves in the background. When
// it returns, the listener accepts connections (GET /healthz answers 200).
func (n *Node) Start() error {
	ln, err := net.Listen("tcp", n.cfg.Listen)
	if err != nil {
		return err
	}
	if n.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(n.cfg.TLSCert, n.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		n.server.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	n.listener = ln
	go func() {
		var err error
		if n.server.TLSConfig != nil {
			err = n.server.ServeTLS(ln, "", "")
		} else {
			err = n.server.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("serve", "err", err)
		}
	}()
	return nil
}

// Store returns the node's store (for tools and tests that inspect it).
func (n *Node) Store() core.Store { return n.store }

// Addr returns the listener's address (useful with port 0).
func (n *Node) Addr() net.Addr { return n.listener.Addr() }

// Shutdown stops accepting, lets in-flight requests finish (until ctx ends),
// tells devices to reconnect, stops background work, then flushes and closes
// the store and the bus.
func (n *Node) Shutdown(ctx context.Context) error {
	var errs []error
	if n.listener != nil {
		errs = append(errs, n.server.Shutdown(ctx))
	}
	errs = append(errs, n.Gateway.Shutdown(ctx))
	n.stop()
	n.bg.Wait()
	errs = append(errs, n.store.Close(), n.bus.Close())
	return errors.Join(errs...)
}
