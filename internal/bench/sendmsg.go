package bench

import (
	"context"
)

// sendmsg posts v4/openim/sendmsg from Clients keep-alive connections, each
// a text message between two accounts picked at random among Users
// ("bu000000" …). Latency: from the request's start (or due time, open
// loop) to the end of the answer.
func (e *env) sendmsg(ctx context.Context, t *target, name string) ([]Result, error) {
	users := userNames("bu", e.cfg.Users)
	if err := t.importUsers(ctx, users); err != nil {
		return nil, err
	}
	r := newREST(t, e.cfg.Clients)
	defer r.Close()
	body := textBody(e.cfg.BodyBytes)
	ws := r.workers("openim/sendmsg", e.cfg.Clients)
	l := e.newLoad(name)
	l.op = func(ctx context.Context, c *call) error {
		s := &ws[c.Worker]
		from := c.Rand.IntN(len(users))
		to := c.Rand.IntN(len(users) - 1)
		if to >= from {
			to++
		}
		s.req = appendSendMsg(s.req[:0], users[from], users[to], c.Rand.Uint32(), body)
		return r.post(ctx, s.url, s.req, &s.buf)
	}
	out, stats := e.measure(ctx, t, l)
	return results("sendmsg", name, "http", t, l, out, stats), nil
}
