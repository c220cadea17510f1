package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/store/sqlite"
	"github.com/parleyim/parley/internal/store/sqlstore"
	"github.com/parleyim/parley/internal/store/storetest"
)

const testApp = core.AppID(1400000001)

func openAt(t *testing.T, path string, opt sqlite.Options) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, opt)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformanceSharedWriter runs the conformance table with inbox numbers
// assigned by the database, the path engines with several writers use.
func TestConformanceSharedWriter(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store {
		return openAt(t, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{SharedWriter: true})
	})
}

func kicks(users ...string) []core.InboxEvent {
	events := make([]core.InboxEvent, len(users))
	for i, u := range users {
		events[i] = core.InboxEvent{User: u, Kind: core.EventKick}
	}
	return events
}

func addInbox(t *testing.T, s core.Store, users ...string) []core.InboxEntry {
	t.Helper()
	got, err := s.AddInbox(t.Context(), testApp, kicks(users...))
	if err != nil {
		t.Fatalf("AddInbox(%v): %v", users, err)
	}
	return got
}

// checkNumbering fails unless user's inbox holds exactly the numbers
// from..to, ascending, and the head is to.
func checkNumbering(t *testing.T, s core.Store, user string, from, to uint64) {
	t.Helper()
	got, err := s.InboxAfter(t.Context(), testApp, user, 0, 100000)
	if err != nil {
		t.Fatalf("InboxAfter(%s): %v", user, err)
	}
	if uint64(len(got)) != to-from+1 {
		t.Fatalf("%s's inbox has %d entries, want %d..%d", user, len(got), from, to)
	}
	for i, e := range got {
		if e.Seq != from+uint64(i) {
			t.Fatalf("%s's entry %d has number %d, want %d", user, i, e.Seq, from+uint64(i))
		}
	}
	if head, err := s.InboxHead(t.Context(), testApp, user); err != nil || head != to {
		t.Errorf("InboxHead(%s) = %d, %v; want %d", user, head, err, to)
	}
}

// TestSharedWriterInboxNumbering has concurrent writers of every kind that
// numbers entries (appends adding two events, AddInbox, kicks) share users
// while the database assigns the numbers: each inbox is 1..n without gaps.
func TestSharedWriterInboxNumbering(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{SharedWriter: true})
	users := []string{"u0", "u1", "u2"}
	if err := s.PutAccounts(t.Context(), []core.Account{{App: testApp, ID: "u0"}}); err != nil {
		t.Fatal(err)
	}
	var counts [3]atomic.Uint64
	var wg sync.WaitGroup
	for w := range 12 {
		wg.Go(func() {
			for i := range 20 {
				a, b := (w+i)%3, (w+i+1)%3
				var err error
				switch i % 3 {
				case 0:
					m := &core.C2CMessage{App: testApp, From: users[a], To: users[b], Time: 100, Seq: uint32(w), Random: uint32(i),
						Body:  []byte(`[]`),
						Flags: core.FlagSenderHistory | core.FlagReceiverHistory | core.FlagSyncSender}
					_, err = s.AppendC2C(t.Context(), []*core.C2CMessage{m})
				case 1:
					_, err = s.AddInbox(t.Context(), testApp, kicks(users[a], users[b]))
				case 2:
					var ok bool
					ok, err = s.SetKickedAt(t.Context(), testApp, "u0", int64(i), kicks(users[a], users[b]))
					if err == nil && !ok {
						err = fmt.Errorf("SetKickedAt(u0) found no account")
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				counts[a].Add(1)
				counts[b].Add(1)
			}
		})
	}
	wg.Wait()
	for i, u := range users {
		checkNumbering(t, s, u, 1, counts[i].Load())
	}
}

// TestInboxNumberingSurvivesReopen checks that numbering continues after
// PurgeInbox emptied the inbox and the file was closed and reopened, for
// every pair of numbering paths (the file may change engines' paths).
func TestInboxNumberingSurvivesReopen(t *testing.T) {
	for _, first := range []bool{false, true} {
		for _, second := range []bool{false, true} {
			t.Run(fmt.Sprintf("shared=%v,then=%v", first, second), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "parley.db")
				s := openAt(t, path, sqlite.Options{SharedWriter: first})
				addInbox(t, s, "u", "u", "u", "v")
				purgeInbox(t, s, 4)
				if got := addInbox(t, s, "u"); got[0].Seq != 4 {
					t.Errorf("after purge, new entry is number %d, want 4", got[0].Seq)
				}
				if err := s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}

				s = openAt(t, path, sqlite.Options{SharedWriter: second})
				checkNumbering(t, s, "u", 4, 4)
				purgeInbox(t, s, 1)
				if head, err := s.InboxHead(t.Context(), testApp, "u"); err != nil || head != 4 {
					t.Errorf("InboxHead(u) after purge and reopen = %d, %v; want 4", head, err)
				}
				m := &core.C2CMessage{App: testApp, From: "v", To: "u", Time: 100, Body: []byte(`[]`),
					Flags: core.FlagSenderHistory | core.FlagReceiverHistory}
				if _, err := s.AppendC2C(t.Context(), []*core.C2CMessage{m}); err != nil {
					t.Fatalf("AppendC2C: %v", err)
				}
				checkNumbering(t, s, "u", 5, 5)
				addInbox(t, s, "v")
				checkNumbering(t, s, "v", 2, 2)
			})
		}
	}
}

func purgeInbox(t *testing.T, s core.Store, want int64) {
	t.Helper()
	if n, err := s.PurgeInbox(t.Context(), testApp, 1<<40); err != nil || n != want {
		t.Fatalf("PurgeInbox = %d, %v; want %d", n, err, want)
	}
}
