package bench

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := "4242 (parley (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 12 0 100 1000000 2000 18446744073709551615"
	got, err := parseStatCPU([]byte(stat))
	if err != nil {
		t.Fatalf("parseStatCPU: %v", err)
	}
	if want := 3250 * time.Millisecond; got != want { // (250+75) ticks of 10ms
		t.Errorf("parseStatCPU = %v, want %v", got, want)
	}
	if _, err := parseStatCPU([]byte("4242 (x) S 1 2")); err == nil {
		t.Error("parseStatCPU(short line): no error")
	}
}

func TestParseStatusRSS(t *testing.T) {
	status := "Name:\tparley\nVmPeak:\t  200000 kB\nVmRSS:\t   12345 kB\nThreads:\t9\n"
	got, err := parseStatusRSS(strings.NewReader(status))
	if err != nil || got != 12345<<10 {
		t.Errorf("parseStatusRSS = %d, %v; want %d", got, err, 12345<<10)
	}
	if _, err := parseStatusRSS(strings.NewReader("Name:\tx\n")); err == nil {
		t.Error("parseStatusRSS(no VmRSS): no error")
	}
}

func TestSelfSampleAndServerStats(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	p := selfProc("server")
	a := p.sample()
	for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); { // burn some CPU
	}
	b := p.settledRSS()
	if !a.OK || !b.OK || b.RSS <= 0 {
		t.Fatalf("samples %+v %+v: want both readable with an RSS", a, b)
	}
	s := serverStats(p, a, b)
	if s == nil || s.Cores != runtime.NumCPU() || s.RSS != b.RSS || s.CPUShare < 0 || s.CPUShare > 1.5 {
		t.Errorf("serverStats = %+v", s)
	}
	if serverStats(p, procSample{}, b) != nil {
		t.Error("serverStats with a failed sample: want nil")
	}
	if (proc{}).sample().OK {
		t.Error("the zero proc: sample OK, want not measurable")
	}
}
