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
	rep, _ := smoke(t, Config{Scenarios: []string{"ceiling", "sendmsg"}, Store: "memory"},
		"ceiling-http", "ceiling-e2e", "ceiling-e2e/rest", "ceiling-ws", "ceiling-ws/ack", "sendmsg")
	if r := findRow(rep, "sendmsg"); r.CeilingRatio == nil || *r.CeilingRatio <= 0 {
		t.Errorf("sendmsg after a ceiling: ratio %v, want one", r.CeilingRatio)
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
