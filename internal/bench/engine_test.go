package bench

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestScheduleDoesNotDrift(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		rate float64
		i    int64
		want time.Duration // since t0
	}{
		{1000, 0, 0},
		{1000, 1, time.Millisecond},
		{1000, 3_600_000, time.Hour},    // an hour at 1,000/s: no accumulated error
		{3, 3, time.Second},             // 1/3 s has no exact float form; three of them still make 1 s
		{3, 3 * 86_400, 24 * time.Hour}, // nor do a day's worth
		{2000, 2000 * 86_400, 24 * time.Hour},
		{0.5, 7, 14 * time.Second},
	}
	for _, tt := range tests {
		s := schedule{t0: t0, rate: tt.rate}
		if got := s.at(tt.i).Sub(t0); got != tt.want {
			t.Errorf("schedule{rate %v}.at(%d) = t0+%v, want t0+%v", tt.rate, tt.i, got, tt.want)
		}
	}
	// Consecutive due times are 1/rate apart however far into the run.
	s := schedule{t0: t0, rate: 3}
	for _, i := range []int64{0, 1_000, 1_000_000_000} {
		if d := s.at(i + 3).Sub(s.at(i)); d != time.Second {
			t.Errorf("rate 3: at(%d+3) - at(%d) = %v, want 1s", i, i, d)
		}
	}
}

// starts collects the Start of every call.
type starts struct {
	mu sync.Mutex
	at []time.Time
}

func (s *starts) add(t time.Time) {
	s.mu.Lock()
	s.at = append(s.at, t)
	s.mu.Unlock()
}

func (s *starts) sorted() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.at)
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

func TestOpenLoopStartsAtDueTimes(t *testing.T) {
	var got starts
	l := &load{name: "t", workers: 4, rate: 1000, duration: 200 * time.Millisecond, timeout: time.Second,
		op: func(ctx context.Context, c *call) error { got.add(c.Start); return nil }}
	out := l.run(t.Context())
	at := got.sorted()
	if len(at) != 200 {
		t.Fatalf("open loop 1000/s for 200ms: %d operations, want 200", len(at))
	}
	for i, s := range at {
		if d := s.Sub(at[0]); d != time.Duration(i)*time.Millisecond {
			t.Fatalf("operation %d due at t0+%v, want t0+%v", i, d, time.Duration(i)*time.Millisecond)
		}
	}
	if out.Latency.TotalCount() != 200 || out.Errors.total() != 0 {
		t.Errorf("outcome: %d latencies and %d errors, want 200 and 0", out.Latency.TotalCount(), out.Errors.total())
	}
}

// stallFirst returns an op whose first call takes d and the others nothing.
func stallFirst(d time.Duration) func(context.Context, *call) error {
	var once sync.Once
	return func(ctx context.Context, c *call) error {
		once.Do(func() { time.Sleep(d) }) // a server stall: real time is the point here
		return nil
	}
}

// TestOpenLoopShowsStalls is the coordinated-omission check: a 100 ms stall
// of the only worker delays every operation due meanwhile, and open loop
// charges each its delay (about 50 are delayed by 50 ms or more); closed
// loop sees one slow operation. Thresholds leave room for a busy machine.
func TestOpenLoopShowsStalls(t *testing.T) {
	const stall = 100 * time.Millisecond
	slow := func(o outcome) int64 { // latencies of half the stall or more
		var n int64
		for _, b := range o.Latency.Distribution() {
			if b.From >= int64(stall/2/time.Microsecond) {
				n += b.Count
			}
		}
		return n
	}
	open := (&load{name: "open", workers: 1, rate: 1000, duration: 300 * time.Millisecond, timeout: time.Second, op: stallFirst(stall)}).run(t.Context())
	closed := (&load{name: "closed", workers: 1, duration: 300 * time.Millisecond, timeout: time.Second, op: stallFirst(stall)}).run(t.Context())
	if n := slow(open); n < 40 {
		t.Errorf("open loop: %d operations of %v or more, want at least 40 (those due in the stall's first half)", n, stall/2)
	}
	if max := open.Latency.Max(); max < int64(stall/time.Microsecond)*95/100 {
		t.Errorf("open loop: max latency %dµs, want about %v", max, stall)
	}
	if open.MaxLag < 90*time.Millisecond {
		t.Errorf("open loop: MaxLag %v, want about %v", open.MaxLag, stall)
	}
	if n := slow(closed); n < 1 || n > 2 {
		t.Errorf("closed loop: %d operations of %v or more, want 1 (the stalled one)", n, stall/2)
	}
}

func TestOpenLoopBehindScheduleIsAnError(t *testing.T) {
	out := (&load{name: "t", workers: 1, rate: 1000, duration: 200 * time.Millisecond, timeout: 20 * time.Millisecond,
		op: stallFirst(100 * time.Millisecond)}).run(t.Context())
	if behind := out.Errors[errorKind(errBehind)]; behind == nil || behind.Count < 70 {
		t.Fatalf("errors %v: want at least 70 operations behind schedule (due during the stall, more than 20ms before they could start)", out.Errors.sorted())
	}
	if got := out.Latency.TotalCount() + out.Errors.total(); got != 200 {
		t.Errorf("latencies + errors = %d, want every one of the 200 due operations", got)
	}
}

func TestClosedLoopMeasuresOnlyTheWindow(t *testing.T) {
	var mu sync.Mutex
	var measured, warm int
	boom := errors.New("boom")
	l := &load{name: "t", workers: 2, warmup: 50 * time.Millisecond, duration: 50 * time.Millisecond, timeout: time.Second,
		op: func(ctx context.Context, c *call) error {
			time.Sleep(time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if c.Seq == 0 {
				return boom // a warm-up failure still counts
			}
			if c.measured {
				measured++
			} else {
				warm++
			}
			c.observe("extra", time.Millisecond)
			return nil
		}}
	var opened, closed bool
	l.onWindow = func(open bool) { opened, closed = opened || open, closed || !open }
	out := l.run(t.Context())
	if warm == 0 || measured == 0 {
		t.Fatalf("%d warm-up and %d measured operations, want some of each", warm, measured)
	}
	if got := out.Latency.TotalCount(); got != int64(measured) {
		t.Errorf("latency count %d, want the %d measured operations", got, measured)
	}
	if got := out.Extra["extra"].TotalCount(); got != int64(measured) {
		t.Errorf("extra latency count %d, want %d", got, measured)
	}
	if out.Ops > int64(measured) || out.Ops < int64(measured)-2 {
		t.Errorf("Ops %d, want the measured operations that ended in the window (%d, less those still running at its end)", out.Ops, measured)
	}
	if out.Window != 50*time.Millisecond {
		t.Errorf("Window %v, want 50ms", out.Window)
	}
	if e := out.Errors["other"]; e == nil || e.Count != 1 || e.Example != "boom" {
		t.Errorf("errors %v, want one \"other\" (boom)", out.Errors.sorted())
	}
	if !opened || !closed {
		t.Errorf("onWindow: opened %v closed %v, want both", opened, closed)
	}
}

func TestCountModeRunsEachOperationOnce(t *testing.T) {
	seen := make([]int, 1000)
	var mu sync.Mutex
	out := (&load{name: "t", workers: 8, total: 1000, timeout: time.Second, op: func(ctx context.Context, c *call) error {
		mu.Lock()
		seen[c.Seq]++
		mu.Unlock()
		if c.Seq%2 == 1 {
			return &timError{Code: 20003, Info: "receiver not imported"}
		}
		return nil
	}}).run(t.Context())
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("operation %d ran %d times, want once", i, n)
		}
	}
	if out.Ops != 500 || out.Latency.TotalCount() != 500 {
		t.Errorf("Ops %d, latencies %d; want 500 each", out.Ops, out.Latency.TotalCount())
	}
	if e := out.Errors["tim 20003"]; e == nil || e.Count != 500 {
		t.Errorf("errors %v, want 500 × tim 20003", out.Errors.sorted())
	}
}

func TestCanceledRunCountsNoErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	l := &load{name: "t", workers: 4, duration: time.Minute, timeout: time.Minute, op: func(ctx context.Context, c *call) error {
		if c.Seq == 3 { // every worker is busy
			cancel()
		}
		<-ctx.Done()
		return ctx.Err()
	}}
	out := l.run(ctx)
	if n := out.Errors.total(); n != 0 {
		t.Errorf("errors after cancel: %v, want none (the run was stopped, nothing failed)", out.Errors.sorted())
	}
}
