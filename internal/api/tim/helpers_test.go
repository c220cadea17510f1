package tim_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/auth"
	"github.com/parleyim/parley/internal/parleytest"
)

// Shared helpers of the Tencent dialect's integration tests. Every request
// goes over real HTTP to a parleytest node with a real UserSig.

// farFuture is a MaxTime that includes every message a test sends.
const farFuture = 4_000_000_000

// textBody returns a MsgBody of one text element.
func textBody(text string) string {
	b, _ := json.Marshal(text)
	return `[{"MsgType":"TIMTextElem","MsgContent":{"Text":` + string(b) + `}}]`
}

// genSig returns a UserSig for identifier of app, generated at now.
func genSig(t testing.TB, app uint64, key, identifier string, expire int64, now time.Time) string {
	t.Helper()
	s, err := auth.GenUserSig(app, key, identifier, expire, now)
	if err != nil {
		t.Fatalf("GenUserSig(%d, %q): %v", app, identifier, err)
	}
	return s
}

// commandURL returns the node's URL for command with the given query
// parameters, in a fixed order, leaving out those set to "".
func commandURL(n *parleytest.Node, command string, q map[string]string) string {
	var b strings.Builder
	b.WriteString(n.URL + "/v4/" + command)
	sep := "?"
	for _, k := range []string{"sdkappid", "identifier", "usersig", "random", "contenttype"} {
		if v, ok := q[k]; ok && v != "" {
			b.WriteString(sep + k + "=" + url.QueryEscape(v))
			sep = "&"
		}
	}
	return b.String()
}

// adminQuery returns the query parameters of a valid admin request.
func adminQuery(t testing.TB, n *parleytest.Node) map[string]string {
	return map[string]string{
		"sdkappid":    fmt.Sprint(parleytest.AppID),
		"identifier":  parleytest.Admin,
		"usersig":     n.Sig(t, parleytest.Admin),
		"random":      "12345",
		"contenttype": "json",
	}
}

// rawAnswer is an answer read without assuming anything about it.
type rawAnswer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request and returns whatever came back.
func do(t testing.TB, n *parleytest.Node, method, u string, body []byte, header http.Header) rawAnswer {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("Content-Type") == "" && body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := n.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, u, err)
	}
	return rawAnswer{status: resp.StatusCode, header: resp.Header, body: raw}
}

// envelopeOf checks that a is HTTP 200 with a JSON envelope and decodes it.
func envelopeOf(t testing.TB, call string, a rawAnswer) parleytest.Result {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("%s: HTTP %d, want 200 (body %.200s)", call, a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", call, ct)
	}
	var r parleytest.Result
	if err := json.Unmarshal(a.body, &r); err != nil {
		t.Fatalf("%s: answer is not a JSON envelope: %v\n%.300s", call, err, a.body)
	}
	var keys map[string]jsontext.Value
	if err := json.Unmarshal(a.body, &keys); err != nil {
		t.Fatalf("%s: answer is not a JSON object: %v", call, err)
	}
	for _, k := range []string{"ActionStatus", "ErrorCode", "ErrorInfo"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("%s: answer has no %s: %s", call, k, a.body)
		}
	}
	r.Raw, r.HTTPStatus = a.body, a.status
	return r
}

// wantCode fails unless r carries code, with ActionStatus OK for 0 and FAIL
// otherwise.
func wantCode(t testing.TB, call string, r parleytest.Result, code int) {
	t.Helper()
	if r.ErrorCode != code {
		t.Errorf("%s: ErrorCode %d (%q), want %d; answer %.300s", call, r.ErrorCode, r.ErrorInfo, code, r.Raw)
		return
	}
	want := "FAIL"
	if code == 0 {
		want = "OK"
	}
	if r.ActionStatus != want {
		t.Errorf("%s: ActionStatus %q, want %q", call, r.ActionStatus, want)
	}
}

// timCode posts body to command as the admin and checks the code.
func timCode(t testing.TB, n *parleytest.Node, command, body string, code int) parleytest.Result {
	t.Helper()
	r := n.TIM(t, command, body)
	wantCode(t, command+" "+abbrev(body), r, code)
	return r
}

// abbrev shortens a request body for failure messages.
func abbrev(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// sendAnswer is sendmsg's answer.
type sendAnswer struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	MsgTime      int64
	MsgKey       string
}

// send posts a sendmsg that must succeed.
func send(t testing.TB, n *parleytest.Node, body string) sendAnswer {
	t.Helper()
	var a sendAnswer
	n.MustTIM(t, "openim/sendmsg", body).Decode(t, &a)
	if a.MsgKey == "" {
		t.Fatalf("sendmsg %s: no MsgKey in answer", abbrev(body))
	}
	return a
}

// roamMsg is one admin_getroammsg item.
type roamMsg struct {
	From_Account    string
	To_Account      string
	MsgSeq          uint32
	MsgRandom       uint32
	MsgTimeStamp    int64
	MsgFlagBits     int
	IsPeerRead      int
	MsgKey          string
	MsgBody         jsontext.Value
	CloudCustomData string
}

// roamAnswer is admin_getroammsg's answer.
type roamAnswer struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	Complete     int
	MsgCnt       int
	LastMsgTime  int64
	LastMsgKey   string
	MsgList      []roamMsg
}

// roam asks for one page that must succeed.
func roam(t testing.TB, n *parleytest.Node, body string) (roamAnswer, parleytest.Result) {
	t.Helper()
	r := n.MustTIM(t, "openim/admin_getroammsg", body)
	var a roamAnswer
	r.Decode(t, &a)
	if a.MsgCnt != len(a.MsgList) {
		t.Errorf("admin_getroammsg %s: MsgCnt %d, MsgList has %d", body, a.MsgCnt, len(a.MsgList))
	}
	return a, r
}

// history returns owner's whole conversation with peer in [minTime, maxTime],
// oldest first, walking pages backwards with LastMsgKey as a client does.
func history(t testing.TB, n *parleytest.Node, owner, peer string, minTime, maxTime int64) []roamMsg {
	t.Helper()
	var pages [][]roamMsg
	lastKey := ""
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatalf("history %s/%s: more than 1000 pages", owner, peer)
		}
		body := fmt.Sprintf(`{"Operator_Account":%q,"Peer_Account":%q,"MaxCnt":100,"MinTime":%d,"MaxTime":%d,"LastMsgKey":%q}`,
			owner, peer, minTime, maxTime, lastKey)
		a, _ := roam(t, n, body)
		pages = append(pages, a.MsgList)
		if a.Complete == 1 {
			break
		}
		if a.LastMsgKey == "" {
			t.Fatalf("admin_getroammsg %s: Complete 0 without LastMsgKey", body)
		}
		lastKey, maxTime = a.LastMsgKey, a.LastMsgTime
	}
	var all []roamMsg
	for i := len(pages) - 1; i >= 0; i-- {
		all = append(all, pages[i]...)
	}
	return all
}

// historyOf is history over every time.
func historyOf(t testing.TB, n *parleytest.Node, owner, peer string) []roamMsg {
	t.Helper()
	return history(t, n, owner, peer, 0, farFuture)
}

// keys lists the MsgKeys of msgs.
func keys(msgs []roamMsg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.MsgKey
	}
	return out
}

// accountStatus returns account_check's AccountStatus for id.
func accountStatus(t testing.TB, n *parleytest.Node, id string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"CheckItem": []map[string]string{{"UserID": id}}})
	r := n.MustTIM(t, "im_open_login_svc/account_check", string(body))
	var a struct {
		ResultItem []struct {
			UserID        string
			ResultCode    int
			AccountStatus string
		}
	}
	r.Decode(t, &a)
	if len(a.ResultItem) != 1 || a.ResultItem[0].UserID != id {
		t.Fatalf("account_check %q: ResultItem %+v, want one item for it", id, a.ResultItem)
	}
	return a.ResultItem[0].AccountStatus
}

// clockAt returns a stopped clock at Unix second sec.
func clockAt(sec int64) *parleytest.Clock { return parleytest.NewClock(time.Unix(sec, 0)) }
