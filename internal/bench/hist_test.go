package bench

import (
	"testing"
	"time"
)

func TestMergeHistogramsEqualsOneHistogram(t *testing.T) {
	// Two workers: one fast, one with a slow tail.
	a, b, all := newHistogram(), newHistogram(), newHistogram()
	for i := range 1000 {
		d := time.Duration(100+i) * time.Microsecond
		record(a, d)
		record(all, d)
	}
	for i := range 10 {
		d := time.Duration(50+i) * time.Millisecond
		record(b, d)
		record(all, d)
	}
	merged := mergeHistograms(a, nil, b)
	got, want := summarize(merged), summarize(all)
	if got != want {
		t.Errorf("merged summary %+v, want %+v (one histogram of every value)", got, want)
	}
	if got.Count != 1010 {
		t.Errorf("merged count %d, want 1010", got.Count)
	}
	if got.Max < 59 || got.Max > 59.1 {
		t.Errorf("merged max %.3fms, want 59ms (the slow worker's worst, within 0.1%%)", got.Max)
	}
	if got.P50 < 0.6 || got.P50 > 0.61 {
		t.Errorf("merged p50 %.3fms, want about 0.605ms", got.P50)
	}
	if got.P999 < 50 {
		t.Errorf("merged p99.9 %.3fms, want the slow tail (≥ 50ms)", got.P999)
	}
	if a.TotalCount() != 1000 || b.TotalCount() != 10 {
		t.Errorf("merge changed its inputs: %d and %d values", a.TotalCount(), b.TotalCount())
	}
}

func TestRecordClamps(t *testing.T) {
	h := newHistogram()
	record(h, 0)
	record(h, 10*time.Minute)
	s := summarize(h)
	if s.Count != 2 {
		t.Fatalf("count %d, want 2 (nothing dropped)", s.Count)
	}
	if min := h.Min(); min != 1 {
		t.Errorf("0 recorded as %dµs, want 1µs", min)
	}
	if s.Max < latencyMax.Seconds()*1000*0.999 {
		t.Errorf("10 minutes recorded as %.0fms, want latencyMax (%v)", s.Max, latencyMax)
	}
}

func TestSummarizeEmpty(t *testing.T) {
	if got := summarize(newHistogram()); got != (Latency{}) {
		t.Errorf("summarize(empty) = %+v, want zero", got)
	}
	if got := summarize(nil); got != (Latency{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
}
