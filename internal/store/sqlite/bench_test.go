package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/store/sqlite"
)

// BenchmarkAppendC2C measures group-committed message appends from many
// goroutines on a durable (fsync per commit) SQLite file.
func BenchmarkAppendC2C(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		for _, feed := range []bool{false, true} {
			b.Run(fmt.Sprintf("sync=%s/feed=%v", sync, feed), func(b *testing.B) { benchAppendC2C(b, sync, feed) })
		}
	}
}

// benchAppendC2C appends from 32 goroutines; with feed a commit feed is
// set, as a node sets it (message events then carry their conversations).
func benchAppendC2C(b *testing.B, sync string, feed bool) {
	{
		{
			s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{SyncNormal: sync == "normal"})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if feed {
				s.SetCommitFeed(func(core.Commit) {})
			}
			body := []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"benchmark message"}}]`)
			var seq atomic.Uint32
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					m := &core.C2CMessage{App: 1, From: fmt.Sprintf("u%d", i%1000), To: fmt.Sprintf("u%d", (i*7)%1000),
						Seq: i, Random: i, Time: time.Now().Unix(), Body: body,
						Flags: core.FlagSenderHistory | core.FlagReceiverHistory}
					if _, err := s.AppendC2C(b.Context(), []*core.C2CMessage{m}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		}
	}
}

// BenchmarkAppendGroupMessage measures group-committed appends into one
// group from 16 goroutines: every append takes the same group row's next
// seq, so this is the worst case for a hot group (send_group_msg). With
// feed a commit feed is set, as a node sets it.
func BenchmarkAppendGroupMessage(b *testing.B) {
	for _, mode := range []string{"full", "normal"} {
		for _, feed := range []bool{false, true} {
			b.Run(fmt.Sprintf("sync=%s/feed=%v", mode, feed), func(b *testing.B) { benchAppendGroupMessage(b, mode, feed) })
		}
	}
}

func benchAppendGroupMessage(b *testing.B, mode string, feed bool) {
	const writers = 16
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{SyncNormal: mode == "normal"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if feed {
		s.SetCommitFeed(func(core.Commit) {})
	}
	users := make([]string, 100)
	ms := make([]core.Member, len(users))
	for i := range users {
		users[i] = fmt.Sprintf("u%d", i)
		ms[i] = core.Member{User: users[i], Role: core.RoleMember, MsgFlag: "AcceptAndNotify"}
	}
	g := &core.Group{App: 1, ID: "bench", Type: core.GroupPublic, Owner: users[0], MaxMembers: 2000}
	if err := s.CreateGroup(b.Context(), g, ms, nil); err != nil {
		b.Fatal(err)
	}
	body := []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"benchmark message"}}]`)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				m := &core.GroupMessage{App: 1, Group: "bench", From: users[i%int64(len(users))], Random: uint32(i),
					Time: time.Now().Unix(), Priority: core.PriorityNormal, Body: body}
				a := &core.GroupAppend{Msg: m, Counts: true, UpdatesConversation: true}
				if _, err := s.AppendGroupMessage(b.Context(), a); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	last, err := s.GroupMessages(b.Context(), core.GroupMsgQuery{App: 1, Group: "bench", MaxSeq: 1 << 62, Limit: 1, Desc: true})
	if err != nil || len(last) != 1 || last[0].Seq != uint64(b.N) {
		b.Fatalf("newest message after %d appends: %+v, %v", b.N, last, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
