package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// sampleReport is a report of every kind of row: ceilings, a scenario with
// an extra latency, errors, a count row and one without server numbers.
func sampleReport() *Report {
	lat := func(p50 float64) Latency {
		return Latency{Count: 1000, Mean: p50, P50: p50, P90: p50 * 2, P99: p50 * 4, P999: p50 * 8, Max: p50 * 20}
	}
	inproc := &ServerStats{Scope: "in-process: load generator and server in one process", CPUShare: 0.9, CPUCores: 1.8, Cores: 2, RSS: 64 << 20}
	null := &ServerStats{Scope: "in-process: load generator and null server in one process", CPUShare: 0.75, CPUCores: 1.5, Cores: 2, RSS: 24 << 20}
	return &Report{
		Target: "in-process (sqlite)",
		Results: []Result{
			{Name: "ceiling-http", Scenario: "ceiling", Shape: "http", Ceiling: true, Mode: "closed", Clients: 16, Seconds: 10, Ops: 300000, Throughput: 30000, Latency: lat(0.4), Server: null},
			{Name: "ceiling-ws", Scenario: "ceiling", Shape: "ws", Ceiling: true, Mode: "closed", Clients: 16, Seconds: 10, Ops: 200000, Throughput: 20000, Latency: lat(0.5), Server: null},
			{Name: "ceiling-ws/ack", Scenario: "ceiling", Shape: "ws/ack", Ceiling: true, Extra: true, Mode: "closed", Clients: 16, Seconds: 10, Ops: 200000, Throughput: 20000, Latency: lat(0.45), Server: null},
			{Name: "sendmsg", Scenario: "sendmsg", Shape: "http", Mode: "closed", Clients: 16, Seconds: 10, Ops: 120000, Throughput: 12000, Latency: lat(1.2), Server: inproc,
				Errors: []ErrorCount{{Kind: "tim 20003", Count: 3, Example: "ErrorCode 20003: To_Account not imported"}}, ErrorsTotal: 3},
			{Name: "e2e", Scenario: "e2e", Shape: "e2e", Mode: "open", Clients: 64, Rate: 2000, Seconds: 10, Ops: 20000, Throughput: 2000, Latency: lat(2.5), MaxLagMs: 1.5},
			{Name: "device", Scenario: "device", Shape: "ws", Mode: "closed", Clients: 1, Seconds: 10, Ops: 5000, Throughput: 500, Latency: lat(1.9), Server: inproc},
			{Name: "device/ack", Scenario: "device", Shape: "ws/ack", Extra: true, Mode: "closed", Clients: 1, Seconds: 10, Ops: 5000, Throughput: 500, Latency: lat(1.1), Server: inproc},
			{Name: "conns", Scenario: "conns", Mode: "count", Clients: 64, Seconds: 2, Ops: 2000, Throughput: 1000, Latency: lat(30),
				Server: &ServerStats{Scope: inproc.Scope, Cores: 2, RSS: 100 << 20, RSSBefore: 60 << 20, BytesPerConn: 20 << 10},
				Notes:  []string{"2000 idle connections held 10s: rss 60MiB before, 100MiB after, 20.0KiB per connection"}},
		},
	}
}

func TestReportFinish(t *testing.T) {
	r := sampleReport()
	r.finish()
	ratios := map[string]string{}
	for _, x := range r.Results {
		if x.CeilingRatio != nil {
			ratios[x.Name] = strings.TrimRight(strings.TrimRight(jsonString(t, *x.CeilingRatio), "0"), ".")
		}
	}
	want := map[string]string{"sendmsg": "0.4", "device": "0.025"} // e2e has no ceiling-e2e row; extras and ceilings get none
	if len(ratios) != len(want) || ratios["sendmsg"] != want["sendmsg"] || ratios["device"] != want["device"] {
		t.Errorf("ratios %v, want %v", ratios, want)
	}
	if r.Errors != 3 || !r.Failed() {
		t.Errorf("Errors %d, Failed %v; want 3, true", r.Errors, r.Failed())
	}
}

func jsonString(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteTable(t *testing.T) {
	r := sampleReport()
	r.finish()
	var buf bytes.Buffer
	r.WriteTable(&buf)
	golden(t, "table.golden", buf.Bytes())

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "FAILED: 3 errors (sendmsg 3)") {
		t.Errorf("last line %q: want it to say the run failed", last)
	}
}

func TestWriteTableWithoutErrors(t *testing.T) {
	r := sampleReport()
	r.Results[3].Errors, r.Results[3].ErrorsTotal = nil, 0
	r.finish()
	var buf bytes.Buffer
	r.WriteTable(&buf)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if last := lines[len(lines)-1]; last != "OK: 8 rows, no errors" {
		t.Errorf("last line %q, want %q", last, "OK: 8 rows, no errors")
	}
	if r.Failed() {
		t.Error("Failed() = true with no errors")
	}
	r.Interrupted = true
	buf.Reset()
	r.WriteTable(&buf)
	if !strings.Contains(buf.String(), "INTERRUPTED") || !r.Failed() {
		t.Errorf("an interrupted run must say so and fail:\n%s", buf.String())
	}
}

func TestWriteJSON(t *testing.T) {
	r := sampleReport()
	r.finish()
	path := filepath.Join(t.TempDir(), "report.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("the report does not decode: %v", err)
	}
	if jsonString(t, back) != jsonString(t, r) {
		t.Errorf("report changed through JSON:\n got %s\nwant %s", jsonString(t, back), jsonString(t, r))
	}
	// The names other tools read.
	var generic struct {
		Errors  int64
		Results []map[string]any
	}
	json.Unmarshal(raw, &generic)
	send := generic.Results[3]
	lat, _ := send["latency"].(map[string]any)
	for _, k := range []string{"p50_ms", "p90_ms", "p99_ms", "p99_9_ms", "max_ms"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency has no %q: %v", k, lat)
		}
	}
	for _, k := range []string{"throughput", "errors", "errors_total", "server", "ceiling_ratio"} {
		if _, ok := send[k]; !ok {
			t.Errorf("result has no %q: %v", k, send)
		}
	}
	if generic.Errors != 3 {
		t.Errorf("errors %d, want 3", generic.Errors)
	}
}

func TestFormats(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatMs(0.4123, 1), "0.412ms"},
		{formatMs(3.219, 1), "3.22ms"},
		{formatMs(42.25, 1), "42.2ms"},
		{formatMs(1234, 1), "1234ms"},
		{formatMs(12345, 1), "12.3s"},
		{formatMs(0, 0), "-"},
		{formatRate(25167.4), "25167"},
		{formatRate(12.34), "12.3"},
		{formatBytes(20 << 10), "20.0KiB"},
		{formatBytes(5 << 20), "5.0MiB"},
		{formatBytes(900 << 20), "900MiB"},
		{formatBytes(12 << 30), "12.0GiB"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
