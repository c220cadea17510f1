package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/protocol"
)

// deviceEvents is the event buffer of the devices e2e and device connect;
// every event is read at once, so it only absorbs bursts.
const deviceEvents = 256

// arrival is a C2C message a device received: its MsgRandom, which the run
// makes unique, and when its frame was read.
type arrival struct {
	random uint32
	at     time.Time
}

// listen reads c's events until it ends or stop is closed, and sends the
// arrival of each C2C message to user on ch (nil: drop them).
func listen(c *client.Conn, user string, ch chan<- arrival, stop <-chan struct{}) {
	for ev := range c.Events() {
		if ch == nil || ev.Kind != protocol.KindC2C || ev.Message == nil || ev.Message.To != user {
			continue
		}
		select {
		case ch <- arrival{ev.Message.Random, time.Now()}:
		case <-stop:
			return
		}
	}
}

// awaitFrame waits for the arrival of the message with random on ch, skips
// others (late frames of operations that timed out) and sets c.End to its
// arrival. It fails with errNoFrame when ctx ends first.
func awaitFrame(ctx context.Context, ch <-chan arrival, random uint32, c *call) error {
	for {
		select {
		case a := <-ch:
			if a.random == random {
				c.End = a.at
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("MsgRandom %d: %w", random, errNoFrame)
		}
	}
}

// devices is a set of connected devices with a listener each.
type devices struct {
	conns []*client.Conn
	inbox []chan arrival // by device; nil for senders
	stop  chan struct{}
	wg    sync.WaitGroup
}

// connect logs in one device per user; receive[i] says whether user i's
// arrivals are wanted. Close it when done.
func connect(ctx context.Context, t *target, users []string, receive func(i int) bool) (*devices, error) {
	d := &devices{conns: make([]*client.Conn, len(users)), inbox: make([]chan arrival, len(users)), stop: make(chan struct{})}
	dl := newDialer(t, len(users), deviceEvents)
	for i, u := range users {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := dl.dial(dctx, i, u)
		cancel()
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("log in %s: %w", u, err)
		}
		d.conns[i] = c
		if receive(i) {
			d.inbox[i] = make(chan arrival, deviceEvents)
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			listen(c, u, d.inbox[i], d.stop)
		}()
	}
	return d, nil
}

// Close disconnects every device and waits for the listeners.
func (d *devices) Close() {
	close(d.stop)
	closeAll(d.conns)
	d.wg.Wait()
}

// randoms hands out MsgRandom values unique within a run (from a random
// start, so that frames of an earlier run cannot match).
type randoms struct{ n atomic.Uint32 }

func newRandoms() *randoms {
	r := &randoms{}
	r.n.Store(rand.Uint32())
	return r
}

func (r *randoms) next() uint32 { return r.n.Add(1) }

// e2e posts v4/openim/sendmsg from an account of the Users pool to a
// receiver connected over WebSocket (one per worker, "be000000" …) and
// waits for the receiver's frame. Latency: from the request's start (or due
// time) to the frame's arrival, matched by MsgRandom; the extra "rest" row
// is the REST answer's latency.
func (e *env) e2e(ctx context.Context, t *target, name string) ([]Result, error) {
	senders := userNames("bu", e.cfg.Users)
	receivers := userNames("be", e.cfg.Clients)
	if err := t.importUsers(ctx, slices.Concat(senders, receivers)); err != nil {
		return nil, err
	}
	devs, err := connect(ctx, t, receivers, func(int) bool { return true })
	if err != nil {
		return nil, err
	}
	defer devs.Close()
	r := newREST(t, e.cfg.Clients)
	defer r.Close()
	body := textBody(e.cfg.BodyBytes)
	rnd := newRandoms()
	ws := r.workers("openim/sendmsg", e.cfg.Clients)
	l := e.newLoad(name)
	l.op = func(ctx context.Context, c *call) error {
		s := &ws[c.Worker]
		random := rnd.next()
		s.req = appendSendMsg(s.req[:0], senders[c.Rand.IntN(len(senders))], receivers[c.Worker], random, body)
		if err := r.post(ctx, s.url, s.req, &s.buf); err != nil {
			return err
		}
		c.observe("rest", time.Since(c.Start))
		return awaitFrame(ctx, devs.inbox[c.Worker], random, c)
	}
	out, stats := e.measure(ctx, t, l)
	return results("e2e", name, "e2e", t, l, out, stats), nil
}

// device sends from one device to another over WebSocket: each worker has
// a pair ("bd000000a" → "bd000000b"). Latency: from the send (or its due
// time) until the peer's frame arrives; the extra "ack" row is the latency
// of the sender's answer.
func (e *env) device(ctx context.Context, t *target, name string) ([]Result, error) {
	n := e.cfg.Clients
	users := make([]string, 0, 2*n)
	for i := range n {
		users = append(users, fmt.Sprintf("bd%06da", i), fmt.Sprintf("bd%06db", i))
	}
	if err := t.importUsers(ctx, users); err != nil {
		return nil, err
	}
	devs, err := connect(ctx, t, users, func(i int) bool { return i%2 == 1 })
	if err != nil {
		return nil, err
	}
	defer devs.Close()
	body := textBody(e.cfg.BodyBytes)
	rnd := newRandoms()
	l := e.newLoad(name)
	l.op = func(ctx context.Context, c *call) error {
		from, to := 2*c.Worker, 2*c.Worker+1
		random := rnd.next()
		if _, err := devs.conns[from].Send(ctx, protocol.Send{To: users[to], Random: random, Body: body}); err != nil {
			return err
		}
		c.observe("ack", time.Since(c.Start))
		return awaitFrame(ctx, devs.inbox[to], random, c)
	}
	out, stats := e.measure(ctx, t, l)
	return results("device", name, "ws", t, l, out, stats), nil
}
