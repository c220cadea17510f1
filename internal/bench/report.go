package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is a whole invocation's results, as printed and as written by
// --json.
type Report struct {
	Started time.Time `json:"started"`
	Machine Machine   `json:"machine"`
	// Target says what was driven: "in-process (STORE)" or the URL.
	Target  string        `json:"target"`
	Config  ConfigSummary `json:"config"`
	Results []Result      `json:"results"`
	// Errors is the number of failed operations over every result.
	Errors int64 `json:"errors"`
	// Interrupted is set when the run was stopped before its end.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	MemoryMiB int64  `json:"memory_mib,omitempty"`
	Go        string `json:"go"`
	// FileLimit is RLIMIT_NOFILE after raising it (0: unknown).
	FileLimit uint64 `json:"file_limit,omitempty"`
}

// ConfigSummary is the invocation's settings, for reproducing it.
type ConfigSummary struct {
	Scenarios []string `json:"scenarios"`
	Duration  string   `json:"duration"`
	Warmup    string   `json:"warmup"`
	Clients   int      `json:"clients"`
	Rate      float64  `json:"rate,omitempty"`
	Users     int      `json:"users"`
	BodyBytes int      `json:"body_bytes"`
	Conns     int      `json:"conns"`
	Prefill   int      `json:"prefill"`
	Page      int      `json:"page"`
	Timeout   string   `json:"timeout"`
	Store     string   `json:"store,omitempty"`
	Members   int      `json:"members"`
	Messages  int      `json:"messages"`
	Groups    []int    `json:"groups"`
}

// Result is one row of the table: a scenario's operation, or a second
// latency of the same operations (Extra).
type Result struct {
	// Name is the row: "sendmsg", "device/ack", "ceiling-http" …
	Name     string `json:"name"`
	Scenario string `json:"scenario"`
	// Shape is the kind of load ("http", "e2e", "ws"): a row is compared
	// with the ceiling row of the same shape.
	Shape string `json:"shape,omitempty"`
	// Ceiling marks a row measured against the null server.
	Ceiling bool `json:"ceiling,omitempty"`
	// Extra marks a second latency of another row's operations (the ack of
	// a device send, the REST answer of an e2e send): same operations, no
	// throughput of its own.
	Extra bool `json:"extra,omitempty"`
	// Mode is "closed", "open" (Rate) or "count" (a fixed number of
	// operations: dialing, pre-filling).
	Mode    string  `json:"mode"`
	Clients int     `json:"clients"`
	Rate    float64 `json:"rate,omitempty"`
	// Seconds is the measured window; Ops the operations that succeeded in
	// it; Throughput = Ops / Seconds.
	Seconds    float64 `json:"seconds"`
	Ops        int64   `json:"ops"`
	Throughput float64 `json:"throughput"`
	Latency    Latency `json:"latency"`
	// Errors counts every failed operation by kind, warm-up included.
	Errors      []ErrorCount `json:"errors"`
	ErrorsTotal int64        `json:"errors_total"`
	// MaxLagMs is, open loop, the most an operation started after it was
	// due (its latency includes it).
	MaxLagMs float64 `json:"max_schedule_lag_ms,omitempty"`
	// Server is the server process's CPU and memory; nil when unknown.
	Server *ServerStats `json:"server,omitempty"`
	// CeilingRatio is Throughput over the ceiling row's of the same shape
	// in this invocation; nil without one.
	CeilingRatio *float64 `json:"ceiling_ratio,omitempty"`
	Notes        []string `json:"notes,omitempty"`
}

// Failed reports whether any operation failed (or the run was interrupted).
func (r *Report) Failed() bool { return r.Errors > 0 || r.Interrupted }

// finish totals the errors and sets each row's ratio to its ceiling.
func (r *Report) finish() {
	ceil := map[string]float64{}
	for _, x := range r.Results {
		if x.Ceiling && !x.Extra && x.Shape != "" && x.Throughput > 0 {
			if _, ok := ceil[x.Shape]; !ok {
				ceil[x.Shape] = x.Throughput
			}
		}
	}
	r.Errors = 0
	for i := range r.Results {
		x := &r.Results[i]
		r.Errors += x.ErrorsTotal
		if c, ok := ceil[x.Shape]; ok && !x.Ceiling && !x.Extra && x.Mode != "count" {
			ratio := x.Throughput / c
			x.CeilingRatio = &ratio
		}
	}
}

// WriteTable prints the results: one row per Result, then the errors by
// kind, the notes, what the CPU and RSS columns cover, and a last line that
// says whether anything failed.
func (r *Report) WriteTable(out io.Writer) {
	// Numbers are right-aligned; the first two columns are padded here so
	// that they read left-aligned.
	nameW, modeW := len("scenario"), len("mode")
	for _, x := range r.Results {
		nameW, modeW = max(nameW, len(x.Name)), max(modeW, len(x.modeText()))
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "%-*s\t%-*s\tops/s\tp50\tp90\tp99\tp99.9\tmax\terrors\tcpu\trss\tvs ceiling\t\n", nameW, "scenario", modeW, "mode")
	for _, x := range r.Results {
		thr := formatRate(x.Throughput)
		if x.Extra {
			thr = "·"
		}
		cpu, rss := "-", "-"
		if s := x.Server; s != nil {
			cpu = fmt.Sprintf("%.0f%%", s.CPUShare*100)
			rss = formatBytes(s.RSS)
		}
		ratio := "-"
		if x.CeilingRatio != nil {
			ratio = fmt.Sprintf("%.2f", *x.CeilingRatio)
		}
		l := x.Latency
		fmt.Fprintf(w, "%-*s\t%-*s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t\n", nameW, x.Name, modeW, x.modeText(), thr,
			formatMs(l.P50, l.Count), formatMs(l.P90, l.Count), formatMs(l.P99, l.Count), formatMs(l.P999, l.Count), formatMs(l.Max, l.Count),
			x.ErrorsTotal, cpu, rss, ratio)
	}
	w.Flush()
	for _, x := range r.Results {
		for _, e := range x.Errors {
			fmt.Fprintf(out, "error  %s: %d × %s (e.g. %s)\n", x.Name, e.Count, e.Kind, e.Example)
		}
	}
	for _, x := range r.Results {
		for _, n := range x.Notes {
			fmt.Fprintf(out, "note   %s: %s\n", x.Name, n)
		}
	}
	scopes := map[string]bool{}
	for _, x := range r.Results {
		if x.Server != nil && !scopes[x.Server.Scope] {
			scopes[x.Server.Scope] = true
			fmt.Fprintf(out, "cpu/rss of %s: %s (cpu = share of %d cores)\n", rowsWithScope(r.Results, x.Server.Scope), x.Server.Scope, x.Server.Cores)
		}
	}
	if len(scopes) == 0 {
		fmt.Fprintln(out, "cpu/rss: not measured (a remote server: pass --server-pid when it runs on this machine)")
	}
	switch {
	case r.Interrupted:
		fmt.Fprintf(out, "INTERRUPTED: the run was stopped early, with %s before that\n", plural(r.Errors, "error"))
	case r.Errors > 0:
		fmt.Fprintf(out, "FAILED: %s (%s)\n", plural(r.Errors, "error"), failedRows(r.Results))
	default:
		fmt.Fprintf(out, "OK: %s, no errors\n", plural(int64(len(r.Results)), "row"))
	}
}

// plural prints "1 error", "3 errors".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}

func (x *Result) modeText() string {
	switch x.Mode {
	case "open":
		return fmt.Sprintf("open %s/s c=%d", formatRate(x.Rate), x.Clients)
	case "count":
		return fmt.Sprintf("n=%d c=%d", x.Ops+x.ErrorsTotal, x.Clients)
	}
	return fmt.Sprintf("closed c=%d", x.Clients)
}

func rowsWithScope(rs []Result, scope string) string {
	var names []string
	for _, x := range rs {
		if x.Server != nil && x.Server.Scope == scope {
			names = append(names, x.Name)
		}
	}
	if len(names) > 3 {
		return names[0] + " … " + names[len(names)-1]
	}
	return strings.Join(names, ", ")
}

func failedRows(rs []Result) string {
	var parts []string
	for _, x := range rs {
		if x.ErrorsTotal > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", x.Name, x.ErrorsTotal))
		}
	}
	return strings.Join(parts, ", ")
}

// formatMs prints a latency in milliseconds with three significant digits;
// "-" when nothing was measured.
func formatMs(ms float64, count int64) string {
	switch {
	case count == 0:
		return "-"
	case ms < 1:
		return strconv.FormatFloat(ms, 'f', 3, 64) + "ms"
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	case ms < 100:
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	case ms < 10_000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 1, 64) + "s"
}

// formatRate prints an operations-per-second figure.
func formatRate(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// formatBytes prints a size in KiB, MiB or GiB.
func formatBytes(n int64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	case n >= 10<<20:
		return fmt.Sprintf("%.0fMiB", float64(n)/(1<<20))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
}

// WriteJSON writes the report, indented, to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// machine describes this machine.
func machine(fileLimit uint64) Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Go: runtime.Version(), FileLimit: fileLimit}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				m.MemoryMiB = kb >> 10
				break
			}
		}
		f.Close()
	}
	return m
}
