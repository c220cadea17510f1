package bench

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// latencyMax is the longest latency a histogram tells apart. Longer ones
// are recorded as latencyMax; every operation has a timeout well below it.
const latencyMax = 5 * time.Minute

// newHistogram returns an empty latency histogram: microseconds from 1 µs to
// latencyMax, three significant digits (a value is off by at most 0.1%).
// About 170 KB each; a run keeps one or two per worker.
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(latencyMax/time.Microsecond), 3)
}

// record adds d to h, clamped to [1 µs, latencyMax].
func record(h *hdrhistogram.Histogram, d time.Duration) {
	us := int64(d / time.Microsecond)
	us = max(1, min(us, int64(latencyMax/time.Microsecond)))
	h.RecordValue(us) // in range by construction
}

// mergeHistograms returns a new histogram holding every value of hs (nil
// entries are skipped). Each worker records into its own histogram, without
// locks; the run merges them once at the end.
func mergeHistograms(hs ...*hdrhistogram.Histogram) *hdrhistogram.Histogram {
	out := newHistogram()
	for _, h := range hs {
		if h != nil {
			out.Merge(h) // same geometry: nothing is dropped
		}
	}
	return out
}

// Latency summarises a latency histogram, in milliseconds. The zero value
// means nothing was measured.
type Latency struct {
	Count  int64   `json:"count"`
	Mean   float64 `json:"mean_ms"`
	P50    float64 `json:"p50_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	P999   float64 `json:"p99_9_ms"`
	Max    float64 `json:"max_ms"`
	Stddev float64 `json:"stddev_ms"`
}

// summarize reads the percentiles of h.
func summarize(h *hdrhistogram.Histogram) Latency {
	if h == nil || h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		Count:  h.TotalCount(),
		Mean:   h.Mean() / 1000,
		P50:    ms(h.ValueAtQuantile(50)),
		P90:    ms(h.ValueAtQuantile(90)),
		P99:    ms(h.ValueAtQuantile(99)),
		P999:   ms(h.ValueAtQuantile(99.9)),
		Max:    ms(h.Max()),
		Stddev: h.StdDev() / 1000,
	}
}
