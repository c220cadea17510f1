package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the unit of CPU times in /proc/PID/stat (USER_HZ). It is 100
// on every Linux architecture Go supports.
const clockTicks = 100

// proc is a process whose CPU time and resident memory a run reports: the
// server's. The zero value is a process that cannot be measured.
type proc struct {
	// path is /proc/self or /proc/PID; empty: not measurable.
	path string
	// Scope says what the numbers cover, for the report.
	Scope string
	// self is true when the process is this one: memory is returned to the
	// OS before RSS is read, so that the garbage of the load does not count.
	self bool
}

// selfProc is this process, shared by the load generator and the server (or
// null server) it started.
func selfProc(what string) proc {
	return proc{path: "/proc/self", self: true, Scope: "in-process: load generator and " + what + " in one process"}
}

// pidProc is another process on this machine.
func pidProc(pid int) proc {
	return proc{path: "/proc/" + strconv.Itoa(pid), Scope: "pid " + strconv.Itoa(pid)}
}

// procSample is one reading of a process.
type procSample struct {
	At  time.Time
	CPU time.Duration // user + system time since the process started
	RSS int64         // resident set size, bytes
	OK  bool
	// GoBytes is the Go heap and goroutine stacks in use, after a
	// collection: set by settledRSS for this process only. Unlike RSS it
	// leaves out memory Go does not manage (SQLite's page caches).
	GoBytes int64
}

// sample reads the process's CPU time and RSS; OK is false when they cannot
// be read (not Linux, process gone, no /proc).
func (p proc) sample() procSample {
	s := procSample{At: time.Now()}
	if p.path == "" {
		return s
	}
	cpu, err1 := readCPU(p.path + "/stat")
	rss, err2 := readRSS(p.path + "/status")
	s.CPU, s.RSS, s.OK = cpu, rss, err1 == nil && err2 == nil
	return s
}

// settledRSS is the process's RSS after a garbage collection that returns
// freed memory to the OS, when the process is this one; for another process
// it is a plain sample (its garbage counts: Go servers hold freed memory
// for a while).
func (p proc) settledRSS() procSample {
	if !p.self {
		return p.sample()
	}
	runtime.GC()
	debug.FreeOSMemory()
	s := p.sample()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.GoBytes = int64(m.HeapInuse + m.StackInuse)
	return s
}

// readCPU returns utime + stime from a /proc/PID/stat file.
func readCPU(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads fields 14 and 15 (utime, stime) of /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("stat: too few fields")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat: utime %q stime %q", f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// readRSS returns VmRSS from a /proc/PID/status file, in bytes.
func readRSS(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseStatusRSS(f)
}

func parseStatusRSS(f io.Reader) (int64, error) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("status: VmRSS %q", rest)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("status: no VmRSS")
}

// ServerStats is what a run measured of the server process.
type ServerStats struct {
	// Scope says which process and what it holds besides the server.
	Scope string `json:"scope"`
	// CPUShare is the process's CPU time over the window divided by wall
	// time × Cores: 1.0 means every core was busy. CPUCores is the same as
	// a number of cores kept busy.
	CPUShare float64 `json:"cpu_share"`
	CPUCores float64 `json:"cpu_cores"`
	Cores    int     `json:"cores"`
	// RSS is the resident memory at the end of the window, bytes.
	RSS int64 `json:"rss_bytes"`
	// RSSBefore and BytesPerConn are set by the conns scenario: resident
	// memory before the connections were made and (RSS-RSSBefore)/conns.
	RSSBefore    int64 `json:"rss_before_bytes,omitempty"`
	BytesPerConn int64 `json:"bytes_per_conn,omitempty"`
	// GoBytesPerConn, in-process only, is the growth of the Go heap and
	// stacks per connection: it is not disturbed by SQLite's caches
	// growing or shrinking meanwhile, which RSS is.
	GoBytesPerConn int64 `json:"go_bytes_per_conn,omitempty"`
}

// serverStats turns two samples into ServerStats; nil when either failed.
func serverStats(p proc, a, b procSample) *ServerStats {
	if !a.OK || !b.OK {
		return nil
	}
	wall := b.At.Sub(a.At)
	cores := runtime.NumCPU()
	s := &ServerStats{Scope: p.Scope, Cores: cores, RSS: b.RSS}
	if wall > 0 {
		s.CPUCores = float64(b.CPU-a.CPU) / float64(wall)
		s.CPUShare = s.CPUCores / float64(cores)
	}
	return s
}
