package tim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parleyim/parley/internal/parleytest"
)

// importAt is the time imported messages carry: the capture's, with the
// node's clock an hour later so that retention shows them.
const importAt = 1557387418

func importBody(sync, from, to string, seq, random int, ts int64, text string) string {
	return fmt.Sprintf(`{"SyncFromOldSystem":%s,"From_Account":%q,"To_Account":%q,"MsgSeq":%d,"MsgRandom":%d,"MsgTimeStamp":%d,"MsgBody":%s,"CloudCustomData":"ccd-%s"}`,
		sync, from, to, seq, random, ts, textBody(text), text)
}

func TestImportMsgModesAndErrors(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(importAt + 3600)})
	n.ImportAccounts(t, "alice", "bob")
	text := textBody("x")
	tests := []struct {
		name, body string
		want       int
	}{
		{"SyncFromOldSystem 1 (legacy realtime)", importBody("1", "alice", "bob", 1, 1, importAt, "one"), 0},
		{"SyncFromOldSystem 2 (history)", importBody("2", "alice", "bob", 2, 1, importAt, "two"), 0},
		{"SyncFromOldSystem 5 (realtime)", importBody("5", "alice", "bob", 5, 1, importAt, "five"), 0},
		{"SyncFromOldSystem 0", importBody("0", "alice", "bob", 9, 1, importAt, "x"), 90030},
		{"SyncFromOldSystem 3", importBody("3", "alice", "bob", 9, 1, importAt, "x"), 90030},
		{"SyncFromOldSystem 4", importBody("4", "alice", "bob", 9, 1, importAt, "x"), 90030},
		{"SyncFromOldSystem -1", importBody("-1", "alice", "bob", 9, 1, importAt, "x"), 90030},
		{"SyncFromOldSystem a string", importBody(`"1"`, "alice", "bob", 9, 1, importAt, "x"), 90030},
		{"SyncFromOldSystem a fraction", importBody(`1.5`, "alice", "bob", 9, 1, importAt, "x"), 90030},
		{"SyncFromOldSystem missing", `{"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgTimeStamp":1557387418,"MsgBody":` + text + `}`, 90030},
		{"MsgTimeStamp missing", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgBody":` + text + `}`, 90006},
		{"MsgTimeStamp a string", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgTimeStamp":"1557387418","MsgBody":` + text + `}`, 90006},
		{"MsgTimeStamp 0", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgTimeStamp":0,"MsgBody":` + text + `}`, 90006},
		{"MsgTimeStamp negative", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgTimeStamp":-1,"MsgBody":` + text + `}`, 90006},
		{"From_Account missing", `{"SyncFromOldSystem":1,"To_Account":"bob","MsgRandom":1,"MsgTimeStamp":1557387418,"MsgBody":` + text + `}`, 90008},
		{"From_Account a number", `{"SyncFromOldSystem":1,"From_Account":1,"To_Account":"bob","MsgRandom":1,"MsgTimeStamp":1557387418,"MsgBody":` + text + `}`, 90008},
		{"From_Account not imported", importBody("1", "ghost", "bob", 9, 1, importAt, "x"), 90008},
		{"To_Account missing", `{"SyncFromOldSystem":1,"From_Account":"alice","MsgRandom":1,"MsgTimeStamp":1557387418,"MsgBody":` + text + `}`, 90003},
		{"To_Account a number", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":2,"MsgRandom":1,"MsgTimeStamp":1557387418,"MsgBody":` + text + `}`, 90003},
		{"To_Account not imported", importBody("1", "alice", "ghost", 9, 1, importAt, "x"), 90012},
		{"MsgRandom missing", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":"bob","MsgTimeStamp":1557387418,"MsgBody":` + text + `}`, 90005},
		{"MsgRandom 2^32", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":"bob","MsgRandom":4294967296,"MsgTimeStamp":1557387418,"MsgBody":` + text + `}`, 90005},
		{"MsgBody missing", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgTimeStamp":1557387418}`, 90002},
		{"MsgBody not an array", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgTimeStamp":1557387418,"MsgBody":"x"}`, 90007},
		{"MsgBody element broken", `{"SyncFromOldSystem":1,"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgTimeStamp":1557387418,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":1}}]}`, 90010},
		{"over 12 KB", importBody("1", "alice", "bob", 9, 1, importAt, strings.Repeat("x", 12<<10)), 93000},
		{"JSON syntax error", `{"SyncFromOldSystem":1,`, 90001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timCode(t, n, "openim/importmsg", tt.body, tt.want)
		})
	}
	want := []string{
		fmt.Sprintf("1_1_%d", importAt),
		fmt.Sprintf("2_1_%d", importAt),
		fmt.Sprintf("5_1_%d", importAt),
	}
	for _, owner := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
		if got := keys(historyOf(t, n, owner[0], owner[1])); !slices.Equal(got, want) {
			t.Errorf("%s's history after imports: %q, want %q", owner[0], got, want)
		}
	}
}

func TestImportMsgDeduplicates(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(importAt + 3600)})
	n.ImportAccounts(t, "alice", "bob")
	steps := []struct {
		body string
		new  bool // adds a message to the conversation
	}{
		{importBody("2", "alice", "bob", 7, 70, importAt, "first"), true},
		{importBody("2", "alice", "bob", 7, 70, importAt, "second"), false},  // same triple
		{importBody("1", "bob", "alice", 7, 70, importAt, "swapped"), false}, // same triple, other direction
		{importBody("5", "alice", "bob", 7, 70, importAt+1, "later"), true},  // another time
		{importBody("2", "alice", "bob", 7, 71, importAt, "random"), true},   // another random
		{importBody("2", "alice", "bob", 8, 70, importAt, "seq"), true},      // another seq
	}
	count := 0
	for _, s := range steps {
		timCode(t, n, "openim/importmsg", s.body, 0)
		if s.new {
			count++
		}
		for _, owner := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
			if got := len(historyOf(t, n, owner[0], owner[1])); got != count {
				t.Fatalf("after importmsg %s: %s's history has %d messages, want %d", abbrev(s.body), owner[0], got, count)
			}
		}
	}
	h := historyOf(t, n, "bob", "alice")
	first := h[slices.Index(keys(h), fmt.Sprintf("7_70_%d", importAt))]
	if first.From_Account != "alice" || first.To_Account != "bob" || first.MsgBody == nil ||
		string(first.MsgBody) != textBody("first") || first.CloudCustomData != "ccd-first" {
		t.Errorf("de-duplicated import: %+v, want the first import's (alice→bob, %s)", first, textBody("first"))
	}
	for _, m := range h {
		if m.MsgTimeStamp != importAt && m.MsgTimeStamp != importAt+1 {
			t.Errorf("imported message %s at %d, want its MsgTimeStamp", m.MsgKey, m.MsgTimeStamp)
		}
	}

	// An import in a range query is at its own time.
	if got := keys(history(t, n, "alice", "bob", importAt+1, importAt+1)); !slices.Equal(got, []string{fmt.Sprintf("7_70_%d", importAt+1)}) {
		t.Errorf("history at %d: %q, want only the later import", importAt+1, got)
	}
}

func TestImportMsgWithoutSeq(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(importAt + 3600)})
	n.ImportAccounts(t, "alice", "bob")
	body := fmt.Sprintf(`{"SyncFromOldSystem":2,"From_Account":"alice","To_Account":"bob","MsgRandom":3,"MsgTimeStamp":%d,"MsgBody":%s}`, importAt, textBody("x"))
	timCode(t, n, "openim/importmsg", body, 0)
	h := historyOf(t, n, "bob", "alice")
	if len(h) != 1 || !strings.HasSuffix(h[0].MsgKey, fmt.Sprintf("_3_%d", importAt)) {
		t.Errorf("import without MsgSeq: history %v, want one {seq}_3_%d", keys(h), importAt)
	}
}
