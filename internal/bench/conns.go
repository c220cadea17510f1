package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/parleyim/parley/client"
)

// connsDialers is how many connections conns opens at once.
const connsDialers = 64

// connsEvents is the event buffer of an idle device: it receives nothing,
// and a client's buffer is allocated up front, so it is kept tiny.
const connsEvents = 1

// conns connects Conns idle devices, one account each ("bc000000" …), and
// holds them for Duration. Rows: "conns", whose throughput is connections
// per second and whose latency is dial + login, with the server's RSS
// before and after and the bytes each connection added. A connection that
// ends while idle counts as an error ("dropped").
//
// Connections to a loopback server come from several source addresses
// (127.0.0.1, 127.0.0.2 …, 20,000 each), so K is limited by open files,
// not by one address's ephemeral ports; Run checks RLIMIT_NOFILE first.
func (e *env) conns(ctx context.Context) ([]Result, error) {
	t, k := e.t, e.cfg.Conns
	users := userNames("bc", k)
	if err := t.importUsers(ctx, users); err != nil {
		return nil, err
	}
	before := t.proc.settledRSS()
	d := newDialer(t, k, connsEvents)
	conns := make([]*client.Conn, k)
	defer func() { closeAll(conns) }()
	l := &load{name: "conns", workers: min(connsDialers, k), total: int64(k), timeout: e.cfg.Timeout, progress: e.cfg.Progress}
	l.op = func(ctx context.Context, c *call) error {
		conn, err := d.dial(ctx, int(c.Seq), users[c.Seq])
		if err != nil {
			return err
		}
		conns[c.Seq] = conn
		return nil
	}
	out, stats := e.measure(ctx, t, l)

	open := 0
	for _, c := range conns {
		if c != nil {
			open++
		}
	}
	fmt.Fprintf(e.cfg.Progress, "  conns: %d open; holding them idle for %v\n", open, e.cfg.Duration)
	tick, deadline := time.NewTicker(time.Second), time.NewTimer(e.cfg.Duration)
hold:
	for {
		select {
		case <-tick.C:
			if s := t.proc.sample(); s.OK {
				fmt.Fprintf(e.cfg.Progress, "  conns          %d open, server rss %s\n", open, formatBytes(s.RSS))
			}
		case <-deadline.C:
			break hold
		case <-ctx.Done():
			break hold
		}
	}
	tick.Stop()
	deadline.Stop()
	after := t.proc.settledRSS()
	var dropped int64
	var why error
	for _, c := range conns {
		if c == nil {
			continue
		}
		select {
		case <-c.Done():
			dropped++
			if why == nil {
				why = fmt.Errorf("%w: %v", errDropped, c.Err())
			}
		default:
		}
	}
	if dropped > 0 {
		out.Errors.addN(errorKind(errDropped), dropped, why.Error())
	}
	rows := results("conns", "conns", "", t, l, out, stats)
	if before.OK && after.OK {
		s := rows[0].Server
		if s == nil {
			s = &ServerStats{Scope: t.proc.Scope}
			rows[0].Server = s
		}
		s.RSS, s.RSSBefore = after.RSS, before.RSS
		alive := int64(open) - dropped
		if alive > 0 {
			s.BytesPerConn = (after.RSS - before.RSS) / alive
			if t.proc.self {
				s.GoBytesPerConn = (after.GoBytes - before.GoBytes) / alive
			}
		}
		note := fmt.Sprintf("%d idle connections held %v: rss %s before, %s after, %s per connection",
			alive, e.cfg.Duration, formatBytes(before.RSS), formatBytes(after.RSS), formatBytes(s.BytesPerConn))
		if t.proc.self {
			note += fmt.Sprintf("; Go heap and stacks %s per connection", formatBytes(s.GoBytesPerConn))
		}
		rows[0].Notes = append(rows[0].Notes, note+" ("+t.proc.Scope+")")
		if s.BytesPerConn <= 0 {
			rows[0].Notes = append(rows[0].Notes, "rss fell while the connections were open: memory the connections do not hold (SQLite's caches) was freed meanwhile; run conns on a fresh server for a clean figure")
		}
	} else {
		rows[0].Notes = append(rows[0].Notes, "server RSS not measured: pass --server-pid for a server at --url on this machine")
	}
	if n := len(d.dialers); n > 1 {
		rows[0].Notes = append(rows[0].Notes, fmt.Sprintf("connections came from %d source addresses 127.0.0.1–127.0.0.%d", n, n))
	}
	return rows, nil
}
