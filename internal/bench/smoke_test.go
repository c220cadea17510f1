package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// smoke runs one scenario against an in-process server with tiny sizes and
// checks that it works and reports: every named row measured something,
// nothing failed, the table ends with OK. Speed is not checked. It returns
// the report and the progress output.
func smoke(t *testing.T, cfg Config, rows ...string) (*Report, string) {
	t.Helper()
	var out, progress bytes.Buffer
	if cfg.Duration == 0 {
		cfg.Duration = 300 * time.Millisecond
	}
	cfg.Warmup = -1
	cfg.Clients = max(cfg.Clients, 2)
	cfg.Users = 4
	cfg.Timeout = 5 * time.Second
	cfg.Out, cfg.Progress = &out, &progress
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, progress.String())
	}
	if rep.Failed() {
		t.Fatalf("Run failed:\n%s\n%s", out.String(), progress.String())
	}
	for _, name := range rows {
		r := findRow(rep, name)
		if r == nil {
			t.Errorf("no row %q in\n%s", name, out.String())
			continue
		}
		if r.Ops == 0 || r.Latency.Count == 0 || (!r.Extra && r.Throughput <= 0) {
			t.Errorf("row %q measured nothing: %+v", name, *r)
		}
		if !strings.Contains(out.String(), "\n  "+name+" ") {
			t.Errorf("the table has no row %q:\n%s", name, out.String())
		}
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); !strings.HasPrefix(lines[len(lines)-1], "OK:") {
		t.Errorf("last line %q, want OK", lines[len(lines)-1])
	}
	return rep, progress.String()
}

func findRow(rep *Report, name string) *Result {
	for i := range rep.Results {
		if rep.Results[i].Name == name {
			return &rep.Results[i]
		}
	}
	return nil
}

func TestSmokeSendMsg(t *testing.T) {
	// Long enough for a progress line; with the JSON report.
	path := filepath.Join(t.TempDir(), "report.json")
	rep, progress := smoke(t, Config{Scenarios: []string{"sendmsg"}, Duration: 1100 * time.Millisecond, JSONPath: path}, "sendmsg")
	for _, want := range []string{"== sendmsg:", "\n  sendmsg ", "/s  errors 0"} {
		if !strings.Contains(progress, want) {
			t.Errorf("progress has no %q:\n%s", want, progress)
		}
	}
	if r := findRow(rep, "sendmsg"); runtime.GOOS == "linux" && (r.Server == nil || r.Server.RSS == 0) {
		t.Errorf("in-process sendmsg: no server CPU and RSS: %+v", r.Server)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Contains(b, []byte(`"name": "sendmsg"`)) {
		t.Errorf("JSON report: %v\n%s", err, b)
	}
}

func TestSmokeCeiling(t *testing.T) {
	rep, _ := smoke(t, Config{Scenarios: []string{"ceiling"}, Store: "memory"},
		"ceiling-http", "ceiling-e2e", "ceiling-e2e/rest", "ceiling-ws", "ceiling-ws/ack")
	if r := findRow(rep, "ceiling-fanout/last"); r != nil {
		t.Errorf("ceiling alone ran the fanout shape: %+v", *r)
	}
}

func TestSmokeCeilingShapes(t *testing.T) {
	// The ceiling runs the shapes of the other scenarios only, and each
	// row gets its ratio.
	rep, _ := smoke(t, Config{Scenarios: []string{"ceiling", "sendmsg", "device"}, Store: "memory"},
		"ceiling-http", "ceiling-ws", "ceiling-ws/ack", "sendmsg", "device")
	if r := findRow(rep, "ceiling-e2e"); r != nil {
		t.Errorf("ceiling ran the e2e shape for sendmsg and device: %+v", *r)
	}
	for _, name := range []string{"sendmsg", "device"} {
		if r := findRow(rep, name); r.CeilingRatio == nil || *r.CeilingRatio <= 0 {
			t.Errorf("%s after a ceiling: ratio %v, want one", name, r.CeilingRatio)
		}
	}
}

func TestSmokeFanout(t *testing.T) {
	rep, _ := smoke(t, Config{Scenarios: []string{"ceiling", "fanout"}, Members: 20, Messages: 5},
		"ceiling-fanout/first", "ceiling-fanout/last", "fanout/first", "fanout/last")
	for _, name := range []string{"ceiling-fanout/last", "fanout/last", "fanout/first"} {
		if r := findRow(rep, name); r.Ops != 100 || r.Latency.Count != 5 {
			t.Errorf("%s: %d frames and %d latencies, want 5 messages × 20 members", name, r.Ops, r.Latency.Count)
		}
	}
	if r := findRow(rep, "fanout/last"); r.CeilingRatio == nil || *r.CeilingRatio <= 0 {
		t.Errorf("fanout/last after a ceiling: ratio %v, want one", r.CeilingRatio)
	}
	if f, l := findRow(rep, "fanout/first").Latency, findRow(rep, "fanout/last").Latency; f.Max > l.Max {
		t.Errorf("the first member's frame came after the last's: first %+v, last %+v", f, l)
	}
}

func TestSmokeFanoutRate(t *testing.T) {
	// Open loop: messages due at a fixed rate overlap.
	rep, _ := smoke(t, Config{Scenarios: []string{"fanout"}, Members: 10, Messages: 10, Rate: 50}, "fanout/first", "fanout/last")
	if r := findRow(rep, "fanout/last"); r.Mode != "open" || r.Ops != 100 {
		t.Errorf("fanout at 50/s: mode %s, %d frames; want open and 100", r.Mode, r.Ops)
	}
}

func TestSmokeGroupSend(t *testing.T) {
	// Hundreds of sends into one group a second: the in-process server has
	// frequency control off, or they would fail.
	rep, _ := smoke(t, Config{Scenarios: []string{"groupsend"}, Groups: []int{1, 5}}, "groupsend-1group", "groupsend-5groups")
	if r := findRow(rep, "groupsend-1group"); r.Ops < 40 {
		t.Errorf("groupsend into one group: %d sends in %.1fs, want more than frequency control would let through", r.Ops, r.Seconds)
	}
}

func TestSmokeGroupHistory(t *testing.T) {
	rep, _ := smoke(t, Config{Scenarios: []string{"grouphistory"}, Prefill: 300, Page: 10}, "grouphistory/prefill", "grouphistory")
	if r := findRow(rep, "grouphistory/prefill"); r.Ops != 300 {
		t.Errorf("prefill: %d messages, want 300", r.Ops)
	}
}

func TestSmokeE2E(t *testing.T) {
	// Open loop: a fixed rate the tiny server easily keeps.
	rep, _ := smoke(t, Config{Scenarios: []string{"e2e"}, Rate: 100, Duration: 500 * time.Millisecond}, "e2e", "e2e/rest")
	if r := findRow(rep, "e2e"); r.Mode != "open" || r.Ops < 40 {
		t.Errorf("e2e at 100/s for 0.5s: mode %s, %d ops; want open and about 50", r.Mode, r.Ops)
	}
}

func TestSmokeDevice(t *testing.T) {
	smoke(t, Config{Scenarios: []string{"device"}}, "device", "device/ack")
}

func TestSmokeHistory(t *testing.T) {
	rep, _ := smoke(t, Config{Scenarios: []string{"history"}, Prefill: 300, Page: 10}, "history/prefill", "history")
	if r := findRow(rep, "history/prefill"); r.Ops != 300 {
		t.Errorf("prefill: %d messages, want 300", r.Ops)
	}
}

func TestSmokeConns(t *testing.T) {
	rep, _ := smoke(t, Config{Scenarios: []string{"conns"}, Conns: 200}, "conns")
	r := findRow(rep, "conns")
	if r.Ops != 200 {
		t.Errorf("conns: %d connected, want 200", r.Ops)
	}
	if runtime.GOOS == "linux" && (r.Server == nil || r.Server.RSSBefore == 0 || r.Server.RSS == 0) {
		t.Errorf("conns: no RSS before and after: %+v", r.Server)
	}
}
