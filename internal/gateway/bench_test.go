package gateway_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyim/parley/client"
	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/protocol"
)

// BenchmarkFanout measures group fan-out in-process (memory store, real
// HTTP and WebSocket on loopback): one group of M members, each online with
// one device; every iteration sends one send_group_msg as the admin and
// waits until every member's device has read its frame. Metrics:
// deliveries/s (member frames per second), last-p50-ms and last-p99-ms
// (from the send until the last member's frame). Every member must get
// every message exactly once, in seq order.
func BenchmarkFanout(b *testing.B) {
	for _, m := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("members=%d", m), func(b *testing.B) { benchFanout(b, m) })
	}
}

func benchFanout(b *testing.B, m int) {
	n := parleytest.Start(b, parleytest.Options{GroupMsgRate: -1})
	users := make([]string, m)
	for i := range users {
		users[i] = fmt.Sprintf("fan%05d", i)
	}
	for i := 0; i < m; i += 100 {
		n.MustTIM(b, "im_open_login_svc/multiaccount_import", `{"Accounts":["`+strings.Join(users[i:min(i+100, m)], `","`)+`"]}`)
	}
	group := benchGroup(b, n, users)

	fa := &fanoutArrivals{members: m, slots: map[uint64]*fanoutSlot{}, got: make([][]uint64, m)}
	conns := make([]*client.Conn, m)
	var wg sync.WaitGroup
	b.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		wg.Wait()
	})
	for i, u := range users {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := client.Dial(ctx, client.Config{URL: n.URL, SDKAppID: parleytest.AppID, User: u, UserSig: n.Sig(b, u), EventBuffer: 64})
		cancel()
		if err != nil {
			b.Fatalf("dial %s: %v", u, err)
		}
		conns[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range c.Events() {
				if ev.Kind == protocol.KindGroupMessage && ev.GroupMsg != nil && ev.GroupMsg.Group == group {
					fa.arrive(i, ev.GroupMsg.Seq, time.Now())
				}
			}
		}()
	}

	url := n.AdminURL(b, "group_open_http_svc/send_group_msg")
	lat := make([]time.Duration, 0, b.N)
	var seqs []uint64
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		r := n.Post(b, url, fmt.Sprintf(`{"GroupId":%q,"Random":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"fan-out %d"}}]}`, group, i+1, i))
		var sent struct {
			MsgSeq        uint64
			MsgDropReason string
		}
		r.Decode(b, &sent)
		if r.ErrorCode != 0 || sent.MsgSeq == 0 || sent.MsgDropReason != "" {
			b.Fatalf("send_group_msg: %s", r.Raw)
		}
		last, ok := fa.wait(sent.MsgSeq, 10*time.Second)
		if !ok {
			b.Fatalf("message %d (seq %d): %d of %d members had no frame after 10s", i, sent.MsgSeq, m-fa.count(sent.MsgSeq), m)
		}
		lat = append(lat, last.Sub(start))
		seqs = append(seqs, sent.MsgSeq)
	}
	b.StopTimer()

	// Every member got every message once, in order (the listeners are
	// done with them: each message's last frame was waited for).
	for i := range users {
		fa.mu.Lock()
		g := slices.Clone(fa.got[i])
		fa.mu.Unlock()
		if !slices.Equal(g, seqs) {
			b.Fatalf("member %s got seqs %v, want %v", users[i], g, seqs)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))]) / 1e6 }
	b.ReportMetric(float64(m*b.N)/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(pct(0.50), "last-p50-ms")
	b.ReportMetric(pct(0.99), "last-p99-ms")
}

// benchGroup makes a Public group of users (the first is its owner) over
// REST: create_group with up to 100, then add_group_member 300 at a time.
func benchGroup(b *testing.B, n *parleytest.Node, users []string) string {
	list := func(us []string) string {
		items := make([]string, len(us))
		for i, u := range us {
			items[i] = fmt.Sprintf(`{"Member_Account":%q}`, u)
		}
		return strings.Join(items, ",")
	}
	first := users[1:min(len(users), 100)]
	r := n.MustTIM(b, "group_open_http_svc/create_group",
		fmt.Sprintf(`{"Owner_Account":%q,"Type":"Public","Name":"fanout","MemberList":[%s]}`, users[0], list(first)))
	var out struct{ GroupId string }
	r.Decode(b, &out)
	rest := users[1+len(first):]
	for i := 0; i < len(rest); i += 300 {
		n.MustTIM(b, "group_open_http_svc/add_group_member",
			fmt.Sprintf(`{"GroupId":%q,"MemberList":[%s]}`, out.GroupId, list(rest[i:min(i+300, len(rest))])))
	}
	return out.GroupId
}

// fanoutArrivals counts the member frames of each group message (by seq)
// and keeps the last one's arrival time.
type fanoutArrivals struct {
	members int
	mu      sync.Mutex
	slots   map[uint64]*fanoutSlot
	got     [][]uint64 // each member's seqs, in arrival order
}

type fanoutSlot struct {
	count int
	last  time.Time
	done  chan struct{}
}

func (f *fanoutArrivals) slot(seq uint64) *fanoutSlot {
	s := f.slots[seq]
	if s == nil {
		s = &fanoutSlot{done: make(chan struct{})}
		f.slots[seq] = s
	}
	return s
}

// arrive notes that member got message seq at at.
func (f *fanoutArrivals) arrive(member int, seq uint64, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got[member] = append(f.got[member], seq)
	s := f.slot(seq)
	s.count++
	if at.After(s.last) {
		s.last = at
	}
	if s.count == f.members {
		close(s.done)
	}
}

func (f *fanoutArrivals) count(seq uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.slot(seq).count
}

// wait waits until every member has message seq and returns when the last
// one read it; false after timeout.
func (f *fanoutArrivals) wait(seq uint64, timeout time.Duration) (time.Time, bool) {
	f.mu.Lock()
	s := f.slot(seq)
	f.mu.Unlock()
	select {
	case <-s.done:
	case <-time.After(timeout):
		return time.Time{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return s.last, true
}
