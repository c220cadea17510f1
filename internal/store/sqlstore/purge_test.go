package sqlstore

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/core"
)

const testApp = core.AppID(7)

// testPurgeLimits make purges take many transactions on little data.
const testPurgeRows = 50

func testPurgeLimits() purgeLimits { return purgeLimits{rows: testPurgeRows, visits: 20} }

func testMsg(from, to string, t int64, seq uint32) *core.C2CMessage {
	return &core.C2CMessage{App: testApp, From: from, To: to, Time: t, Seq: seq, Body: []byte(`[]`),
		Flags: core.FlagSenderHistory | core.FlagReceiverHistory}
}

func appendAll(t *testing.T, s *Store, msgs []*core.C2CMessage) {
	t.Helper()
	for len(msgs) > 0 {
		n := min(len(msgs), 100)
		if _, err := s.AppendC2C(t.Context(), msgs[:n]); err != nil {
			t.Fatalf("AppendC2C: %v", err)
		}
		msgs = msgs[n:]
	}
}

func unreadOf(t *testing.T, s *Store, owner, peer string) int {
	t.Helper()
	c, _, err := s.Conversation(t.Context(), testApp, owner, core.ConvC2C, peer)
	if err != nil {
		t.Fatalf("Conversation(%s, %s): %v", owner, peer, err)
	}
	return c.Unread
}

// TestPurgeC2CInChunks purges more messages than one chunk deletes, in
// more conversations than one chunk visits.
func TestPurgeC2CInChunks(t *testing.T) {
	s := openTestStore(t, true)
	s.purgeLimits = testPurgeLimits()
	purgeChunk, purgeVisits := int(s.purgeLimits.rows), s.purgeLimits.visits
	var msgs []*core.C2CMessage
	for i := range purgeChunk*2 + 25 {
		msgs = append(msgs, testMsg("a", "b", 100+int64(i%7), uint32(i)))
	}
	withExt := msgs[3]
	withExt.Flags |= core.FlagSupportExtension
	msgs = append(msgs, testMsg("a", "b", 1000, 1), testMsg("a", "b", 1000, 2))
	peers := purgeVisits + 15
	for i := range peers {
		msgs = append(msgs, testMsg(fmt.Sprintf("u%04d", i), "v", 200, 1))
		if i%3 == 0 {
			msgs = append(msgs, testMsg(fmt.Sprintf("u%04d", i), "v", 1000, 2))
		}
	}
	appendAll(t, s, msgs)
	_, err := s.UpdateC2CExtensions(t.Context(), testApp, "a", "b", withExt.Key(), func(m *core.C2CMessage, ext *core.Extensions) ([]core.InboxEvent, error) {
		ext.LatestSeq = 1
		ext.Items["k"] = core.Extension{Key: "k", Value: "v", Seq: 1}
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateC2CExtensions: %v", err)
	}

	n, err := s.PurgeC2C(t.Context(), testApp, 500)
	if want := int64(purgeChunk*2 + 25 + peers); err != nil || n != want {
		t.Fatalf("PurgeC2C = %d, %v; want %d", n, err, want)
	}
	if got := unreadOf(t, s, "b", "a"); got != 2 {
		t.Errorf("b's unread with a = %d, want the 2 kept messages", got)
	}
	for _, i := range []int{0, 1, peers - 1} {
		want := 0
		if i%3 == 0 {
			want = 1
		}
		if got := unreadOf(t, s, "v", fmt.Sprintf("u%04d", i)); got != want {
			t.Errorf("v's unread with u%04d = %d, want %d", i, got, want)
		}
	}
	if ext, err := s.C2CExtensions(t.Context(), testApp, withExt.ID); err != nil || ext.LatestSeq != 0 || len(ext.Items) != 0 {
		t.Errorf("extensions of a purged message = %+v, %v; want none", ext, err)
	}
	h, err := s.C2CHistory(t.Context(), core.C2CQuery{App: testApp, Owner: "a", Peer: "b", MaxTime: 1 << 40, Limit: 10})
	if err != nil || len(h) != 2 {
		t.Errorf("a's history after purge has %d messages (%v), want 2", len(h), err)
	}
	if n, err := s.PurgeC2C(t.Context(), testApp, 500); err != nil || n != 0 {
		t.Errorf("second PurgeC2C = %d, %v; want 0", n, err)
	}
}

// TestPurgeInboxInChunks purges a prefix longer than one chunk, on both
// numbering paths, and checks that numbering goes on after it.
func TestPurgeInboxInChunks(t *testing.T) {
	for _, single := range []bool{true, false} {
		t.Run(fmt.Sprintf("singleWriter=%v", single), func(t *testing.T) {
			s := openTestStore(t, single)
			s.purgeLimits = testPurgeLimits()
			const purgeChunk = testPurgeRows
			var clock atomic.Int64
			clock.Store(100)
			s.now = func() time.Time { return time.Unix(clock.Load(), 0) }
			add := func(user string, n int) []core.InboxEntry {
				t.Helper()
				var out []core.InboxEntry
				for n > 0 {
					k := min(n, 100)
					events := make([]core.InboxEvent, k)
					for i := range events {
						events[i] = core.InboxEvent{User: user, Kind: core.EventKick}
					}
					got, err := s.AddInbox(t.Context(), testApp, events)
					if err != nil {
						t.Fatalf("AddInbox: %v", err)
					}
					out, n = append(out, got...), n-k
				}
				return out
			}
			add("u", purgeChunk*2+25)
			add("w", 5)
			clock.Store(200)
			add("u", 10)

			n, err := s.PurgeInbox(t.Context(), testApp, 150)
			if want := int64(purgeChunk*2 + 30); err != nil || n != want {
				t.Fatalf("PurgeInbox = %d, %v; want %d", n, err, want)
			}
			got, err := s.InboxAfter(t.Context(), testApp, "u", 0, 100)
			if err != nil || len(got) != 10 || got[0].Seq != purgeChunk*2+26 {
				t.Fatalf("u's inbox after purge: %d entries from %v (%v), want 10 from %d", len(got), got[0].Seq, err, purgeChunk*2+26)
			}
			for user, want := range map[string]uint64{"u": purgeChunk*2 + 35, "w": 5} {
				if head, err := s.InboxHead(t.Context(), testApp, user); err != nil || head != want {
					t.Errorf("InboxHead(%s) = %d, %v; want %d", user, head, err, want)
				}
			}
			if e := add("w", 1); e[0].Seq != 6 {
				t.Errorf("w's next entry is number %d, want 6", e[0].Seq)
			}
			if e := add("u", 1); e[0].Seq != purgeChunk*2+36 {
				t.Errorf("u's next entry is number %d, want %d", e[0].Seq, purgeChunk*2+36)
			}
		})
	}
}
