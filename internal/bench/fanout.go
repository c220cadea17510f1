package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gorilla/websocket"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/protocol"
)

// fanoutPerAddr is how many member devices share a source address: well
// below one address's ephemeral ports, which the conns scenario run just
// before may have left in TIME_WAIT.
const fanoutPerAddr = 5000

// fanoutSlot is what the members got of one group message (by MsgSeq).
type fanoutSlot struct {
	count       atomic.Int64
	first, last atomic.Int64 // UnixNano of the first and last frame's arrival
	done        chan struct{}
}

// fanoutTracker collects the arrivals of a group's messages at its members'
// devices. A frame may arrive before the send's answer told its MsgSeq, so
// arrivals are kept by MsgSeq, each in a slot made by whoever comes first.
type fanoutTracker struct {
	// marker starts the group_msg member of the group's message frames:
	// `"group_msg":{"group":"ID"`; the first "seq" after it is the MsgSeq.
	marker   []byte
	members  int64
	slots    sync.Map // uint64 → *fanoutSlot
	disorder atomic.Int64
}

func newFanoutTracker(group string, members int) *fanoutTracker {
	id, _ := json.Marshal(group) // as the server's encoder quotes it
	return &fanoutTracker{marker: append([]byte(`"group_msg":{"group":`), id...), members: int64(members)}
}

func (t *fanoutTracker) slot(seq uint64) *fanoutSlot {
	if s, ok := t.slots.Load(seq); ok {
		return s.(*fanoutSlot)
	}
	s, _ := t.slots.LoadOrStore(seq, &fanoutSlot{done: make(chan struct{})})
	return s.(*fanoutSlot)
}

// arrive notes that one member's frame of message seq was read at at.
func (t *fanoutTracker) arrive(seq uint64, at int64) {
	s := t.slot(seq)
	for f := s.first.Load(); (f == 0 || at < f) && !s.first.CompareAndSwap(f, at); f = s.first.Load() {
	}
	for l := s.last.Load(); at > l && !s.last.CompareAndSwap(l, at); l = s.last.Load() {
	}
	if s.count.Add(1) == t.members {
		close(s.done)
	}
}

// member is a fanout member's device: logged in like a client.Conn, but it
// reads its frames without decoding them, only finding the group's
// messages and their MsgSeq in the bytes. Ten thousand of them share the
// machine with the server, so a device's own cost (a client.Conn decodes
// every frame twice and hands it to another goroutine) would be measured
// as fan-out time.
type member struct {
	ws   *websocket.Conn
	done chan struct{}
	err  error // why the connection ended, once done is closed
}

// dialMember connects device number i as user and logs it in.
func (d *dialer) dialMember(ctx context.Context, i int, user string) (*websocket.Conn, error) {
	sig, err := d.t.userSig(user)
	if err != nil {
		return nil, err
	}
	url := "ws" + strings.TrimPrefix(d.t.url, "http") + protocol.Path
	ws, resp, err := d.dialers[i%len(d.dialers)].DialContext(ctx, url, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (HTTP %d)", url, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		ws.SetReadDeadline(dl)
	}
	login := protocol.Login{Frame: protocol.Frame{ID: 1, Op: protocol.OpLogin}, SDKAppID: d.t.app, User: user, UserSig: sig,
		Platform: "PC", Device: fmt.Sprintf("bench-%d", i)}
	if err := ws.WriteJSON(login); err != nil {
		ws.Close()
		return nil, fmt.Errorf("login: %w", err)
	}
	_, data, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return nil, &client.CloseError{Code: ce.Code, Text: ce.Text}
		}
		return nil, fmt.Errorf("login: %w", err)
	}
	var e protocol.Error
	json.Unmarshal(data, &e)
	if e.Op != protocol.OpOK {
		ws.Close()
		if e.Op == protocol.OpError {
			return nil, &client.Error{Code: e.Code, Message: e.Message, Field: e.Field}
		}
		return nil, fmt.Errorf("unexpected login answer %.120s", data)
	}
	ws.SetReadDeadline(time.Time{})
	return ws, nil
}

// read reads m's frames until the connection ends, and notes the arrival of
// each message of the group. A member's messages come in MsgSeq order; one
// that does not (twice, or after a later one) is counted apart.
func (t *fanoutTracker) read(m *member) {
	defer close(m.done)
	var last uint64
	var buf bytes.Buffer
	for {
		_, r, err := m.ws.NextReader()
		if err != nil {
			m.err = err
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			m.err = err
			return
		}
		at := time.Now().UnixNano()
		b := buf.Bytes()
		i := bytes.Index(b, t.marker)
		if i < 0 {
			continue
		}
		seq, ok := intMember(b[i:], "seq")
		if !ok || seq <= 0 {
			continue
		}
		if uint64(seq) > last {
			last = uint64(seq)
			t.arrive(last, at)
		} else {
			t.disorder.Add(1)
		}
	}
}

// close ends m's connection and waits for its reader.
func (m *member) close() {
	m.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	m.ws.Close()
	<-m.done
}

// closeMembers closes ms, a few at a time.
func closeMembers(ms []*member) {
	var wg sync.WaitGroup
	ch := make(chan *member)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range ch {
				m.close()
			}
		}()
	}
	for _, m := range ms {
		if m != nil {
			ch <- m
		}
	}
	close(ch)
	wg.Wait()
}

// fanoutGroup is the group fanout sends into, made of members[0] (its
// owner) and the others: Public up to publicMaxMembers members, a
// Community (up to 100,000) beyond. Its custom ID names the size, so a run
// against a server that an earlier run of the same size set up reuses it.
func fanoutGroup(members []string) groupSpec {
	g := groupSpec{typ: "Public", owner: members[0], members: members[1:]}
	g.id = fmt.Sprintf("bench-fanout-%d", len(members))
	if len(members) > publicMaxMembers {
		g.typ, g.max = "Community", len(members)
		g.id = "@TGS#_" + g.id
	}
	return g
}

// fanout sends Messages messages, one at a time (or at Rate), into a group
// of Members members ("bf000000" …) that are all online, one device each,
// and measures for each message the time from the send (send_group_msg as
// the admin; from its due time at a Rate) until the first member's device
// and until the last member's device read its frame, matched by the MsgSeq
// of the answer. Rows: fanout/first and fanout/last; the latter's
// throughput is member frames per second while a message was in flight (M
// × messages / the time from each send to its last frame), which the
// ceiling's is compared with. A member whose frame did not come within
// Timeout counts as one error.
func (e *env) fanout(ctx context.Context, t *target, name string) ([]Result, error) {
	m := e.cfg.Members
	users := userNames("bf", m)
	g := fanoutGroup(users)
	if t.null {
		g = groupSpec{id: "bench-fanout-null"}
	} else {
		if err := t.importUsers(ctx, users); err != nil {
			return nil, err
		}
		r := newREST(t, 1)
		err := t.ensureGroup(ctx, r, g)
		r.Close()
		if err != nil {
			return nil, err
		}
	}

	// Connect every member, a few at a time.
	tr := newFanoutTracker(g.id, m)
	d := newDialerSpread(t, m, 0, fanoutPerAddr)
	members := make([]*member, m)
	defer closeMembers(members)
	cl := &load{name: name + "/connect", workers: min(connsDialers, m), total: int64(m), timeout: e.cfg.Timeout, progress: e.cfg.Progress}
	cl.op = func(ctx context.Context, c *call) error {
		ws, err := d.dialMember(ctx, int(c.Seq), users[c.Seq])
		if err != nil {
			return err
		}
		mb := &member{ws: ws, done: make(chan struct{})}
		members[c.Seq] = mb
		go tr.read(mb)
		return nil
	}
	co := cl.run(ctx)
	if co.Failed > 0 {
		es := co.Errors.sorted()
		return nil, fmt.Errorf("%d of %d members could not connect (%s: %s)", co.Failed, m, es[0].Kind, es[0].Example)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	connectNote := fmt.Sprintf("%d members connected in %s (%s/s)", m, co.Window.Round(time.Millisecond), formatRate(float64(m)/co.Window.Seconds()))
	if n := len(d.dialers); n > 1 {
		connectNote += fmt.Sprintf(" from %d source addresses 127.0.0.1–127.0.0.%d", n, n)
	}

	r := newREST(t, max(1, e.cfg.Clients))
	defer r.Close()
	url := r.url("group_open_http_svc/send_group_msg", 1)
	body := textBody(e.cfg.BodyBytes)
	rnd := newRandoms()
	fr := &fanoutRun{tr: tr, timeout: e.cfg.Timeout, first: newHistogram(), last: newHistogram(), errs: make(tally)}
	send := func(ctx context.Context, start time.Time, measured bool) {
		req := appendSendGroupMsg(nil, g.id, "", rnd.next(), body)
		var buf bytes.Buffer
		octx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
		defer cancel()
		err := r.post(octx, url, req, &buf)
		var seq uint64
		if err == nil {
			seq, err = sentGroupMsg(buf.Bytes())
		}
		fr.finish(octx, ctx, start, seq, err, measured)
	}

	if e.cfg.Warmup > 0 {
		send(ctx, time.Now(), false)
	}
	a := t.proc.sample()
	stop := make(chan struct{})
	var bg sync.WaitGroup
	t0 := time.Now()
	bg.Add(1)
	go func() {
		defer bg.Done()
		fr.report(e.cfg.Progress, name, e.cfg.Messages, t0, stop)
	}()
	if e.cfg.Rate > 0 {
		sched := schedule{t0: t0, rate: e.cfg.Rate}
		var wg sync.WaitGroup
		for i := range e.cfg.Messages {
			due := sched.at(int64(i))
			if !sleepUntil(ctx, due) {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				send(ctx, due, true)
			}()
		}
		wg.Wait()
	} else {
		for range e.cfg.Messages {
			if ctx.Err() != nil {
				break
			}
			send(ctx, time.Now(), true)
		}
	}
	close(stop)
	bg.Wait()
	b := t.proc.sample()

	var dropped int64
	var why error
	for _, mb := range members {
		select {
		case <-mb.done:
			dropped++
			if why == nil {
				why = fmt.Errorf("%w: %v", errDropped, mb.err)
			}
		default:
		}
	}
	if dropped > 0 {
		fr.errs.addN(errorKind(errDropped), dropped, why.Error())
	}
	if n := tr.disorder.Load(); n > 0 {
		fr.errs.addN(errorKind(errDisorder), n, errDisorder.Error())
	}

	mode, workers := "closed", 1
	if e.cfg.Rate > 0 {
		mode, workers = "open", e.cfg.Messages
	}
	window := fr.busy()
	last := Result{
		Name: name + "/last", Scenario: "fanout", Shape: "fanout", Ceiling: t.null, Mode: mode, Clients: workers, Rate: e.cfg.Rate,
		Seconds: window.Seconds(), Ops: fr.frames, Latency: summarize(fr.last),
		Errors: fr.errs.sorted(), ErrorsTotal: fr.errs.total(), Server: serverStats(t.proc, a, b),
	}
	if window > 0 {
		last.Throughput = float64(fr.frames) / window.Seconds()
	}
	first := last
	first.Name, first.Extra, first.Latency = name+"/first", true, summarize(fr.first)
	first.Errors, first.ErrorsTotal = nil, 0
	what := fmt.Sprintf("%d messages (send_group_msg as the admin, %d-byte text) to a %s group of %d online members, one device each",
		fr.messages, e.cfg.BodyBytes, cmp.Or(g.typ, "null"), m)
	if e.cfg.Rate > 0 {
		what += fmt.Sprintf(", at %s/s", formatRate(e.cfg.Rate))
	} else {
		what += ", one at a time"
	}
	last.Notes = append(last.Notes, what+"; latency from the send until the last member's frame (fanout/first: the first member's); ops/s: member frames per second while a message was in flight",
		connectNote)
	if g.typ == "Community" {
		last.Notes = append(last.Notes, fmt.Sprintf("a Community: a Public group takes at most %d members", publicMaxMembers))
	}
	return []Result{first, last}, nil
}

// fanoutRun is what fanout measured.
type fanoutRun struct {
	tr      *fanoutTracker
	timeout time.Duration

	mu          sync.Mutex
	first, last *hdrhistogram.Histogram
	errs        tally
	frames      int64 // member frames of measured messages
	messages    int   // measured messages sent
	done        int   // measured messages finished
	spans       [][2]time.Time
}

// finish waits until every member has message seq (sent at start; err is
// the send's failure) or octx ends, and records it.
func (f *fanoutRun) finish(octx, ctx context.Context, start time.Time, seq uint64, err error, measured bool) {
	if err != nil {
		if ctx.Err() == nil {
			f.mu.Lock()
			f.errs.add(err)
			f.mu.Unlock()
		}
		return
	}
	s := f.tr.slot(seq)
	select {
	case <-s.done:
	case <-octx.Done():
	}
	if ctx.Err() != nil {
		return
	}
	got := s.count.Load()
	f.mu.Lock()
	defer f.mu.Unlock()
	if missing := f.tr.members - got; missing > 0 {
		f.errs.addN(errorKind(errNoFrame), missing, fmt.Sprintf("MsgSeq %d: %d of %d members had no frame within %v", seq, missing, f.tr.members, f.timeout))
	}
	if !measured {
		return
	}
	f.messages++
	f.done++
	f.frames += got
	end := start.Add(f.timeout)
	if got > 0 {
		record(f.first, time.Unix(0, s.first.Load()).Sub(start))
	}
	if got == f.tr.members {
		end = time.Unix(0, s.last.Load())
		record(f.last, end.Sub(start))
	}
	f.spans = append(f.spans, [2]time.Time{start, end})
}

// busy is how long at least one measured message was in flight: the union
// of the spans from each send to its last frame.
func (f *fanoutRun) busy() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	spans := slices.Clone(f.spans)
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var total time.Duration
	var cur [2]time.Time
	for i, s := range spans {
		switch {
		case i == 0:
			cur = s
		case !s[0].After(cur[1]):
			if s[1].After(cur[1]) {
				cur[1] = s[1]
			}
		default:
			total += cur[1].Sub(cur[0])
			cur = s
		}
	}
	if len(spans) > 0 {
		total += cur[1].Sub(cur[0])
	}
	return total
}

// report prints a progress line every second until stop is closed.
func (f *fanoutRun) report(w io.Writer, name string, total int, t0 time.Time, stop <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			f.mu.Lock()
			done, errs := f.done, f.errs.total()
			p50, p99 := f.last.ValueAtQuantile(50), f.last.ValueAtQuantile(99)
			f.mu.Unlock()
			fmt.Fprintf(w, "  %-14s %5.1fs  %4d of %d messages  last member p50 %s p99 %s  errors %d\n",
				name, now.Sub(t0).Seconds(), done, total, formatMs(float64(p50)/1000, int64(done)), formatMs(float64(p99)/1000, int64(done)), errs)
		}
	}
}
