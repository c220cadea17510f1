package sqlstore

import "github.com/parleyim/parley/internal/core"

// recentSends lets most sends skip the de-dup query. A send's time is
// usually the server's now, and its de-dup rule (same From, To, Seq, Random
// and time) can only match a message of the same second; the committer —
// the only writer on a single-writer engine — remembers every message it
// stored in the last few seconds. For a time inside that window (and after
// the memory started, so nothing older is missing from it) memory is the
// whole truth; any other time, and every import (whose rule also matches
// the other direction), asks the database.
//
// Only the committer's goroutine uses it. A rolled-back transaction resets
// it (what it remembered from that transaction was never stored).
type recentSends struct {
	enabled bool
	since   int64 // remembers messages with times after this second
	byTime  map[int64]map[recentKey]int64
}

// recentWindow is how many seconds back (and ahead) the memory covers.
const recentWindow = 2

type recentKey struct {
	app    core.AppID
	conv   string
	from   string
	time   int64
	seq    uint32
	random uint32
}

func newRecentSends(enabled bool, now int64) recentSends {
	return recentSends{enabled: enabled, since: now, byTime: map[int64]map[recentKey]int64{}}
}

// covers reports whether memory alone decides for a send at time t.
func (r *recentSends) covers(t, now int64) bool {
	return r.enabled && t > r.since && t >= now-recentWindow && t <= now+1
}

// lookup returns the ID of a stored equal send, and whether memory decided
// (covered); when not covered the database must be asked.
func (r *recentSends) lookup(k recentKey, origin core.Origin, now int64) (id int64, known, covered bool) {
	if origin == core.OriginImport || !r.covers(k.time, now) {
		return 0, false, false
	}
	id, known = r.byTime[k.time][k]
	return id, known, true
}

// add remembers a stored message and forgets seconds out of the window.
func (r *recentSends) add(k recentKey, id int64, now int64) {
	if !r.enabled || k.time < now-recentWindow || k.time > now+1 {
		return
	}
	for t := range r.byTime {
		if t < now-recentWindow {
			delete(r.byTime, t)
		}
	}
	m := r.byTime[k.time]
	if m == nil {
		m = map[recentKey]int64{}
		r.byTime[k.time] = m
	}
	m[k] = id
}

// reset forgets everything: from now on only later seconds are covered.
func (r *recentSends) reset(now int64) {
	clear(r.byTime)
	r.since = now
}
