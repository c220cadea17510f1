package tim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/parleytest"
)

// v4/recentcontact/get_list and delete (reference §3.3). Conversations
// change in the transaction of the message that changes them.

// AssistFlags bits of get_list.
const (
	flagPinned     = 1 << 0
	flagEmpty      = 1 << 1
	flagPagePinned = 1 << 2
)

// listed renders items as peer@time (+pinned) for comparisons.
func listed(items []session) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s@%d", it.To_Account, it.MsgTime)
		if it.TopFlag == 1 {
			b.WriteString("+top")
		}
	}
	return b.String()
}

// conv renders peer@time as listed does, with time relative to t0.
func conv(peer string, dt int64) string { return fmt.Sprintf("%s@%d", peer, t0+dt) }

func convs(items ...string) string { return strings.Join(items, " ") }

// pin pins or unpins owner's conversation with peer. REST has no command for
// it (devices pin), so the test calls core.
func pin(t testing.TB, n *parleytest.Node, owner, peer string, pinned bool) {
	t.Helper()
	if err := n.Service.PinConversation(t.Context(), parleytest.AppID, owner, core.ConvC2C, peer, pinned); err != nil {
		t.Fatalf("PinConversation(%s, %s, %v): %v", owner, peer, pinned, err)
	}
}

func TestGetListItemsAndOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob", "carol", "dave")
		if got := contacts(t, n, "alice", 0); len(got) != 0 {
			t.Errorf("alice's list before any message: %s, want empty", listed(got))
		}
		sendText(t, n, "alice", "bob", 1, "to bob", at(t0-30))
		sendText(t, n, "carol", "alice", 2, "from carol", at(t0-20))
		sendText(t, n, "alice", "dave", 3, "to dave", at(t0-10))

		a := listPage(t, n, "alice", 0, listAnswer{})
		if got, want := listed(a.SessionItem), convs(conv("dave", -10), conv("carol", -20), conv("bob", -30)); got != want {
			t.Errorf("alice's list: %s, want %s (newest first)", got, want)
		}
		if a.CompleteFlag != 1 {
			t.Errorf("alice's list: CompleteFlag %d, want 1", a.CompleteFlag)
		}
		for _, it := range a.SessionItem {
			if it.Type != 1 || it.GroupId != "" || it.TopFlag != 0 {
				t.Errorf("alice's list item %+v: want Type 1, no GroupId, TopFlag 0", it)
			}
		}
		raw := string(n.MustTIM(t, "recentcontact/get_list", `{"From_Account":"bob","TimeStamp":0,"StartIndex":0,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":0}`).Raw)
		if want := fmt.Sprintf(`"SessionItem":[{"Type":1,"To_Account":"alice","MsgTime":%d,"TopFlag":0}]`, t0-30); !strings.Contains(raw, want) {
			t.Errorf("bob's list: %s, want it to contain %s", raw, want)
		}

		// A newer message moves its conversation to the top; an older one
		// (imported history, an old MsgTimeStamp) moves nothing.
		sendText(t, n, "bob", "alice", 4, "newer", at(t0-5))
		sendText(t, n, "dave", "alice", 5, "older", at(t0-100))
		timCode(t, n, "openim/importmsg", importBody("2", "carol", "alice", 6, 6, t0-200, "ancient"), 0)
		want := convs(conv("bob", -5), conv("dave", -10), conv("carol", -20))
		if got := listed(contacts(t, n, "alice", 0)); got != want {
			t.Errorf("alice's list after a newer and older messages: %s, want %s", got, want)
		}
		if got := listed(contacts(t, n, "alice", flagPinned|flagEmpty|flagPagePinned)); got != want {
			t.Errorf("alice's list with AssistFlags 7: %s, want %s", got, want)
		}
	})
}

func TestGetListNoLastMsgAndSyncOtherMachine(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob", "erin", "frank")
		sendText(t, n, "alice", "bob", 1, "listed", at(t0-30))
		sendText(t, n, "alice", "frank", 2, "listed", at(t0-20))
		// NoLastMsg leaves an existing conversation as it was …
		sendText(t, n, "alice", "bob", 3, "not last", at(t0-10)+`,"SendMsgControl":["NoLastMsg"]`)
		// … and a conversation made only of such messages is empty.
		sendText(t, n, "alice", "erin", 4, "not last", at(t0-5)+`,"SendMsgControl":["NoLastMsg"]`)
		want := convs(conv("frank", -20), conv("bob", -30))
		if got := listed(contacts(t, n, "alice", 0)); got != want {
			t.Errorf("alice's list: %s, want %s", got, want)
		}
		if got, want := listed(contacts(t, n, "bob", 0)), conv("alice", -30); got != want {
			t.Errorf("bob's list: %s, want %s (NoLastMsg moves neither side)", got, want)
		}
		if got := contacts(t, n, "erin", 0); len(got) != 0 {
			t.Errorf("erin's list: %s, want empty", listed(got))
		}
		// AssistFlags bit 1 lists the empty conversations, after the others.
		if got, want := listed(contacts(t, n, "alice", flagEmpty)), want+" erin@0"; got != want {
			t.Errorf("alice's list with empty conversations: %s, want %s", got, want)
		}
		if got, want := listed(contacts(t, n, "erin", flagEmpty)), "alice@0"; got != want {
			t.Errorf("erin's list with empty conversations: %s, want %s", got, want)
		}
		// The messages are in history all the same, and count as unread.
		if h := historyOf(t, n, "erin", "alice"); len(h) != 1 {
			t.Errorf("erin's history: %q, want the NoLastMsg message", keys(h))
		}
		wantUnread(t, n, "erin", "alice", 1, 1)
		// A normal message makes the conversation listed.
		sendText(t, n, "erin", "alice", 5, "listed now", at(t0-1))
		if got, want := listed(contacts(t, n, "erin", 0)), conv("alice", -1); got != want {
			t.Errorf("erin's list after a normal message: %s, want %s", got, want)
		}

		// SyncOtherMachine 2: nothing on the sender's side, even empty.
		n.ImportAccounts(t, "gina", "hal")
		sendText(t, n, "gina", "hal", 6, "not kept by gina", `,"SyncOtherMachine":2`)
		if got := contacts(t, n, "gina", flagEmpty); len(got) != 0 {
			t.Errorf("gina's list after SyncOtherMachine 2: %s, want empty", listed(got))
		}
		if got, want := listed(contacts(t, n, "hal", 0)), conv("gina", 0); got != want {
			t.Errorf("hal's list: %s, want %s", got, want)
		}
		// SyncOtherMachine 3: nothing on the receiver's side.
		sendText(t, n, "hal", "gina", 7, "not kept by gina", at(t0+1)+`,"SyncOtherMachine":3`)
		if got := contacts(t, n, "gina", flagEmpty); len(got) != 0 {
			t.Errorf("gina's list after SyncOtherMachine 3: %s, want empty", listed(got))
		}
		if got, want := listed(contacts(t, n, "hal", 0)), conv("gina", 1); got != want {
			t.Errorf("hal's list after his SyncOtherMachine 3 message: %s, want %s", got, want)
		}
	})
}

// TestGetListPaging pages 250 conversations, many sharing one MsgTime (the
// clock is stopped), with every cursor, pinned conversations included, and
// 60 empty ones after them when asked for.
func TestGetListPaging(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		users := make([]string, 250)
		for i := range users {
			users[i] = fmt.Sprintf("u%03d", i)
		}
		empty := make([]string, 60)
		for i := range empty {
			empty[i] = fmt.Sprintf("e%02d", i)
		}
		importMany(t, n, slices.Concat([]string{"owner"}, users, empty))
		// 120 conversations share t0-1000 (they span two page boundaries);
		// the other 130 come in groups of 7 per second after it.
		send := func(to []string, ts int64, random int) {
			n.MustTIM(t, "openim/batchsendmsg", batchBody("owner", to, random, at(ts)))
		}
		send(users[:120], t0-1000, 1)
		for i, g := 120, 0; i < len(users); i, g = i+7, g+1 {
			send(users[i:min(i+7, len(users))], t0-900+int64(g), 2+g)
		}
		n.MustTIM(t, "openim/batchsendmsg", batchBody("owner", empty, 99, `,"SendMsgControl":["NoLastMsg"]`))
		pinned := []string{users[3], users[119], users[125], users[200], users[249]}
		for _, p := range pinned {
			pin(t, n, "owner", p, true)
		}

		tests := []struct {
			name  string
			flags int
			// pinnedFirst: the pinned conversations come first, TopFlag 1.
			pinnedFirst bool
		}{
			{"no pinned support", 0, false},
			{"pinned first on the first page", flagPinned, true},
			{"pinned paged", flagPinned | flagPagePinned, true},
			{"empty ones too", flagEmpty, false},
			{"every flag", flagPinned | flagEmpty | flagPagePinned, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var all []session
				var a listAnswer
				pages := 0
				for a.CompleteFlag == 0 {
					if pages++; pages > 10 {
						t.Fatalf("more than 10 pages")
					}
					prev := a
					a = listPage(t, n, "owner", tt.flags, a)
					if len(a.SessionItem) > 100 {
						t.Errorf("page %d: %d items, want at most 100", pages, len(a.SessionItem))
					}
					if a.CompleteFlag == 0 && (a.TimeStamp == prev.TimeStamp && a.StartIndex == prev.StartIndex &&
						a.TopTimeStamp == prev.TopTimeStamp && a.TopStartIndex == prev.TopStartIndex) {
						t.Fatalf("page %d: CompleteFlag 0 with unchanged cursors %+v", pages, a)
					}
					all = append(all, a.SessionItem...)
				}
				want := users
				if tt.flags&flagEmpty != 0 {
					want = slices.Concat(users, empty)
				}
				if wantPages := (len(want) + 99) / 100; pages != wantPages {
					t.Errorf("%d pages, want %d (%d conversations, 100 a page)", pages, wantPages, len(want))
				}
				seen := map[string]int{}
				for _, it := range all {
					seen[it.To_Account]++
				}
				for _, u := range want {
					if seen[u] != 1 {
						t.Errorf("%s listed %d times, want once", u, seen[u])
					}
				}
				if len(all) != len(want) {
					t.Fatalf("%d items, want %d", len(all), len(want))
				}
				normal := all
				if tt.pinnedFirst {
					top := all[:len(pinned)]
					for _, it := range top {
						if it.TopFlag != 1 || !slices.Contains(pinned, it.To_Account) {
							t.Errorf("first items %s: want the pinned conversations with TopFlag 1", listed(top))
							break
						}
					}
					normal = all[len(pinned):]
					if !slices.IsSortedFunc(top, newestFirst) {
						t.Errorf("pinned items %s: want newest first", listed(top))
					}
				}
				for _, it := range normal {
					if tt.pinnedFirst && it.TopFlag != 0 {
						t.Errorf("%s after the pinned items has TopFlag %d", it.To_Account, it.TopFlag)
					}
				}
				if !slices.IsSortedFunc(normal, newestFirst) {
					t.Errorf("items are not newest first: %s", listed(normal))
				}
			})
		}

		// Unpinned, a conversation goes back to its place.
		for _, p := range pinned {
			pin(t, n, "owner", p, false)
		}
		for _, it := range contacts(t, n, "owner", flagPinned) {
			if it.TopFlag != 0 {
				t.Errorf("%s still has TopFlag 1 after unpinning", it.To_Account)
			}
		}
	})
}

func newestFirst(a, b session) int {
	switch {
	case a.MsgTime > b.MsgTime:
		return -1
	case a.MsgTime < b.MsgTime:
		return 1
	}
	return 0
}

func TestRecentContactDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob", "carol")
		m1 := sendText(t, n, "alice", "bob", 1, "m1", at(t0-30))
		m2 := sendText(t, n, "alice", "bob", 2, "m2", at(t0-20))
		m3 := sendText(t, n, "bob", "alice", 3, "m3", at(t0-10))
		sendText(t, n, "carol", "bob", 4, "from carol", at(t0-5))
		wantUnread(t, n, "bob", "alice", 2, 3)

		del := func(owner, peer string, clear int) {
			t.Helper()
			timCode(t, n, "recentcontact/delete", fmt.Sprintf(`{"From_Account":%q,"Type":1,"To_Account":%q,"ClearRamble":%d}`, owner, peer, clear), 0)
		}
		// Deleting hides the conversation and zeroes its unread count; the
		// history and the peer's side stay.
		del("bob", "alice", 0)
		if got, want := listed(contacts(t, n, "bob", flagEmpty)), conv("carol", -5); got != want {
			t.Errorf("bob's list after deleting alice: %s, want %s", got, want)
		}
		wantUnread(t, n, "bob", "alice", 0, 1)
		if got := keys(historyOf(t, n, "bob", "alice")); !slices.Equal(got, []string{m1, m2, m3}) {
			t.Errorf("bob's history after deleting without ClearRamble: %q, want all three", got)
		}
		if got, want := listed(contacts(t, n, "alice", 0)), conv("bob", -10); got != want {
			t.Errorf("alice's list: %s, want %s", got, want)
		}
		wantUnread(t, n, "alice", "bob", 1, 1)

		// A new message brings it back, counting only what is new.
		m4 := sendText(t, n, "alice", "bob", 5, "m4", "")
		if got, want := listed(contacts(t, n, "bob", 0)), convs(conv("alice", 0), conv("carol", -5)); got != want {
			t.Errorf("bob's list after a new message: %s, want %s", got, want)
		}
		wantUnread(t, n, "bob", "alice", 1, 2)

		// ClearRamble 1 also empties bob's history; alice keeps hers.
		del("bob", "alice", 1)
		if got := historyOf(t, n, "bob", "alice"); len(got) != 0 {
			t.Errorf("bob's history after ClearRamble: %q, want empty", keys(got))
		}
		if got := keys(historyOf(t, n, "alice", "bob")); !slices.Equal(got, []string{m1, m2, m3, m4}) {
			t.Errorf("alice's history after bob's ClearRamble: %q, want all four", got)
		}
		wantUnread(t, n, "bob", "alice", 0, 1)
		// After it, bob's history starts again with the next message.
		m5 := sendText(t, n, "bob", "alice", 6, "m5", "")
		if got := keys(historyOf(t, n, "bob", "alice")); !slices.Equal(got, []string{m5}) {
			t.Errorf("bob's history after a new message: %q, want %s", got, m5)
		}
		if got, want := listed(contacts(t, n, "bob", 0)), convs(conv("alice", 0), conv("carol", -5)); got != want {
			t.Errorf("bob's list after his own new message: %s, want %s", got, want)
		}

		// Deleting what does not exist succeeds, and so does Type 2.
		del("carol", "alice", 0)
		timCode(t, n, "recentcontact/delete", `{"From_Account":"bob","Type":2,"ToGroupid":"@TGS#group"}`, 0)
		if got, want := listed(contacts(t, n, "bob", 0)), convs(conv("alice", 0), conv("carol", -5)); got != want {
			t.Errorf("bob's list after deleting a group conversation: %s, want %s", got, want)
		}
	})
}

func TestRecentContactErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		sendText(t, n, "alice", "bob", 1, "hi", "")
		list := func(from string) string {
			return fmt.Sprintf(`{"From_Account":%q,"TimeStamp":0,"StartIndex":0,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":7}`, from)
		}
		tests := []struct {
			name, command, body string
			want                int
		}{
			{"get_list, From_Account not imported", "get_list", list("ghost"), 50001},
			{"get_list, From_Account empty", "get_list", list(""), 50001},
			{"get_list, From_Account missing", "get_list", `{"TimeStamp":0,"StartIndex":0}`, 50002},
			{"get_list, From_Account a number", "get_list", `{"From_Account":1}`, 50002},
			{"get_list, negative cursor", "get_list", `{"From_Account":"bob","TimeStamp":-1}`, 50002},
			{"get_list, TimeStamp a string", "get_list", `{"From_Account":"bob","TimeStamp":"0"}`, 50002},
			{"get_list, JSON syntax error", "get_list", `{"From_Account":"bob"`, 50002},
			{"delete, From_Account not imported", "delete", `{"From_Account":"ghost","Type":1,"To_Account":"alice"}`, 50001},
			{"delete, From_Account missing", "delete", `{"Type":1,"To_Account":"alice"}`, 50002},
			{"delete, Type missing", "delete", `{"From_Account":"bob","To_Account":"alice"}`, 50002},
			{"delete, Type 0", "delete", `{"From_Account":"bob","Type":0,"To_Account":"alice"}`, 50002},
			{"delete, Type 3", "delete", `{"From_Account":"bob","Type":3,"To_Account":"alice"}`, 50002},
			{"delete, Type a string", "delete", `{"From_Account":"bob","Type":"1","To_Account":"alice"}`, 50002},
			{"delete, Type 1 without To_Account", "delete", `{"From_Account":"bob","Type":1,"ToGroupid":"g"}`, 50002},
			{"delete, Type 1 with an empty To_Account", "delete", `{"From_Account":"bob","Type":1,"To_Account":""}`, 50002},
			{"delete, Type 2 without ToGroupid", "delete", `{"From_Account":"bob","Type":2,"To_Account":"alice"}`, 50002},
			{"delete, ClearRamble 2", "delete", `{"From_Account":"bob","Type":1,"To_Account":"alice","ClearRamble":2}`, 50002},
			{"delete, JSON syntax error", "delete", `{"From_Account":"bob",`, 50002},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				timCode(t, n, "recentcontact/"+tt.command, tt.body, tt.want)
			})
		}
		if got, want := listed(contacts(t, n, "bob", 0)), conv("alice", 0); got != want {
			t.Errorf("bob's list after the refusals: %s, want %s", got, want)
		}
		wantUnread(t, n, "bob", "alice", 1, 1)
	})
}

// TestAccountDeleteRemovesConversations: deleting an account removes the
// conversations it owns, not its peers'.
func TestAccountDeleteRemovesConversations(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob", "carol")
		sendText(t, n, "alice", "bob", 1, "to bob", at(t0-20))
		sendText(t, n, "bob", "carol", 2, "to carol", at(t0-10))
		timCode(t, n, "im_open_login_svc/account_delete", `{"DeleteItem":[{"UserID":"bob"}]}`, 0)

		timCode(t, n, "recentcontact/get_list", `{"From_Account":"bob","TimeStamp":0,"StartIndex":0,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":7}`, 50001)
		if got, want := listed(contacts(t, n, "alice", 0)), conv("bob", -20); got != want {
			t.Errorf("alice's list after bob's deletion: %s, want %s", got, want)
		}
		if got, want := listed(contacts(t, n, "carol", 0)), conv("bob", -10); got != want {
			t.Errorf("carol's list after bob's deletion: %s, want %s", got, want)
		}
		if got := unreadTotal(t, n, "carol"); got != 1 {
			t.Errorf("carol's unread after bob's deletion: %d, want 1", got)
		}

		n.ImportAccounts(t, "bob")
		if got := contacts(t, n, "bob", flagEmpty); len(got) != 0 {
			t.Errorf("bob's list after re-import: %s, want empty", listed(got))
		}
		if got := unreadTotal(t, n, "bob"); got != 0 {
			t.Errorf("bob's unread after re-import: %d, want 0", got)
		}
	})
}
