package tim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"

	"github.com/parleyim/parley/internal/parleytest"
)

type batchAnswer struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	MsgKey       string
	ErrorList    *[]struct {
		To_Account string
		ErrorCode  int
	}
}

func (a batchAnswer) errors() []string {
	var out []string
	if a.ErrorList != nil {
		for _, e := range *a.ErrorList {
			out = append(out, fmt.Sprintf("%s:%d", e.To_Account, e.ErrorCode))
		}
	}
	return out
}

func batchBody(from string, to []string, random int, extra string) string {
	b, _ := json.Marshal(to)
	f := ""
	if from != "" {
		f = fmt.Sprintf(`"From_Account":%q,`, from)
	}
	return fmt.Sprintf(`{%s"To_Account":%s,"MsgRandom":%d,"MsgBody":%s%s}`, f, b, random, textBody("batch"), extra)
}

func TestBatchSendMsg(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob", "carol", "dave")
	tests := []struct {
		name      string
		from      string
		to        []string
		extra     string
		want      int
		status    string
		errorList []string
		receivers []string // whose history (with the sender) holds the key
		sender    bool     // the sender's history holds it (with each receiver)
	}{
		{"all receivers", "alice", []string{"bob", "carol"}, `,"MsgSeq":1`, 0, "OK", nil, []string{"bob", "carol"}, true},
		{"some unknown", "alice", []string{"ghost", "bob", "dave", "ghost2"}, `,"MsgSeq":2`, 0, "SomeError",
			[]string{"ghost:70107", "ghost2:70107"}, []string{"bob", "dave"}, true},
		{"invalid UserIDs are unknown", "alice", []string{"", strings.Repeat("x", 33), "bob"}, `,"MsgSeq":3`, 0, "SomeError",
			[]string{":70107", strings.Repeat("x", 33) + ":70107"}, []string{"bob"}, true},
		{"a receiver twice gets it once", "alice", []string{"bob", "bob"}, `,"MsgSeq":4`, 0, "OK", nil, []string{"bob"}, true},
		{"the admin by default", "", []string{"bob"}, `,"MsgSeq":5`, 0, "OK", nil, []string{"bob"}, true},
		{"not synced to the sender", "alice", []string{"bob"}, `,"MsgSeq":6,"SyncOtherMachine":2`, 0, "OK", nil, []string{"bob"}, false},
		{"online only", "alice", []string{"bob"}, `,"MsgSeq":7,"MsgLifeTime":0`, 0, "OK", nil, nil, false},
		{"all unknown", "alice", []string{"ghost", "ghost2"}, `,"MsgSeq":8`, 90012, "FAIL", []string{"ghost:70107", "ghost2:70107"}, nil, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := batchBody(tt.from, tt.to, 500+i, tt.extra)
			r := n.TIM(t, "openim/batchsendmsg", body)
			if r.ErrorCode != tt.want {
				t.Errorf("batchsendmsg %s: ErrorCode %d (%s), want %d", tt.name, r.ErrorCode, r.ErrorInfo, tt.want)
			}
			var a batchAnswer
			r.Decode(t, &a)
			if a.ActionStatus != tt.status {
				t.Errorf("batchsendmsg %s: ActionStatus %q, want %q", tt.name, a.ActionStatus, tt.status)
			}
			if a.ErrorList == nil {
				t.Errorf("batchsendmsg %s: no ErrorList array in %s", tt.name, r.Raw)
			}
			if got := a.errors(); !slices.Equal(got, tt.errorList) {
				t.Errorf("batchsendmsg %s: ErrorList %q, want %q", tt.name, got, tt.errorList)
			}
			if tt.want != 0 {
				return
			}
			from := tt.from
			if from == "" {
				from = parleytest.Admin
			}
			wantKey := fmt.Sprintf("%d_%d_%d", i+1, 500+i, t0)
			if a.MsgKey != wantKey {
				t.Errorf("batchsendmsg %s: MsgKey %q, want %q", tt.name, a.MsgKey, wantKey)
			}
			for _, to := range []string{"bob", "carol", "dave"} {
				h := historyOf(t, n, to, from)
				count := 0
				for _, m := range h {
					if m.MsgKey == wantKey {
						count++
					}
				}
				want := 0
				if slices.Contains(tt.receivers, to) {
					want = 1
				}
				if count != want {
					t.Errorf("batchsendmsg %s: %s's history holds the message %d times, want %d", tt.name, to, count, want)
				}
				sh := keys(historyOf(t, n, from, to))
				if got := slices.Contains(sh, wantKey); got != (want == 1 && tt.sender) {
					t.Errorf("batchsendmsg %s: %s's history with %s holds it: %v, want %v", tt.name, from, to, got, want == 1 && tt.sender)
				}
			}
		})
	}

	// A retried batch in the same second answers the same key and stores
	// nothing new.
	body := batchBody("alice", []string{"bob", "carol"}, 500, `,"MsgSeq":1`)
	var a batchAnswer
	n.MustTIM(t, "openim/batchsendmsg", body).Decode(t, &a)
	if want := fmt.Sprintf("1_500_%d", t0); a.MsgKey != want {
		t.Errorf("retried batchsendmsg: MsgKey %q, want %q", a.MsgKey, want)
	}
	if h := historyOf(t, n, "carol", "alice"); len(h) != 1 {
		t.Errorf("carol's history after a retried batch: %v, want one message", keys(h))
	}
}

func TestBatchSendMsgErrors(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	many := func(count int) []string {
		out := make([]string, count)
		for i := range out {
			out[i] = "bob"
		}
		return out
	}
	tests := []struct {
		name, body string
		want       int
	}{
		{"500 receivers", batchBody("alice", many(500), 1, ``), 0},
		{"501 receivers", batchBody("alice", many(501), 2, ``), 90011},
		{"unknown sender", batchBody("ghost", []string{"bob"}, 3, ``), 90008},
		{"invalid sender", batchBody(strings.Repeat("s", 40), []string{"bob"}, 3, ``), 90008},
		{"sender a number", `{"From_Account":1,"To_Account":["bob"],"MsgRandom":1,"MsgBody":` + textBody("x") + `}`, 90008},
		{"no receivers", batchBody("alice", []string{}, 4, ``), 90003},
		{"To_Account missing", `{"MsgRandom":1,"MsgBody":` + textBody("x") + `}`, 90003},
		{"To_Account a string", `{"To_Account":"bob","MsgRandom":1,"MsgBody":` + textBody("x") + `}`, 90003},
		{"To_Account of numbers", `{"To_Account":[1],"MsgRandom":1,"MsgBody":` + textBody("x") + `}`, 90003},
		{"MsgRandom missing", `{"To_Account":["bob"],"MsgBody":` + textBody("x") + `}`, 90005},
		{"MsgRandom negative", `{"To_Account":["bob"],"MsgRandom":-1,"MsgBody":` + textBody("x") + `}`, 90005},
		{"MsgBody not an array", `{"To_Account":["bob"],"MsgRandom":1,"MsgBody":{}}`, 90007},
		{"MsgBody missing", `{"To_Account":["bob"],"MsgRandom":1}`, 90002},
		{"MsgBody empty", `{"To_Account":["bob"],"MsgRandom":1,"MsgBody":[]}`, 90002},
		{"Text missing", `{"To_Account":["bob"],"MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{}}]}`, 90010},
		{"negative MsgLifeTime", batchBody("alice", []string{"bob"}, 5, `,"MsgLifeTime":-1`), 90026},
		{"MsgSeq a string", batchBody("alice", []string{"bob"}, 5, `,"MsgSeq":"1"`), 90004},
		{"OfflinePushInfo a string", batchBody("alice", []string{"bob"}, 5, `,"OfflinePushInfo":"x"`), 90043},
		{"over 12 KB", `{"To_Account":["bob"],"MsgRandom":1,"MsgBody":` + textBody(strings.Repeat("x", 12<<10)) + `}`, 93000},
		{"JSON syntax error", `{"To_Account":["bob"]`, 90001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timCode(t, n, "openim/batchsendmsg", tt.body, tt.want)
		})
	}
	if h := historyOf(t, n, "bob", "alice"); len(h) != 1 {
		t.Errorf("bob's history: %v, want only the batch of 500", keys(h))
	}
	if h := historyOf(t, n, "bob", parleytest.Admin); len(h) != 0 {
		t.Errorf("bob's history with the admin: %v, want none", keys(h))
	}
}
