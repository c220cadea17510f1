package tim_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyim/parley/internal/parleytest"
)

// hostileCommand is a command with a valid body, written as "{" + first +
// rest so that variants can be built from it; "bob" occurs in a string.
type hostileCommand struct {
	command     string
	first, rest string
	parse       int // the family's code for a body that is not a JSON object
	tooLarge    int
}

func (c hostileCommand) valid() string { return "{" + c.first + c.rest }

var hostileCommands = []hostileCommand{
	{"openim/sendmsg", `"To_Account":"bob"`, `,"From_Account":"alice","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`, 90001, 93000},
	{"openim/batchsendmsg", `"To_Account":["bob"]`, `,"From_Account":"alice","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`, 90001, 93000},
	{"openim/importmsg", `"To_Account":"bob"`, `,"SyncFromOldSystem":2,"From_Account":"alice","MsgRandom":1,"MsgTimeStamp":1800000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`, 90001, 93000},
	{"openim/admin_getroammsg", `"Peer_Account":"bob"`, `,"Operator_Account":"alice","MaxCnt":10,"MinTime":0,"MaxTime":4000000000}`, 90001, 93000},
	{"openim/query_online_status", `"To_Account":["bob"]`, `}`, 90001, 93000},
	{"openim/querystate", `"To_Account":["bob"]`, `}`, 90001, 93000},
	{"im_open_login_svc/account_import", `"UserID":"bobby"`, `,"Nick":"bob"}`, 60003, 70402},
	{"im_open_login_svc/multiaccount_import", `"Accounts":["bobby"]`, `}`, 60003, 70402},
	{"im_open_login_svc/account_check", `"CheckItem":[{"UserID":"bob"}]`, `}`, 60003, 70402},
	{"im_open_login_svc/kick", `"UserID":"bob"`, `}`, 60003, 70402},
	{"im_open_login_svc/account_delete", `"DeleteItem":[{"UserID":"bob"}]`, `}`, 60003, 70402},
}

// hostileVariants turn a command's valid body into hostile ones; each is
// refused with the family's parse code unless tooLarge is set.
var hostileVariants = []struct {
	name     string
	body     func(c hostileCommand) []byte
	tooLarge bool
}{
	{"invalid UTF-8 in a string", func(c hostileCommand) []byte { return []byte(strings.Replace(c.valid(), "bob", "bo\xffb", 1)) }, false},
	{"overlong UTF-8 in a string", func(c hostileCommand) []byte { return []byte(strings.Replace(c.valid(), "bob", "bo\xc0\xafb", 1)) }, false},
	{"UTF-8 surrogate bytes in a string", func(c hostileCommand) []byte { return []byte(strings.Replace(c.valid(), "bob", "bo\xed\xa0\x80b", 1)) }, false},
	{"invalid UTF-8 in a member name", func(c hostileCommand) []byte { return []byte("{\"\xfe\":1," + c.valid()[1:]) }, false},
	{"lone surrogate escape", func(c hostileCommand) []byte { return []byte(strings.Replace(c.valid(), "bob", `bo\ud800b`, 1)) }, false},
	{"lone low surrogate escape", func(c hostileCommand) []byte { return []byte(strings.Replace(c.valid(), "bob", `bo\udc00b`, 1)) }, false},
	{"reversed surrogate pair", func(c hostileCommand) []byte { return []byte(strings.Replace(c.valid(), "bob", `\ude00\ud83d`, 1)) }, false},
	{"raw control character in a string", func(c hostileCommand) []byte { return []byte(strings.Replace(c.valid(), "bob", "bo\nb", 1)) }, false},
	{"raw NUL in a string", func(c hostileCommand) []byte { return []byte(strings.Replace(c.valid(), "bob", "bo\x00b", 1)) }, false},
	{"bad escape", func(c hostileCommand) []byte { return []byte(strings.Replace(c.valid(), "bob", `bo\xb`, 1)) }, false},
	{"duplicate member", func(c hostileCommand) []byte { return []byte("{" + c.first + "," + c.first + c.rest) }, false},
	{"duplicate unknown member", func(c hostileCommand) []byte { return []byte(`{"X":1,"X":2,` + c.valid()[1:]) }, false},
	{"nesting 100 deep", func(c hostileCommand) []byte {
		return []byte(`{"Deep":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "," + c.valid()[1:])
	}, false},
	{"nesting 100000 deep", func(c hostileCommand) []byte {
		return []byte(`{"Deep":` + strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000) + "," + c.valid()[1:])
	}, false},
	{"unbalanced nesting", func(c hostileCommand) []byte { return []byte(`{"Deep":` + strings.Repeat("[", 10000) + c.valid()[1:]) }, false},
	{"empty body", func(hostileCommand) []byte { return []byte{} }, false},
	{"whitespace", func(hostileCommand) []byte { return []byte(" \r\n\t ") }, false},
	{"array", func(c hostileCommand) []byte { return []byte("[" + c.valid() + "]") }, false},
	{"null", func(hostileCommand) []byte { return []byte("null") }, false},
	{"string", func(hostileCommand) []byte { return []byte(`"{}"`) }, false},
	{"number", func(hostileCommand) []byte { return []byte(`1`) }, false},
	{"byte order mark", func(c hostileCommand) []byte { return []byte("\xef\xbb\xbf" + c.valid()) }, false},
	{"truncated", func(c hostileCommand) []byte { v := c.valid(); return []byte(v[:len(v)-1]) }, false},
	{"trailing comma", func(c hostileCommand) []byte { v := c.valid(); return []byte(v[:len(v)-1] + ",}") }, false},
	{"two objects", func(c hostileCommand) []byte { return []byte(c.valid() + c.valid()) }, false},
	{"trailing garbage", func(c hostileCommand) []byte { return []byte(c.valid() + "\x00") }, false},
	{"single quotes", func(c hostileCommand) []byte { return []byte(strings.ReplaceAll(c.valid(), `"`, `'`)) }, false},
	{"comment", func(c hostileCommand) []byte { return []byte("{/* hi */" + c.valid()[1:]) }, false},
	{"NaN", func(c hostileCommand) []byte { return []byte(`{"X":NaN,` + c.valid()[1:]) }, false},
	{"over 1 MiB", func(c hostileCommand) []byte {
		return []byte(`{"Pad":"` + strings.Repeat("x", 1<<20) + `",` + c.valid()[1:])
	}, true},
}

func TestHostileBodies(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	for _, c := range hostileCommands {
		for _, v := range hostileVariants {
			t.Run(c.command+"/"+v.name, func(t *testing.T) {
				want := c.parse
				if v.tooLarge {
					want = c.tooLarge
				}
				call := "POST " + c.command + " (" + v.name + ")"
				r := envelopeOf(t, call, do(t, n, http.MethodPost, n.AdminURL(t, c.command), v.body(c), nil))
				wantCode(t, call, r, want)
				if want == 90001 && r.ErrorInfo != "Fail to Parse json data of body, Please check it" {
					t.Errorf("%s: ErrorInfo %q, want Tencent's parse text", call, r.ErrorInfo)
				}
			})
		}
	}
	// Over 1 MiB without a Content-Length: the limit holds while reading.
	for _, c := range hostileCommands {
		body := io.MultiReader(strings.NewReader(`{"Pad":"`), bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)), strings.NewReader(`",`+c.valid()[1:]))
		req, err := http.NewRequest(http.MethodPost, n.AdminURL(t, c.command), body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1
		resp, err := n.Client.Do(req)
		if err != nil {
			t.Fatalf("chunked POST %s: %v", c.command, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := envelopeOf(t, "chunked POST "+c.command, rawAnswer{status: resp.StatusCode, header: resp.Header, body: raw})
		wantCode(t, "chunked POST "+c.command+" over 1 MiB", r, c.tooLarge)
	}

	// Nothing was stored by the refused requests …
	assertUntouched := func(when string) {
		t.Helper()
		for _, owner := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
			if h := historyOf(t, n, owner[0], owner[1]); len(h) != 0 {
				t.Errorf("%s: %s's history holds %q, want nothing", when, owner[0], keys(h))
			}
		}
		if got := accountStatus(t, n, "bobby"); got != "NotImported" {
			t.Errorf("%s: bobby is %s, want NotImported", when, got)
		}
		if got := accountStatus(t, n, "bob"); got != "Imported" {
			t.Errorf("%s: bob is %s, want Imported", when, got)
		}
	}
	assertUntouched("after hostile bodies")

	// … and the valid bodies they were made from are accepted (the
	// delete goes last: it removes bob).
	for _, c := range hostileCommands {
		timCode(t, n, c.command, c.valid(), 0)
	}
	if got := accountStatus(t, n, "bobby"); got != "Imported" {
		t.Errorf("after the valid bodies: bobby is %s, want Imported", got)
	}
}

func TestOutOfRangeNumbers(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	text := textBody("x")
	tests := []struct {
		command, body string
		want          int
	}{
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":18446744073709551616,"MsgBody":` + text + `}`, 90005},
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":1e10,"MsgBody":` + text + `}`, 90005},
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":-0.0,"MsgBody":` + text + `}`, 90005},
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":1,"MsgSeq":-1,"MsgBody":` + text + `}`, 90004},
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":1,"MsgSeq":99999999999999999999,"MsgBody":` + text + `}`, 90004},
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":1,"MsgTimeStamp":9223372036854775808,"MsgBody":` + text + `}`, 90006},
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":1,"MsgLifeTime":9223372036854775808,"MsgBody":` + text + `}`, 90044},
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":1,"SyncOtherMachine":4294967297,"MsgBody":` + text + `}`, 90031},
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":1,"OnlineOnlyFlag":1e400,"MsgBody":` + text + `}`, 20001},
		{"openim/batchsendmsg", `{"To_Account":["bob"],"MsgRandom":4294967296,"MsgBody":` + text + `}`, 90005},
		{"openim/importmsg", `{"SyncFromOldSystem":4294967298,"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgTimeStamp":1,"MsgBody":` + text + `}`, 90030},
		{"openim/importmsg", `{"SyncFromOldSystem":2,"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgTimeStamp":1e300,"MsgBody":` + text + `}`, 90006},
		{"openim/admin_getroammsg", `{"Operator_Account":"alice","Peer_Account":"bob","MaxCnt":1e30,"MinTime":0,"MaxTime":1}`, 20001},
		{"openim/admin_getroammsg", `{"Operator_Account":"alice","Peer_Account":"bob","MaxCnt":1,"MinTime":-9223372036854775809,"MaxTime":1}`, 20001},
		{"openim/admin_getroammsg", `{"Operator_Account":"alice","Peer_Account":"bob","MaxCnt":1,"MinTime":0,"MaxTime":1,"LastMsgKey":"4294967296_1_1"}`, 20001},
		{"openim/admin_getroammsg", `{"Operator_Account":"alice","Peer_Account":"bob","MaxCnt":1,"MinTime":0,"MaxTime":1,"LastMsgKey":"1_1_99999999999999999999"}`, 20001},
		{"openim/query_online_status", `{"To_Account":["bob"],"IsNeedDetail":1e300}`, 20001},
		{"im_open_login_svc/account_import", `{"UserID":"carol","Type":1e300}`, 70402},
		// Large but in range: accepted.
		{"openim/admin_getroammsg", `{"Operator_Account":"alice","Peer_Account":"bob","MaxCnt":9223372036854775807,"MinTime":-9223372036854775808,"MaxTime":9223372036854775807}`, 0},
		{"openim/sendmsg", `{"To_Account":"bob","MsgRandom":4294967295,"MsgSeq":4294967295,"MsgLifeTime":9223372036854775807,"MsgBody":` + text + `}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.command+" "+tt.body, func(t *testing.T) {
			timCode(t, n, tt.command, tt.body, tt.want)
		})
	}
	if got := accountStatus(t, n, "carol"); got != "NotImported" {
		t.Errorf("carol after a refused import: %s, want NotImported", got)
	}
	if h := historyOf(t, n, "bob", parleytest.Admin); len(h) != 1 {
		t.Errorf("bob's history with the admin: %q, want only the in-range send", keys(h))
	}
}
