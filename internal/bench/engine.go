package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// load is one measured run of an operation by concurrent workers, in one of
// three modes:
//
//   - closed loop (rate 0, total 0): each worker starts its next operation
//     as soon as the last one ends, for warmup + duration; latency is from
//     the operation's start. This measures the most the target can do.
//   - open loop (rate > 0): operation i is due at t0 + i/rate whatever
//     happened before (see schedule); a free worker takes the next due one,
//     and its latency is measured from when it was due, not from when a
//     worker got to it, so a stall shows in the latency of every operation
//     it delayed (no coordinated omission). An operation that could not
//     start within the timeout is counted as an error (errBehind) and not
//     run, so a run that falls behind still ends on time.
//   - count (total > 0): exactly total operations, closed loop, no warm-up
//     (dialing K connections, pre-filling a store).
type load struct {
	name     string
	workers  int
	rate     float64
	total    int64
	duration time.Duration
	warmup   time.Duration
	// timeout bounds one operation: its ctx ends then.
	timeout time.Duration
	// progress receives a line every second; nil means none.
	progress io.Writer
	// onWindow, if set, is called when the measured window opens (true)
	// and when it closes (false), to sample the server's CPU and memory.
	onWindow func(open bool)
	// op performs one operation. An error is counted by kind and its
	// latency is not recorded. It may set c.End when the operation really
	// ended earlier than its return (a frame's arrival time).
	op func(ctx context.Context, c *call) error
}

// call is one operation as its op sees it.
type call struct {
	Worker int
	Seq    int64     // 0, 1, 2 … across all workers, in the order taken
	Start  time.Time // when it was due (open loop) or started
	// End, when the op sets it, is when the operation ended; zero means
	// when op returned.
	End  time.Time
	Rand *rand.Rand // the worker's own

	w        *worker
	measured bool
}

// observe records a second latency of the operation (an ack before the
// frame, the REST answer before the delivery) under name, if the operation
// is in the measured window. Extra latencies are not taken for failed
// operations: the op returns its error after observing.
func (c *call) observe(name string, d time.Duration) {
	if !c.measured {
		return
	}
	h := c.w.extra[name]
	if h == nil {
		h = newHistogram()
		c.w.extra[name] = h
	}
	record(h, d)
}

// worker is one worker's private state: nothing here is shared.
type worker struct {
	hist  *hdrhistogram.Histogram
	extra map[string]*hdrhistogram.Histogram
	errs  tally
	ops   int64 // successful, completed inside the window
	lag   time.Duration
}

// outcome is what a load measured.
type outcome struct {
	Latency *hdrhistogram.Histogram            // successful operations in the window
	Extra   map[string]*hdrhistogram.Histogram // by observe's name
	Errors  tally                              // every failure, warm-up included
	// Ops is the operations that succeeded and ended inside the window;
	// Window is its length. Ops/Window is the throughput.
	Ops    int64
	Window time.Duration
	// Done and Failed count every operation, warm-up included.
	Done, Failed int64
	// MaxLag is the most an open-loop operation started after it was due.
	MaxLag time.Duration
}

// Throughput is successful operations per second in the window.
func (o outcome) Throughput() float64 {
	if o.Window <= 0 {
		return 0
	}
	return float64(o.Ops) / o.Window.Seconds()
}

// schedule is an open-loop plan: operation i is due at t0 + i/rate. Each
// time is computed from i, never by adding an interval to the previous one,
// so the plan does not drift however long it runs, and a late operation
// does not push later ones back.
type schedule struct {
	t0   time.Time
	rate float64 // operations per second, > 0
}

// at returns when operation i is due.
func (s schedule) at(i int64) time.Time {
	return s.t0.Add(time.Duration(float64(i) * float64(time.Second) / s.rate))
}

// run performs the load and returns what it measured. It returns when every
// operation has ended (each within timeout) or ctx is done; operations that
// fail because ctx ended are not counted as errors.
func (l *load) run(ctx context.Context) outcome {
	if l.workers < 1 {
		l.workers = 1
	}
	t0 := time.Now()
	measureFrom, end := t0.Add(l.warmup), t0.Add(l.warmup+l.duration)
	sched := schedule{t0: t0, rate: l.rate}
	var next, done, failed atomic.Int64
	workers := make([]*worker, l.workers)

	stop := make(chan struct{})
	var bg sync.WaitGroup
	if l.progress != nil {
		bg.Add(1)
		go func() {
			defer bg.Done()
			l.report(t0, measureFrom, &done, &failed, stop)
		}()
	}
	if l.onWindow != nil && l.total == 0 {
		bg.Add(1)
		go func() {
			defer bg.Done()
			if !sleepUntil(ctx, measureFrom) {
				return
			}
			l.onWindow(true)
			if sleepUntil(ctx, end) {
				l.onWindow(false)
			}
		}()
	} else if l.onWindow != nil {
		l.onWindow(true)
	}

	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{hist: newHistogram(), extra: map[string]*hdrhistogram.Histogram{}, errs: make(tally)}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(t0.UnixNano()), uint64(i)))
			for ctx.Err() == nil {
				seq := next.Add(1) - 1
				if l.total > 0 && seq >= l.total {
					return
				}
				var start time.Time
				if l.rate > 0 {
					start = sched.at(seq)
					if !start.Before(end) || !sleepUntil(ctx, start) {
						return
					}
					lag := time.Since(start)
					w.lag = max(w.lag, lag)
					if lag > l.timeout {
						w.errs.add(errBehind)
						failed.Add(1)
						continue
					}
				} else {
					start = time.Now()
					if l.total == 0 && !start.Before(end) {
						return
					}
				}
				c := call{Worker: i, Seq: seq, Start: start, Rand: rnd, w: w,
					measured: l.total > 0 || !start.Before(measureFrom)}
				octx, cancel := context.WithDeadline(ctx, time.Now().Add(l.timeout))
				err := l.op(octx, &c)
				cancel()
				if err != nil {
					if ctx.Err() == nil {
						w.errs.add(err)
						failed.Add(1)
					}
					continue
				}
				done.Add(1)
				fin := c.End
				if fin.IsZero() {
					fin = time.Now()
				}
				if c.measured {
					record(w.hist, fin.Sub(start))
				}
				if l.total > 0 || (!fin.Before(measureFrom) && !fin.After(end)) {
					w.ops++
				}
			}
		}()
	}
	wg.Wait()
	finished := time.Now()
	if l.onWindow != nil && l.total > 0 {
		l.onWindow(false)
	}
	close(stop)
	bg.Wait()

	out := outcome{Errors: make(tally), Extra: map[string]*hdrhistogram.Histogram{}, Done: done.Load(), Failed: failed.Load()}
	hs := make([]*hdrhistogram.Histogram, len(workers))
	for i, w := range workers {
		hs[i] = w.hist
		out.Ops += w.ops
		out.Errors.merge(w.errs)
		out.MaxLag = max(out.MaxLag, w.lag)
		for name, h := range w.extra {
			if out.Extra[name] == nil {
				out.Extra[name] = newHistogram()
			}
			out.Extra[name].Merge(h)
		}
	}
	out.Latency = mergeHistograms(hs...)
	if l.total > 0 {
		out.Window = finished.Sub(t0)
	} else {
		if finished.Before(end) { // ctx ended early
			end = finished
		}
		out.Window = max(0, end.Sub(measureFrom))
	}
	return out
}

// report prints a progress line every second until stop is closed.
func (l *load) report(t0, measureFrom time.Time, done, failed *atomic.Int64, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			d := done.Load()
			phase := ""
			if l.total > 0 {
				phase = fmt.Sprintf(" of %d", l.total)
			} else if now.Before(measureFrom) {
				phase = "  (warm-up)"
			}
			fmt.Fprintf(l.progress, "  %-14s %5.1fs  %9d ok%s  %8d/s  errors %d\n",
				l.name, now.Sub(t0).Seconds(), d, phase, d-last, failed.Load())
			last = d
		}
	}
}

// sleepUntil waits until t or until ctx ends (false).
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
