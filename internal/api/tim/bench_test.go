package tim_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/parleytest"
	"github.com/parleyim/parley/internal/store/sqlstore"
)

// BenchmarkSendMsg measures v4/openim/sendmsg end to end over HTTP (client
// and server in this process, keep-alive connections) on the durable SQLite
// store, at several concurrencies, next to a null handler that answers the
// same OK envelope without doing any work: the machine's ceiling in the same
// run. Metrics: msgs/s, p50-ms, p99-ms; ceiling runs report the same.
func BenchmarkSendMsg(b *testing.B) {
	for _, conc := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("store=sqlite/clients=%d", conc), func(b *testing.B) {
			n := parleytest.Start(b, parleytest.Options{SQLite: true})
			users := benchUsers(b, n, 1000)
			url := n.AdminURL(b, "openim/sendmsg")
			before := commitStats(n)
			runLoad(b, conc, url, func(i int) []byte {
				from, to := users[rand.IntN(len(users))], users[rand.IntN(len(users))]
				return fmt.Appendf(nil, `{"From_Account":%q,"To_Account":%q,"MsgRandom":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"benchmark message number %d"}}]}`,
					from, to, rand.Uint32(), i)
			})
			after := commitStats(n)
			if c := after.Commits - before.Commits; c > 0 {
				b.ReportMetric(float64(after.Writes-before.Writes)/float64(c), "writes/commit")
			}
		})
		b.Run(fmt.Sprintf("store=null/clients=%d", conc), func(b *testing.B) {
			url := startNullServer(b)
			runLoad(b, conc, url, func(i int) []byte {
				return fmt.Appendf(nil, `{"From_Account":"u1","To_Account":"u2","MsgRandom":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"benchmark message number %d"}}]}`,
					rand.Uint32(), i)
			})
		})
	}
}

// commitStats reads the group committer's counters of a SQLite node.
func commitStats(n *parleytest.Node) sqlstore.CommitStats {
	if s, ok := n.Store().(interface{ CommitStats() sqlstore.CommitStats }); ok {
		return s.CommitStats()
	}
	return sqlstore.CommitStats{}
}

func benchUsers(b *testing.B, n *parleytest.Node, count int) []string {
	users := make([]string, count)
	for i := range users {
		users[i] = fmt.Sprintf("user%04d", i)
	}
	for i := 0; i < count; i += 100 {
		body := `{"Accounts":[`
		for j, u := range users[i:min(i+100, count)] {
			if j > 0 {
				body += ","
			}
			body += fmt.Sprintf("%q", u)
		}
		n.MustTIM(b, "im_open_login_svc/multiaccount_import", body+`]}`)
	}
	return users
}

// startNullServer serves a handler that reads the body and answers the OK
// envelope of sendmsg: the cost of HTTP and nothing else.
func startNullServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	answer := []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgTime":1700000000,"MsgKey":"1_2_1700000000"}`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(answer)
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/v4/openim/sendmsg"
}

// runLoad sends b.N requests from conc keep-alive clients and reports
// throughput and latency percentiles. Every answer must be ErrorCode 0.
func runLoad(b *testing.B, conc int, url string, body func(i int) []byte) {
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	var next atomic.Int64
	lat := make([][]time.Duration, conc)
	var failures atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := []byte(`"ErrorCode":0`)
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				req := body(i)
				start := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(req))
				if err != nil {
					failures.Add(1)
					continue
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[w] = append(lat[w], time.Since(start))
				if !bytes.Contains(got, ok) {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d of %d requests failed", f, b.N)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(float64(len(all))*p))]) / 1e6
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
