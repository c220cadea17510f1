package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/parleyim/parley/internal/core"
)

// prefillWorkers is how many imports run at once while pre-filling: the
// more wait, the more the store's group commit puts in one transaction (on
// the 2-core machine 256 import about 10,500 messages a second, 64 about
// 9,300).
const prefillWorkers = 256

// historyPlan is the conversation history reads: Prefill messages between
// two accounts named after the count and the day, spread evenly over the
// five days that start six days before today (UTC), inside the default
// seven-day roaming period. Message i has MsgSeq and MsgRandom i, so a run
// that imports them again the same day stores nothing new.
type historyPlan struct {
	a, b        string
	first, last int64 // MsgTimeStamp of the first and last message
	n           int
}

func newHistoryPlan(n int, now time.Time) historyPlan {
	day := now.UTC().Truncate(24 * time.Hour)
	tag := day.Format("20060102")
	p := historyPlan{a: fmt.Sprintf("bh%d-%s-a", n, tag), b: fmt.Sprintf("bh%d-%s-b", n, tag), n: n}
	p.first = day.Add(-6 * 24 * time.Hour).Unix()
	p.last = p.time(n - 1)
	return p
}

// time is message i's MsgTimeStamp.
func (p historyPlan) time(i int) int64 {
	const span = 5 * 24 * 3600
	return p.first + int64(i)*span/int64(p.n)
}

// from and to are message i's sides: they alternate.
func (p historyPlan) from(i int) (string, string) {
	if i%2 == 0 {
		return p.a, p.b
	}
	return p.b, p.a
}

// history pre-fills one conversation with Prefill messages (unless this
// day's run already did), then reads random pages of it with
// v4/openim/admin_getroammsg: MaxCnt Page, MinTime the first message,
// MaxTime a random time in the conversation. Latency: the request's.
// Rows: "history/prefill" (imports per second; in-process through core,
// otherwise v4/openim/importmsg) and "history".
func (e *env) history(ctx context.Context) ([]Result, error) {
	t := e.t
	p := newHistoryPlan(e.cfg.Prefill, time.Now())
	if err := t.importUsers(ctx, []string{p.a, p.b}); err != nil {
		return nil, err
	}
	r := newREST(t, max(e.cfg.Clients, prefillWorkers))
	defer r.Close()
	var rows []Result
	full, err := e.historyPresent(ctx, r, p)
	if err != nil {
		return nil, err
	}
	if full {
		fmt.Fprintf(e.cfg.Progress, "  history: the conversation %s–%s already holds its %d messages\n", p.a, p.b, p.n)
	} else {
		pre := e.prefill(ctx, r, p)
		if pre[0].ErrorsTotal > 0 {
			return pre, nil // pages of a half-filled conversation would measure nothing useful
		}
		rows = append(rows, pre...)
	}

	ws := r.workers("openim/admin_getroammsg", e.cfg.Clients)
	l := e.newLoad("history")
	l.op = func(ctx context.Context, c *call) error {
		s := &ws[c.Worker]
		maxTime := p.first + c.Rand.Int64N(p.last-p.first+1)
		s.req = appendRoam(s.req[:0], p.a, p.b, e.cfg.Page, p.first, maxTime)
		if err := r.post(ctx, s.url, s.req, &s.buf); err != nil {
			return err
		}
		if n, _ := intMember(s.buf.Bytes(), "MsgCnt"); n == 0 {
			return errEmptyPage
		}
		return nil
	}
	out, stats := e.measure(ctx, t, l)
	res := results("history", "history", "http", t, l, out, stats)
	res[0].Notes = append(res[0].Notes, fmt.Sprintf("pages of MaxCnt %d ending at random times in a conversation of %d messages", e.cfg.Page, p.n))
	return append(rows, res...), nil
}

// historyPresent reports whether the first and the last message of p are
// stored (a run earlier today filled the conversation).
func (e *env) historyPresent(ctx context.Context, r *rest, p historyPlan) (bool, error) {
	var buf bytes.Buffer
	for _, at := range []int64{p.first, p.last} {
		err := r.post(ctx, r.url("openim/admin_getroammsg", rand.Uint32()), appendRoam(nil, p.a, p.b, 1, at, at), &buf)
		if err != nil {
			return false, fmt.Errorf("admin_getroammsg: %w", err)
		}
		if n, _ := intMember(buf.Bytes(), "MsgCnt"); n == 0 {
			return false, nil
		}
	}
	return true, nil
}

// prefill imports p's messages, prefillWorkers at a time.
func (e *env) prefill(ctx context.Context, r *rest, p historyPlan) []Result {
	body := textBody(e.cfg.BodyBytes)
	l := &load{name: "history/prefill", workers: prefillWorkers, total: int64(p.n), timeout: e.cfg.Timeout, progress: e.cfg.Progress}
	if n := e.t.node; n != nil {
		app := core.AppID(e.t.app)
		l.op = func(ctx context.Context, c *call) error {
			i := int(c.Seq)
			from, to := p.from(i)
			_, err := n.Service.ImportC2C(ctx, &core.C2CImport{App: app, Mode: core.ImportHistory, From: from, To: to,
				Seq: uint32(i), HasSeq: true, Random: uint32(i), Time: p.time(i), Body: body})
			return err
		}
	} else {
		url := r.url("openim/importmsg", 1)
		bufs := make([]bytes.Buffer, prefillWorkers)
		reqs := make([][]byte, prefillWorkers)
		l.op = func(ctx context.Context, c *call) error {
			i := int(c.Seq)
			from, to := p.from(i)
			reqs[c.Worker] = appendImport(reqs[c.Worker][:0], from, to, uint32(i), p.time(i), body)
			return r.post(ctx, url, reqs[c.Worker], &bufs[c.Worker])
		}
	}
	out, stats := e.measure(ctx, e.t, l)
	rows := results("history", "history/prefill", "", e.t, l, out, stats)
	how := "v4/openim/importmsg"
	if e.t.node != nil {
		how = "core.Service.ImportC2C (in-process, no HTTP)"
	}
	rows[0].Notes = append(rows[0].Notes, fmt.Sprintf("imported %d messages through %s, %d at a time", p.n, how, prefillWorkers))
	return rows
}

// appendRoam appends an admin_getroammsg body.
func appendRoam(b []byte, a, peer string, maxCnt int, minTime, maxTime int64) []byte {
	b = append(b, `{"Operator_Account":"`...)
	b = append(b, a...)
	b = append(b, `","Peer_Account":"`...)
	b = append(b, peer...)
	b = append(b, `","MaxCnt":`...)
	b = strconv.AppendInt(b, int64(maxCnt), 10)
	b = append(b, `,"MinTime":`...)
	b = strconv.AppendInt(b, minTime, 10)
	b = append(b, `,"MaxTime":`...)
	b = strconv.AppendInt(b, maxTime, 10)
	return append(b, '}')
}

// appendImport appends an importmsg body that imports history
// (SyncFromOldSystem 2: no unread, no push), MsgSeq and MsgRandom i.
func appendImport(b []byte, from, to string, i uint32, at int64, msgBody []byte) []byte {
	b = append(b, `{"SyncFromOldSystem":2,"From_Account":"`...)
	b = append(b, from...)
	b = append(b, `","To_Account":"`...)
	b = append(b, to...)
	b = append(b, `","MsgSeq":`...)
	b = strconv.AppendUint(b, uint64(i), 10)
	b = append(b, `,"MsgRandom":`...)
	b = strconv.AppendUint(b, uint64(i), 10)
	b = append(b, `,"MsgTimeStamp":`...)
	b = strconv.AppendInt(b, at, 10)
	b = append(b, `,"MsgBody":`...)
	b = append(b, msgBody...)
	return append(b, '}')
}
