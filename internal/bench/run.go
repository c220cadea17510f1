package bench

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Run runs cfg's scenarios one after another, printing a progress line every
// second while each works, then the table (Report.WriteTable) on cfg.Out,
// and writes the JSON report when cfg.JSONPath is set.
//
// Failed operations are counted in the report, never dropped: the caller
// exits non-zero when Report.Failed. A scenario that cannot be set up (an
// account import refused, a device that cannot log in) becomes a row with
// a "setup" error and the next scenario runs. Run returns an error, and no
// report, for an invalid Config or a server that cannot be started; when
// ctx ends it stops, prints what it measured and returns ctx's error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	limit := raiseFileLimit()
	if err := cfg.fileBudget(limit); err != nil {
		return nil, err
	}
	e := &env{cfg: cfg}
	defer e.close()
	rep := &Report{Started: time.Now().UTC(), Machine: machine(limit), Config: ConfigSummary{
		Scenarios: cfg.Scenarios, Duration: cfg.Duration.String(), Warmup: cfg.Warmup.String(), Clients: cfg.Clients,
		Rate: cfg.Rate, Users: cfg.Users, BodyBytes: cfg.BodyBytes, Conns: cfg.Conns, Prefill: cfg.Prefill,
		Page: cfg.Page, Timeout: cfg.Timeout.String(), Members: cfg.Members, Messages: cfg.Messages, Groups: cfg.Groups,
	}}
	if cfg.URL == "" {
		t, stop, err := startNode(ctx, cfg.Store, cfg.Logger)
		if err != nil {
			return nil, fmt.Errorf("start in-process server: %w", err)
		}
		e.closers = append(e.closers, stop)
		e.t = t
		rep.Target = "in-process (" + cfg.Store + ")"
		rep.Config.Store = cfg.Store
	} else {
		p := proc{}
		if cfg.ServerPID != 0 {
			p = pidProc(cfg.ServerPID)
		}
		t, err := newTarget(cfg.URL, cfg.SDKAppID, cfg.Key, cfg.Admin, p)
		if err != nil {
			return nil, err
		}
		e.t = t
		rep.Target = cfg.URL
	}
	where := rep.Target
	if cfg.URL == "" {
		where += " at " + e.t.url
	}
	fmt.Fprintf(cfg.Progress, "parley bench: %s; scenarios %v\n", where, cfg.Scenarios)
	for _, name := range cfg.Scenarios {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(cfg.Progress, "== %s: %s\n", name, e.plan(name))
		rows, err := e.scenario(ctx, name)
		if err != nil && ctx.Err() == nil {
			t := make(tally)
			t.addN("setup", 1, err.Error())
			rows = append(rows, Result{Name: name, Scenario: name, Mode: e.mode(), Clients: cfg.Clients,
				Errors: t.sorted(), ErrorsTotal: 1})
		}
		rep.Results = append(rep.Results, rows...)
	}
	rep.Interrupted = ctx.Err() != nil
	rep.finish()
	rep.WriteTable(cfg.Out)
	if cfg.JSONPath != "" {
		if err := rep.WriteJSON(cfg.JSONPath); err != nil {
			return rep, fmt.Errorf("write %s: %w", cfg.JSONPath, err)
		}
	}
	return rep, ctx.Err()
}

// env is one invocation's shared state: the server and, once a ceiling
// runs, the null server.
type env struct {
	cfg     Config
	t       *target // the Parley server
	null    *target // the null server; nil until the ceiling needs it
	closers []func()
}

func (e *env) close() {
	for _, c := range slices.Backward(e.closers) {
		c()
	}
}

// scenario runs one scenario and returns its rows.
func (e *env) scenario(ctx context.Context, name string) ([]Result, error) {
	switch name {
	case "ceiling":
		return e.ceiling(ctx)
	case "sendmsg":
		return e.sendmsg(ctx, e.t, name)
	case "e2e":
		return e.e2e(ctx, e.t, name)
	case "device":
		return e.device(ctx, e.t, name)
	case "history":
		return e.history(ctx)
	case "conns":
		return e.conns(ctx)
	case "fanout":
		return e.fanout(ctx, e.t, name)
	case "groupsend":
		return e.groupsend(ctx)
	case "grouphistory":
		return e.grouphistory(ctx)
	}
	return nil, fmt.Errorf("unknown scenario %q", name)
}

// plan describes a scenario's load for the progress output.
func (e *env) plan(name string) string {
	c := e.cfg
	load := fmt.Sprintf("%s, %d clients, %v warm-up + %v", e.mode(), c.Clients, c.Warmup, c.Duration)
	if c.Rate > 0 {
		load = fmt.Sprintf("open loop at %s/s, up to %d at once, %v warm-up + %v", formatRate(c.Rate), c.Clients, c.Warmup, c.Duration)
	}
	switch name {
	case "ceiling":
		var shapes []string
		for _, s := range c.Scenarios {
			if sh, ok := ceilingShapes[s]; ok && !slices.Contains(shapes, sh) {
				shapes = append(shapes, sh)
			}
		}
		if len(shapes) == 0 {
			shapes = []string{"ceiling-http", "ceiling-e2e", "ceiling-ws"}
		}
		p := fmt.Sprintf("the same loads against a null server (%s): %s", strings.Join(shapes, ", "), load)
		if slices.Contains(shapes, "ceiling-fanout") {
			p += fmt.Sprintf("; fanout to %d devices", c.Members)
		}
		return p
	case "history":
		return fmt.Sprintf("admin_getroammsg pages of %d in a conversation of %d messages: %s", c.Page, c.Prefill, load)
	case "grouphistory":
		return fmt.Sprintf("group_msg_get_simple pages of %d in a group of %d messages: %s", c.Page, c.Prefill, load)
	case "groupsend":
		return fmt.Sprintf("send_group_msg into %v groups of %d offline members, round robin: %s", c.Groups, groupSendMembers, load)
	case "conns":
		return fmt.Sprintf("%d idle devices, held %v", c.Conns, c.Duration)
	case "fanout":
		how := "one at a time"
		if c.Rate > 0 {
			how = "at " + formatRate(c.Rate) + "/s"
		}
		return fmt.Sprintf("%d messages (+1 warm-up) to a group of %d online members, %s, time to the first and the last member's frame", c.Messages, c.Members, how)
	}
	return load
}

func (e *env) mode() string {
	if e.cfg.Rate > 0 {
		return "open"
	}
	return "closed"
}

// newLoad returns the load every throughput scenario shares: Clients
// workers, Rate, Warmup + Duration, Timeout.
func (e *env) newLoad(name string) *load {
	return &load{name: name, workers: e.cfg.Clients, rate: e.cfg.Rate, duration: e.cfg.Duration,
		warmup: e.cfg.Warmup, timeout: e.cfg.Timeout, progress: e.cfg.Progress}
}

// measure runs l and samples t's server process when the window opens and
// closes.
func (e *env) measure(ctx context.Context, t *target, l *load) (outcome, *ServerStats) {
	var a, b procSample
	l.onWindow = func(open bool) {
		if open {
			a = t.proc.sample()
		} else {
			b = t.proc.sample()
		}
	}
	out := l.run(ctx)
	return out, serverStats(t.proc, a, b)
}

// results turns an outcome into its row, then one row per extra latency.
func results(scenario, name, shape string, t *target, l *load, out outcome, stats *ServerStats) []Result {
	mode := "closed"
	switch {
	case l.total > 0:
		mode = "count"
	case l.rate > 0:
		mode = "open"
	}
	main := Result{
		Name: name, Scenario: scenario, Shape: shape, Ceiling: t.null, Mode: mode, Clients: l.workers, Rate: l.rate,
		Seconds: out.Window.Seconds(), Ops: out.Ops, Throughput: out.Throughput(), Latency: summarize(out.Latency),
		Errors: out.Errors.sorted(), ErrorsTotal: out.Errors.total(), Server: stats,
	}
	if l.rate > 0 {
		main.MaxLagMs = float64(out.MaxLag) / float64(time.Millisecond)
		if out.MaxLag > 5*time.Millisecond {
			main.Notes = append(main.Notes, fmt.Sprintf("all %d workers were busy at times: operations started up to %s after they were due (counted in their latency); more --clients tells the load generator's queue from the server's",
				l.workers, formatMs(main.MaxLagMs, 1)))
		}
		if main.Throughput < 0.95*l.rate {
			main.Notes = append(main.Notes, fmt.Sprintf("achieved %s/s of the %s/s asked: raise --clients or the target is saturated",
				formatRate(main.Throughput), formatRate(l.rate)))
		}
	}
	rows := []Result{main}
	for _, k := range slices.Sorted(maps.Keys(out.Extra)) {
		x := main
		x.Name, x.Extra, x.Shape = name+"/"+k, true, shape+"/"+k
		x.Latency = summarize(out.Extra[k])
		x.Errors, x.ErrorsTotal, x.Notes, x.CeilingRatio = nil, 0, nil, nil
		rows = append(rows, x)
	}
	return rows
}

// ceilingShapes maps each scenario to the ceiling run of its shape.
var ceilingShapes = map[string]string{
	"sendmsg": "ceiling-http", "history": "ceiling-http", "groupsend": "ceiling-http", "grouphistory": "ceiling-http",
	"e2e": "ceiling-e2e", "device": "ceiling-ws", "fanout": "ceiling-fanout",
}

// ceiling runs, against a null server, the loads of the shapes the other
// scenarios of the invocation have: sendmsg's (ceiling-http), e2e's,
// device's (ceiling-ws) and fanout's. Alone, it runs the first three.
func (e *env) ceiling(ctx context.Context) ([]Result, error) {
	if e.null == nil {
		url, p := e.cfg.CeilingURL, proc{}
		if url == "" {
			s, err := StartNull("127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			e.closers = append(e.closers, func() { s.Close() })
			url, p = s.URL(), selfProc("null server")
		} else if e.cfg.CeilingPID != 0 {
			p = pidProc(e.cfg.CeilingPID)
		}
		// The null server checks no signature, but requests carry one all
		// the same so that they are the bytes the real server gets.
		key := "0000000000000000000000000000000000000000000000000000000000000000"
		t, err := newTarget(url, e.t.app, key, e.t.admin, p)
		if err != nil {
			return nil, err
		}
		t.null = true
		e.null = t
	}
	var rows []Result
	type run struct {
		name string
		f    func(context.Context, *target, string) ([]Result, error)
	}
	want := map[string]bool{}
	for _, s := range e.cfg.Scenarios {
		if c, ok := ceilingShapes[s]; ok {
			want[c] = true
		}
	}
	if len(want) == 0 {
		want = map[string]bool{"ceiling-http": true, "ceiling-e2e": true, "ceiling-ws": true}
	}
	all := []run{{"ceiling-http", e.sendmsg}, {"ceiling-e2e", e.e2e}, {"ceiling-ws", e.device}, {"ceiling-fanout", e.fanout}}
	for _, run := range all {
		if !want[run.name] {
			continue
		}
		r, err := run.f(ctx, e.null, run.name)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", run.name, err)
		}
		for i := range r {
			r[i].Scenario = "ceiling"
		}
		rows = append(rows, r...)
		if ctx.Err() != nil {
			break
		}
	}
	return rows, nil
}

// userNames returns n account names: prefix and a zero-padded number.
func userNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%06d", prefix, i)
	}
	return out
}
