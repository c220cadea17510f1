package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/parleyim/parley/internal/bench"
	"github.com/parleyim/parley/internal/config"
)

// benchCmd runs "parley bench" until it ends, Ctrl-C or SIGTERM.
func benchCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runBench(ctx, args, stdout, stderr)
}

// runBench parses the flags and runs the load generator (or, with
// --serve-null, a null server until ctx ends). Exit codes: 0 when every
// operation succeeded, 1 when any failed or the run could not start or was
// interrupted, 2 for bad flags.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, serveNull, code := parseBench(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	if serveNull != "" {
		err := bench.ServeNull(ctx, serveNull, func(url string) {
			fmt.Fprintf(stdout, "parley bench: null server at %s (pid %d); Ctrl-C to stop\n", url, os.Getpid())
		})
		if err != nil {
			fmt.Fprintln(stderr, "parley bench:", err)
			return 1
		}
		return 0
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "parley bench:", err)
		return 1
	}
	if rep.Failed() {
		return 1
	}
	return 0
}

// rateFlag is an operations-per-second figure: "2000" or "2000/s".
type rateFlag float64

func (r *rateFlag) String() string { return strconv.FormatFloat(float64(*r), 'f', -1, 64) }

func (r *rateFlag) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "/s"), 64)
	if err != nil || v < 0 {
		return fmt.Errorf("want operations per second, like 2000 or 2000/s")
	}
	*r = rateFlag(v)
	return nil
}

// intList is a comma-separated list of positive integers: "1,1000".
type intList []int

func (l *intList) String() string {
	parts := make([]string, len(*l))
	for i, v := range *l {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

func (l *intList) Set(s string) error {
	var out intList
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 {
			return fmt.Errorf("want positive numbers separated by commas, like 1,1000")
		}
		out = append(out, v)
	}
	*l = out
	return nil
}

// parseBench reads the flags into a Config; code is -1 when bench should
// run, else the exit code.
func parseBench(args []string, stdout, stderr io.Writer) (cfg bench.Config, serveNull string, code int) {
	d := bench.Defaults()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.URL, "url", "", "Parley server to drive (http://host:port); default: start one in this process")
	fs.Uint64Var(&cfg.SDKAppID, "sdkappid", 0, "SDKAppID of the server at --url (default: the first-run app in --data-dir)")
	fs.StringVar(&cfg.Key, "key", "", "that app's secret key (default: the first-run app in --data-dir)")
	fs.StringVar(&cfg.Admin, "admin", d.Admin, "app admin the REST requests are signed as")
	dataDir := fs.String("data-dir", config.DefaultDataDir, "where the server at --url keeps its first-run app (app.json)")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "process id of the server at --url, to report its CPU and RSS from /proc")
	fs.StringVar(&cfg.Store, "store", d.Store, "in-process server's store: sqlite (temporary file), sqlite:PATH or memory")
	fs.StringVar(&cfg.CeilingURL, "ceiling-url", "", "null server for the ceiling (parley bench --serve-null); default: one in this process")
	fs.IntVar(&cfg.CeilingPID, "ceiling-pid", 0, "process id of the --ceiling-url server, to report its CPU and RSS")
	fs.StringVar(&serveNull, "serve-null", "", "only run a null server on this host:port until Ctrl-C (for --ceiling-url)")
	scenarios := fs.String("scenario", "all", "comma-separated scenarios: "+strings.Join(bench.Scenarios, ", ")+", or all")
	fs.DurationVar(&cfg.Duration, "duration", d.Duration, "measured time of each scenario, and how long conns holds its connections")
	fs.DurationVar(&cfg.Warmup, "warmup", d.Warmup, "unmeasured load before each scenario's measured time (0: none)")
	fs.IntVar(&cfg.Clients, "clients", d.Clients, "concurrent workers: keep-alive HTTP connections, receivers or device pairs")
	var rate rateFlag
	fs.Var(&rate, "rate", "open loop: operations per second in total, latency from each one's due time (default: closed loop)")
	fs.IntVar(&cfg.Users, "users", d.Users, "accounts that sendmsg and e2e send between")
	fs.IntVar(&cfg.BodyBytes, "body-bytes", d.BodyBytes, "length of each message's text")
	fs.IntVar(&cfg.Conns, "conns", d.Conns, "idle devices the conns scenario connects")
	fs.IntVar(&cfg.Prefill, "prefill", d.Prefill, "messages the history scenario puts in its conversation first")
	fs.IntVar(&cfg.Page, "page", d.Page, "MaxCnt of each history page, ReqMsgNumber of each grouphistory page (at most 20)")
	fs.IntVar(&cfg.Members, "members", d.Members, "online members of the fanout group, one device each")
	fs.IntVar(&cfg.Messages, "messages", d.Messages, "messages fanout sends into its group (after one warm-up message)")
	groups := intList(d.Groups)
	fs.Var(&groups, "groups", "comma-separated group counts groupsend sends into, round robin: one row each")
	fs.DurationVar(&cfg.Timeout, "timeout", d.Timeout, "bound on one operation")
	fs.StringVar(&cfg.JSONPath, "json", "", "also write the report as JSON to this file")
	quiet := fs.Bool("quiet", false, "no progress lines, only the table")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: parley bench [flags]

Drives a Parley server (--url) or one it starts in-process, scenario by
scenario, prints a progress line every second and then a table: throughput,
latency percentiles, errors by code, server CPU and RSS, and each result as a
ratio of the null-server ceiling measured in the same run. Exits 1 if any
operation failed. See "go doc github.com/parleyim/parley/internal/bench".

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, "", 0
		}
		return cfg, "", 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley bench: unexpected arguments %v\n", fs.Args())
		return cfg, "", 2
	}
	if serveNull != "" {
		return cfg, serveNull, -1
	}
	// Zero means "the default" in a Config; on the command line it is a mistake.
	for _, f := range []struct {
		name string
		bad  bool
	}{{"clients", cfg.Clients < 1}, {"users", cfg.Users < 2}, {"body-bytes", cfg.BodyBytes < 1}, {"conns", cfg.Conns < 1},
		{"prefill", cfg.Prefill < 1}, {"page", cfg.Page < 1}, {"duration", cfg.Duration <= 0}, {"timeout", cfg.Timeout <= 0},
		{"members", cfg.Members < 1}, {"messages", cfg.Messages < 1}} {
		if f.bad {
			fmt.Fprintf(stderr, "parley bench: --%s is too small\n", f.name)
			return cfg, "", 2
		}
	}
	cfg.Rate = float64(rate)
	cfg.Groups = groups
	cfg.Scenarios = strings.Split(*scenarios, ",")
	if cfg.Warmup == 0 {
		cfg.Warmup = -1 // none; zero in a Config means the default
	}
	if *quiet {
		cfg.Progress = io.Discard
	}
	cfg.Out = stdout
	if cfg.URL != "" && (cfg.SDKAppID == 0 || cfg.Key == "") {
		app, err := readFirstRunApp(*dataDir)
		if err != nil {
			fmt.Fprintf(stderr, "parley bench: --url without --sdkappid and --key, and no first-run app: %v\n", err)
			return cfg, "", 2
		}
		if cfg.SDKAppID == 0 {
			cfg.SDKAppID = app.SDKAppID
		}
		if cfg.Key == "" {
			cfg.Key = app.Key
		}
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "parley bench:", err)
		return cfg, "", 2
	}
	return cfg, "", -1
}
