package tim_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/parleytest"
)

// BenchmarkSendGroupMsg measures group_open_http_svc/send_group_msg end to
// end over HTTP on the durable SQLite store from 16 keep-alive clients, into
// one group and round robin into 1000 groups, each a Public group of three
// offline members, with frequency control off (group_msg_rate -1). Metrics
// as BenchmarkSendMsg's: msgs/s, p50-ms, p99-ms, writes/commit. Every send
// must be stored: the groups' seqs add up to b.N.
func BenchmarkSendGroupMsg(b *testing.B) {
	const clients = 16
	for _, groups := range []int{1, 1000} {
		b.Run(fmt.Sprintf("store=sqlite/groups=%d/clients=%d", groups, clients), func(b *testing.B) {
			n := parleytest.Start(b, parleytest.Options{SQLite: true, GroupMsgRate: -1})
			members := []string{"gm0", "gm1", "gm2"}
			n.MustTIM(b, "im_open_login_svc/multiaccount_import", `{"Accounts":["gm0","gm1","gm2"]}`)
			ids := benchGroups(b, n, groups, members)
			url := n.AdminURL(b, "group_open_http_svc/send_group_msg")
			before := commitStats(n)
			runLoad(b, clients, url, func(i int) []byte {
				return fmt.Appendf(nil, `{"GroupId":%q,"From_Account":%q,"Random":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"benchmark message number %d"}}]}`,
					ids[i%groups], members[i%len(members)], rand.Uint32(), i)
			})
			after := commitStats(n)
			if c := after.Commits - before.Commits; c > 0 {
				b.ReportMetric(float64(after.Writes-before.Writes)/float64(c), "writes/commit")
			}
			var stored uint64
			for _, id := range ids {
				g, ok := n.Service.GroupSnapshot(core.AppID(parleytest.AppID), id)
				if !ok {
					b.Fatalf("group %s is gone", id)
				}
				stored += g.NextSeq - 1
			}
			if stored != uint64(b.N) {
				b.Fatalf("the groups hold %d messages after %d sends (frequency control or de-duplication dropped some?)", stored, b.N)
			}
		})
	}
}

// benchGroups creates count Public groups of members (the first is the
// owner), eight create_group requests at a time, and returns their IDs.
func benchGroups(b *testing.B, n *parleytest.Node, count int, members []string) []string {
	ids := make([]string, count)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%04d", i)
	}
	list := `{"Member_Account":"` + strings.Join(members[1:], `"},{"Member_Account":"`) + `"}`
	url := n.AdminURL(b, "group_open_http_svc/create_group")
	var wg sync.WaitGroup
	ch := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ch {
				r := n.Post(b, url, fmt.Sprintf(`{"Owner_Account":%q,"Type":"Public","GroupId":%q,"Name":"bench","MemberList":[%s]}`, members[0], id, list))
				if r.ErrorCode != 0 {
					b.Errorf("create_group %s: %s", id, r.Raw)
				}
			}
		}()
	}
	for _, id := range ids {
		ch <- id
	}
	close(ch)
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return ids
}
