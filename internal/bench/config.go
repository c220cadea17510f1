package bench

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"
)

// Scenarios lists every scenario in the order "all" runs them: the ceiling
// first, while the machine is fresh, then conns, whose memory figures are
// cleanest on a server that has not yet filled its SQLite caches, and
// history and grouphistory last, because their pre-fills grow the store the
// most.
var Scenarios = []string{"ceiling", "conns", "sendmsg", "e2e", "device", "fanout", "groupsend", "history", "grouphistory"}

// Config is one invocation of the load generator. Each field's zero value is
// the documented default; Run validates it and reports every problem at once.
type Config struct {
	// URL is the Parley server to drive (http:// or https://). Empty starts
	// one in this process on a loopback port, with Store.
	URL string
	// SDKAppID and Key are the app of a server at URL; requests are signed
	// with Key. Admin is the app admin REST requests are made as; empty
	// means "administrator". An in-process server gets a fresh app.
	SDKAppID uint64
	Key      string
	Admin    string
	// ServerPID, with URL, is the server's process on this machine: its CPU
	// time and RSS are read from /proc. Zero: not measured.
	ServerPID int
	// Store is the in-process server's store: "sqlite" (a file in a
	// temporary directory, removed afterwards), "sqlite:PATH" or "memory".
	// Empty means "sqlite".
	Store string
	// CeilingURL is a null server (ServeNull, "parley bench --serve-null")
	// for the ceiling scenario; CeilingPID is its process. Empty starts one
	// in this process, next to the load generator.
	CeilingURL string
	CeilingPID int

	// Scenarios to run, in this order; "all" stands for every one of
	// Scenarios. Empty means all.
	Scenarios []string
	// Duration is each scenario's measured time (and how long conns holds
	// its connections). Zero means 10s.
	Duration time.Duration
	// Warmup runs the load unmeasured before Duration. Zero means 2s;
	// negative means none.
	Warmup time.Duration
	// Clients is the number of concurrent workers (keep-alive HTTP
	// connections, or device pairs). Zero means 16.
	Clients int
	// Rate, when positive, runs open loop: this many operations per second
	// in total, on a fixed schedule, at most Clients at a time, latency
	// counted from each operation's due time. Zero: closed loop.
	Rate float64
	// Users is the number of accounts sendmsg and e2e send between (at
	// least 2). Zero means 1000.
	Users int
	// BodyBytes is the length of each message's text. Zero means 64.
	BodyBytes int
	// Conns is the number of idle devices conns connects. Zero means 2000.
	Conns int
	// Prefill is how many messages history puts in its conversation first.
	// Zero means 100,000.
	Prefill int
	// Page is admin_getroammsg's MaxCnt in history and group_msg_get_simple's
	// ReqMsgNumber in grouphistory. Zero means 20.
	Page int
	// Members is how many online members fanout's group has. Zero means
	// 1000.
	Members int
	// Messages is how many messages fanout sends (after one unmeasured
	// warm-up message). Zero means 30.
	Messages int
	// Groups lists the group counts groupsend sends into, round robin: one
	// row each. Empty means 1 and 1000.
	Groups []int
	// Timeout bounds one operation. Zero means 10s.
	Timeout time.Duration

	// JSONPath, if set, is where the report is written as JSON.
	JSONPath string
	// Out receives the table. Nil means os.Stdout.
	Out io.Writer
	// Progress receives a line per second while a scenario runs. Nil means
	// os.Stderr; io.Discard silences it.
	Progress io.Writer
	// Logger is the in-process server's. Nil means warnings and errors to
	// Progress.
	Logger *slog.Logger
}

// Defaults returns the Config Run uses for zero fields (Out, Progress and
// Logger stay nil).
func Defaults() Config {
	c := Config{Out: io.Discard, Progress: io.Discard}.withDefaults()
	c.Out, c.Progress, c.Logger, c.Scenarios = nil, nil, nil, nil
	return c
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Clients, 16)
	def(&c.Users, 1000)
	def(&c.BodyBytes, 64)
	def(&c.Conns, 2000)
	def(&c.Prefill, 100_000)
	def(&c.Page, 20)
	def(&c.Members, 1000)
	def(&c.Messages, 30)
	if len(c.Groups) == 0 {
		c.Groups = []int{1, 1000}
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	switch {
	case c.Warmup == 0:
		c.Warmup = 2 * time.Second
	case c.Warmup < 0:
		c.Warmup = 0
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Admin == "" {
		c.Admin = "administrator"
	}
	if c.Store == "" {
		c.Store = "sqlite"
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.Progress == nil {
		c.Progress = os.Stderr
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(c.Progress, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	var sc []string
	for _, s := range c.Scenarios {
		if s == "all" {
			sc = append(sc, Scenarios...)
		} else if s != "" {
			sc = append(sc, s)
		}
	}
	if len(sc) == 0 {
		sc = slices.Clone(Scenarios)
	}
	c.Scenarios = sc
	return c
}

// Validate reports every problem of c at once (Run does the same first).
func (c Config) Validate() error { return c.withDefaults().validate() }

// validate reports every problem of a Config with defaults filled.
func (c Config) validate() error {
	var errs []error
	for _, s := range c.Scenarios {
		if !slices.Contains(Scenarios, s) {
			errs = append(errs, fmt.Errorf("scenario %q: want one of %s or all", s, strings.Join(Scenarios, ", ")))
		}
	}
	if c.URL != "" {
		if c.SDKAppID == 0 || c.Key == "" {
			errs = append(errs, errors.New("--url needs --sdkappid and --key"))
		}
		if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
			errs = append(errs, fmt.Errorf("url %q: want http:// or https://", c.URL))
		}
	} else {
		if s := c.Store; s != "memory" && s != "sqlite" && !strings.HasPrefix(s, "sqlite:") {
			errs = append(errs, fmt.Errorf("store %q: want memory, sqlite or sqlite:PATH", s))
		}
		if c.ServerPID != 0 {
			errs = append(errs, errors.New("--server-pid is for a server at --url; an in-process server is this process"))
		}
	}
	if c.CeilingPID != 0 && c.CeilingURL == "" {
		errs = append(errs, errors.New("--ceiling-pid needs --ceiling-url"))
	}
	positive := []struct {
		name string
		v    int
	}{{"clients", c.Clients}, {"body-bytes", c.BodyBytes}, {"conns", c.Conns}, {"prefill", c.Prefill}, {"page", c.Page},
		{"members", c.Members}, {"messages", c.Messages}}
	for _, p := range positive {
		if p.v < 1 {
			errs = append(errs, fmt.Errorf("%s must be at least 1", p.name))
		}
	}
	if c.Users < 2 {
		errs = append(errs, errors.New("users must be at least 2"))
	}
	if c.Prefill > 1<<31 {
		errs = append(errs, errors.New("prefill is at most 2^31"))
	}
	if c.Page > maxGroupPage && slices.Contains(c.Scenarios, "grouphistory") {
		errs = append(errs, fmt.Errorf("page %d: group_msg_get_simple answers at most %d messages", c.Page, maxGroupPage))
	}
	if c.Members > maxFanoutMembers {
		errs = append(errs, fmt.Errorf("members is at most %d (a Community's member limit)", maxFanoutMembers))
	}
	for _, g := range c.Groups {
		if g < 1 || g > maxSendGroups {
			errs = append(errs, fmt.Errorf("groups %d: want 1 to %d", g, maxSendGroups))
		}
	}
	if c.Rate < 0 {
		errs = append(errs, errors.New("rate must not be negative"))
	}
	if c.Duration < 0 || c.Timeout < 0 {
		errs = append(errs, errors.New("duration and timeout must be positive"))
	}
	return errors.Join(errs...)
}

// fileBudget checks that conns and fanout can have their connections open
// at once: each takes one descriptor in this process, two when the server
// (or, for the ceiling, the null server) runs here too.
func (c Config) fileBudget(limit uint64) error {
	if limit == 0 {
		return nil
	}
	var errs []error
	check := func(scenario, flag string, conns int, serverHere bool) {
		per := uint64(1)
		if serverHere {
			per = 2
		}
		need := uint64(conns)*per + 256
		if need <= limit {
			return
		}
		hint := "lower --" + flag
		if serverHere {
			hint = "lower --" + flag + ", or run the server as its own process (parley serve) and pass --url and --server-pid"
			if scenario == "ceiling" {
				hint = "lower --" + flag + ", or run the null server as its own process (parley bench --serve-null) and pass --ceiling-url"
			}
		}
		errs = append(errs, fmt.Errorf("%s %d needs about %d open files in this process, but RLIMIT_NOFILE is %d (the hard limit; raise it with ulimit -Hn as root): %s",
			scenario, conns, need, limit, hint))
	}
	if slices.Contains(c.Scenarios, "conns") {
		check("conns", "conns", c.Conns, c.URL == "")
	}
	if slices.Contains(c.Scenarios, "fanout") {
		check("fanout", "members", c.Members, c.URL == "")
		if slices.Contains(c.Scenarios, "ceiling") {
			check("ceiling", "members", c.Members, c.CeilingURL == "")
		}
	}
	return errors.Join(errs...)
}
