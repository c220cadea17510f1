package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/parleyim/parley/internal/auth"
	"github.com/parleyim/parley/internal/config"
	"github.com/parleyim/parley/internal/node"
)

// shutdownGrace bounds how long in-flight requests may take after a signal.
const shutdownGrace = 30 * time.Second

func serve(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(args, os.Getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "parley serve:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}))
	created, err := cfg.EnsureApp()
	if err != nil {
		fmt.Fprintln(stderr, "parley serve: first-run app:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := node.New(ctx, cfg, node.Options{Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		return 1
	}
	if err := n.Start(); err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		n.Shutdown(context.Background())
		return 1
	}
	if cfg.DebugListen != "" {
		dbg, err := startDebug(cfg.DebugListen, log)
		if err != nil {
			fmt.Fprintln(stderr, "parley serve: debug listener:", err)
			n.Shutdown(context.Background())
			return 1
		}
		defer dbg.Close()
	}
	printBanner(stdout, cfg, n.Addr().String(), created)
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := n.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

// startDebug serves Go's profiler on its own listener, so that profiling a
// loaded server never shares (or exposes) the API's address.
func startDebug(addr string, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("debug listener", "err", err)
		}
	}()
	log.Info("profiler listening", "addr", ln.Addr().String())
	return srv, nil
}

func logLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// printBanner tells a new user everything needed for a first request.
func printBanner(w io.Writer, cfg *config.Config, addr string, created bool) {
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	kind, path := cfg.StoreKind()
	store := kind
	if path != "" {
		store += " " + path
	}
	fmt.Fprintf(w, "Parley is listening on %s://%s (store: %s)\n", scheme, addr, store)
	for _, a := range cfg.Apps {
		admin := a.Admins[0]
		fmt.Fprintf(w, "\n  SDKAppID: %d\n  admin:    %s\n", a.SDKAppID, admin)
		if created {
			fmt.Fprintf(w, "  key:      %s\n  (new app; kept in %s)\n", string(a.Key), filepath.Join(cfg.DataDir, "app.json"))
		}
		sig, err := auth.GenUserSig(a.SDKAppID, string(a.Key), admin, 24*3600, time.Now())
		if err != nil {
			continue
		}
		fmt.Fprintf(w, "\n  Import an account (admin UserSig valid 24 h):\n")
		fmt.Fprintf(w, "  curl -s -X POST '%s://%s/v4/im_open_login_svc/account_import?sdkappid=%d&identifier=%s&usersig=%s&random=1&contenttype=json' -d '{\"UserID\":\"alice\",\"Nick\":\"Alice\"}'\n",
			scheme, addr, a.SDKAppID, admin, sig)
	}
	fmt.Fprintln(w)
}
