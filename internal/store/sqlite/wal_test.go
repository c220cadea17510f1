package sqlite_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/store/sqlite"
)

// TestWALIsRewound checks that writes which never pause do not grow the WAL
// for as long as they last: once it passes WALRewindPages the checkpointer
// makes the writer start over at the file's beginning. The same load with
// rewinding turned off shows that the load would have grown it.
func TestWALIsRewound(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a few thousand fsynced commits")
	}
	const rewindAt = 256 // pages
	rewound := walPagesAfterLoad(t, rewindAt)
	grown := walPagesAfterLoad(t, math.MaxInt)
	t.Logf("WAL after the load: %d pages with rewinding at %d, %d without", rewound, rewindAt, grown)
	// A rewind waits for the next tick, during which the load goes on.
	if rewound > 16*rewindAt {
		t.Errorf("WAL grew to %d pages with rewinding at %d", rewound, rewindAt)
	}
	if grown < 2*rewound {
		t.Errorf("without rewinding the WAL grew to %d pages only, with rewinding %d: the load does not test anything", grown, rewound)
	}
}

// walPagesAfterLoad appends messages from 16 goroutines, one per commit,
// to a fresh store and answers the WAL's size in pages afterwards.
func walPagesAfterLoad(t *testing.T, rewindAt int) int64 {
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{
		SyncNormal: true, CheckpointEvery: 5 * time.Millisecond, WALRewindPages: rewindAt,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body := []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"keeps the writer busy"}}]`)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 400 {
				m := &core.C2CMessage{App: 1, From: fmt.Sprintf("u%d", w), To: fmt.Sprintf("u%d", (i*7)%500),
					Seq: uint32(w<<16 | i), Random: uint32(i), Time: time.Now().Unix(), Body: body,
					Flags: core.FlagSenderHistory | core.FlagReceiverHistory}
				if _, err := s.AppendC2C(t.Context(), []*core.C2CMessage{m}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size() / 4096
}
