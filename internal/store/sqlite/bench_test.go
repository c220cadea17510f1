package sqlite_test

import (
	"fmt"
	"path/filepath"
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
