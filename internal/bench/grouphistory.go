package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/parleyim/parley/internal/core"
)

// groupPrefillWorkers is how many sends run at once while pre-filling a
// group: the more wait, the more the store's group commit puts in one
// transaction (over send_group_msg on the 2-core machine, 256 at a time
// store about 10,000 messages a second, 64 about 7,000).
const groupPrefillWorkers = 256

// grouphistory pre-fills one Public group ("bench-history-N", owner
// "bgh000000") with Prefill messages unless it holds them already (from an
// earlier run against the same server), then reads pages of it with
// group_msg_get_simple: ReqMsgNumber Page, ReqMsgSeq random among the
// group's seqs (at least Page, so that every page is full). Each answer
// must start at the asked seq. Latency: the request's. Rows:
// "grouphistory/prefill" (sends per second: in-process through
// core.Service.SendGroupMessage, otherwise send_group_msg, which needs
// frequency control off on the server) and "grouphistory".
func (e *env) grouphistory(ctx context.Context) ([]Result, error) {
	t, n := e.t, e.cfg.Prefill
	owner := userNames("bgh", 1)[0]
	gid := fmt.Sprintf("bench-history-%d", n)
	if err := t.importUsers(ctx, []string{owner}); err != nil {
		return nil, err
	}
	r := newREST(t, max(e.cfg.Clients, groupPrefillWorkers))
	defer r.Close()
	if err := t.ensureGroup(ctx, r, groupSpec{id: gid, typ: "Public", owner: owner}); err != nil {
		return nil, err
	}
	newest, err := e.groupNewest(ctx, r, gid)
	if err != nil {
		return nil, err
	}
	var rows []Result
	if newest >= uint64(n) {
		fmt.Fprintf(e.cfg.Progress, "  grouphistory: the group %s already holds %d messages\n", gid, newest)
	} else {
		pre := e.groupPrefill(ctx, r, gid, owner, n-int(newest))
		if pre[0].ErrorsTotal > 0 || ctx.Err() != nil {
			return pre, nil // pages of a half-filled group would measure nothing useful
		}
		rows = append(rows, pre...)
		if newest, err = e.groupNewest(ctx, r, gid); err != nil {
			return rows, err
		}
	}

	page := e.cfg.Page
	lowest := min(uint64(page), newest)
	ws := r.workers("group_open_http_svc/group_msg_get_simple", e.cfg.Clients)
	l := e.newLoad("grouphistory")
	l.op = func(ctx context.Context, c *call) error {
		s := &ws[c.Worker]
		seq := lowest + c.Rand.Uint64N(newest-lowest+1)
		s.req = appendGroupGet(s.req[:0], gid, page, seq)
		if err := r.post(ctx, s.url, s.req, &s.buf); err != nil {
			return err
		}
		if !hasMsgSeq(s.buf.Bytes(), seq) {
			return fmt.Errorf("ReqMsgSeq %d: %w: %.120s", seq, errWrongPage, s.buf.Bytes())
		}
		return nil
	}
	out, stats := e.measure(ctx, t, l)
	res := results("grouphistory", "grouphistory", "http", t, l, out, stats)
	res[0].Notes = append(res[0].Notes, fmt.Sprintf("group_msg_get_simple pages of %d ending at random seqs of a group of %d messages", page, newest))
	return append(rows, res...), nil
}

// groupNewest is the seq of the newest message of group (0: none).
func (e *env) groupNewest(ctx context.Context, r *rest, group string) (uint64, error) {
	var buf bytes.Buffer
	err := r.post(ctx, r.url("group_open_http_svc/group_msg_get_simple", rand.Uint32()), appendGroupGet(nil, group, 1, 0), &buf)
	if err != nil {
		return 0, fmt.Errorf("group_msg_get_simple %s: %w", group, err)
	}
	seq, _ := intMember(buf.Bytes(), "MsgSeq")
	return uint64(max(seq, 0)), nil
}

// groupPrefill sends count messages into group from owner, groupPrefillWorkers at
// a time.
func (e *env) groupPrefill(ctx context.Context, r *rest, group, owner string, count int) []Result {
	body := textBody(e.cfg.BodyBytes)
	base := rand.Uint32() // Random: distinct from an earlier run's, which de-duplication would answer instead
	l := &load{name: "grouphistory/prefill", workers: groupPrefillWorkers, total: int64(count), timeout: e.cfg.Timeout, progress: e.cfg.Progress}
	how := "send_group_msg"
	if n := e.t.node; n != nil {
		how = "core.Service.SendGroupMessage (in-process, no HTTP)"
		app := core.AppID(e.t.app)
		l.op = func(ctx context.Context, c *call) error {
			sent, err := n.Service.SendGroupMessage(ctx, &core.GroupSend{App: app, Group: group, From: owner,
				Random: base + uint32(c.Seq), Body: body})
			if err == nil && sent.DropReason != "" {
				err = errFreqCtrl
			}
			return err
		}
	} else {
		url := r.url("group_open_http_svc/send_group_msg", 1)
		bufs := make([]bytes.Buffer, groupPrefillWorkers)
		reqs := make([][]byte, groupPrefillWorkers)
		l.op = func(ctx context.Context, c *call) error {
			reqs[c.Worker] = appendSendGroupMsg(reqs[c.Worker][:0], group, owner, base+uint32(c.Seq), body)
			if err := r.post(ctx, url, reqs[c.Worker], &bufs[c.Worker]); err != nil {
				return err
			}
			_, err := sentGroupMsg(bufs[c.Worker].Bytes())
			return err
		}
	}
	out, stats := e.measure(ctx, e.t, l)
	rows := results("grouphistory", "grouphistory/prefill", "", e.t, l, out, stats)
	rows[0].Notes = append(rows[0].Notes, fmt.Sprintf("sent %d messages into %s through %s, %d at a time", count, group, how, groupPrefillWorkers))
	return rows
}

// appendGroupGet appends a group_msg_get_simple body: number messages up to
// seq (0: the newest).
func appendGroupGet(b []byte, group string, number int, seq uint64) []byte {
	b = append(b, `{"GroupId":"`...)
	b = append(b, group...)
	b = append(b, `","ReqMsgNumber":`...)
	b = strconv.AppendInt(b, int64(number), 10)
	if seq > 0 {
		b = append(b, `,"ReqMsgSeq":`...)
		b = strconv.AppendUint(b, seq, 10)
	}
	return append(b, '}')
}

// hasMsgSeq reports whether answer holds a message with MsgSeq seq.
func hasMsgSeq(answer []byte, seq uint64) bool {
	pat := strconv.AppendUint([]byte(`"MsgSeq":`), seq, 10)
	for b := answer; ; {
		i := bytes.Index(b, pat)
		if i < 0 {
			return false
		}
		b = b[i+len(pat):]
		if len(b) > 0 && (b[0] < '0' || b[0] > '9') {
			return true
		}
	}
}
