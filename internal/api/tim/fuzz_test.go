package tim_test

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/parleytest"
)

// sendMsgCodes are the codes sendmsg may answer a body with.
var sendMsgCodes = map[int]bool{
	0: true, 20001: true, 20003: true, 90001: true, 90002: true, 90003: true, 90004: true,
	90005: true, 90006: true, 90007: true, 90010: true, 90012: true, 90026: true, 90031: true,
	90043: true, 90044: true, 93000: true,
}

var msgKeyRE = regexp.MustCompile(`^([0-9]+)_([0-9]+)_([0-9]+)$`)

// FuzzSendMsgBody posts arbitrary bytes as a sendmsg body straight to the
// node's handler. Every answer must be HTTP 200 with a JSON envelope and a
// sendmsg code; a success must be a request that validSendMsg accepts, and
// a stored success must come back from history with the same MsgBody.
func FuzzSendMsgBody(f *testing.F) {
	clock := clockAt(t0)
	n := parleytest.Start(f, parleytest.Options{Clock: clock})
	n.ImportAccounts(f, "alice", "bob")
	f.Add([]byte(`{"To_Account":"bob","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`))

	post := func(t *testing.T, command string, body []byte) (parleytest.Result, []byte) {
		// A fresh UserSig each time: the clock moves.
		target := fmt.Sprintf("/v4/%s?sdkappid=%d&identifier=%s&usersig=%s&random=1&contenttype=json",
			command, parleytest.AppID, parleytest.Admin, n.Sig(t, parleytest.Admin))
		req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		rec := httptest.NewRecorder()
		n.Node.TIM.ServeHTTP(rec, req)
		var r parleytest.Result
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: HTTP %d, want 200", command, rec.Code)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("%s: answer is not a JSON envelope: %v\n%s", command, err, rec.Body.Bytes())
		}
		if p := n.Node.TIM.Panics.Load(); p != 0 {
			t.Fatalf("%s: %d requests panicked", command, p)
		}
		r.Raw = rec.Body.Bytes()
		return r, rec.Body.Bytes()
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		// Each input runs in its own second, so that two inputs are never
		// one message retried.
		clock.Advance(time.Second)
		r, raw := post(t, "openim/sendmsg", body)
		if !sendMsgCodes[r.ErrorCode] {
			t.Fatalf("sendmsg %q: ErrorCode %d (%s), not a sendmsg code", body, r.ErrorCode, r.ErrorInfo)
		}
		wantStatus := "FAIL"
		if r.ErrorCode == 0 {
			wantStatus = "OK"
		}
		if r.ActionStatus != wantStatus {
			t.Fatalf("sendmsg %q: ActionStatus %q with ErrorCode %d", body, r.ActionStatus, r.ErrorCode)
		}
		req, why := validSendMsg(body)
		if r.ErrorCode != 0 {
			return
		}
		if why != "" {
			t.Fatalf("sendmsg %q: ErrorCode 0, but the request is invalid: %s", body, why)
		}
		var a struct {
			MsgKey  string
			MsgTime int64
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatalf("sendmsg answer %s: %v", raw, err)
		}
		m := msgKeyRE.FindStringSubmatch(a.MsgKey)
		wantTime := clock.Now().Unix()
		if req.timeStamp != nil {
			wantTime = *req.timeStamp
		}
		if m == nil || m[2] != strconv.FormatUint(uint64(req.random), 10) || m[3] != strconv.FormatInt(a.MsgTime, 10) || a.MsgTime != wantTime {
			t.Fatalf("sendmsg %q: MsgKey %q MsgTime %d, want {seq}_%d_%d", body, a.MsgKey, a.MsgTime, req.random, wantTime)
		}
		if req.seq != nil && m[1] != strconv.FormatUint(uint64(*req.seq), 10) {
			t.Fatalf("sendmsg %q: MsgKey %q, want MsgSeq %d", body, a.MsgKey, *req.seq)
		}
		if !req.stored() || req.timeStamp != nil {
			return // not in history, or perhaps a retry of an earlier input
		}
		owner, peer := req.to, req.from
		if req.sync == 3 {
			owner, peer = peer, owner
		}
		q := fmt.Sprintf(`{"Operator_Account":%q,"Peer_Account":%q,"MaxCnt":100,"MinTime":%d,"MaxTime":%d}`, owner, peer, a.MsgTime, a.MsgTime)
		hr, hraw := post(t, "openim/admin_getroammsg", []byte(q))
		var h roamAnswer
		if err := json.Unmarshal(hraw, &h); err != nil || hr.ErrorCode != 0 {
			t.Fatalf("admin_getroammsg %s: %s (%v)", q, hraw, err)
		}
		want := jsontext.Value(bytes.Clone(req.body))
		if err := want.Compact(); err != nil {
			t.Fatalf("compact %s: %v", req.body, err)
		}
		for _, it := range h.MsgList {
			if it.MsgKey == a.MsgKey {
				if !bytes.Equal(it.MsgBody, want) || it.CloudCustomData != req.customData {
					t.Fatalf("sendmsg %q: history has MsgBody %s CloudCustomData %q, want %s %q", body, it.MsgBody, it.CloudCustomData, want, req.customData)
				}
				return
			}
		}
		t.Fatalf("sendmsg %q: %s's history has no %s: %s", body, owner, a.MsgKey, hraw)
	})
}

// fuzzAccounts are the accounts the fuzz node knows.
var fuzzAccounts = map[string]bool{"alice": true, "bob": true, parleytest.Admin: true}

// sendRequest is what validSendMsg learnt of a valid request.
type sendRequest struct {
	from, to   string
	random     uint32
	seq        *uint32
	timeStamp  *int64
	sync       int64
	onlineOnly bool
	body       []byte
	customData string
}

func (r *sendRequest) stored() bool { return !r.onlineOnly }

// validSendMsg is an independent reading of the sendmsg rules (reference
// §3.2, §3.5, §3.6) used as the fuzz oracle: it returns "" when body is a
// request sendmsg must accept for the fuzz node, else why not. It is
// lenient where the rules leave room; it must never accept what the
// reference refuses.
func validSendMsg(body []byte) (*sendRequest, string) {
	// Syntax: one JSON object, UTF-8, no duplicate member names.
	if !jsontext.Value(body).IsValid() {
		return nil, "not valid JSON (syntax, UTF-8 or duplicate names)"
	}
	var top map[string]stdjson.RawMessage
	if err := stdjson.Unmarshal(body, &top); err != nil || top == nil {
		return nil, "not an object"
	}
	present := func(k string) bool { v, ok := top[k]; return ok && string(v) != "null" }
	str := func(k string) (string, bool) {
		var s string
		return s, stdjson.Unmarshal(top[k], &s) == nil && top[k][0] == '"'
	}
	integer := func(k string, lo, hi float64) (int64, bool) {
		return jsonInteger(top[k], lo, hi)
	}
	req := &sendRequest{from: parleytest.Admin}
	var ok bool
	if !present("To_Account") {
		return nil, "no To_Account"
	}
	if req.to, ok = str("To_Account"); !ok || !fuzzAccounts[req.to] {
		return nil, "To_Account not a string naming an account"
	}
	if present("From_Account") {
		if req.from, ok = str("From_Account"); !ok || !fuzzAccounts[req.from] {
			return nil, "From_Account not a string naming an account"
		}
	}
	if !present("MsgRandom") {
		return nil, "no MsgRandom"
	}
	v, ok := integer("MsgRandom", 0, math.MaxUint32)
	if !ok {
		return nil, "MsgRandom not a uint32"
	}
	req.random = uint32(v)
	if present("MsgSeq") {
		v, ok := integer("MsgSeq", 0, math.MaxUint32)
		if !ok {
			return nil, "MsgSeq not a uint32"
		}
		s := uint32(v)
		req.seq = &s
	}
	if present("MsgTimeStamp") {
		v, ok := integer("MsgTimeStamp", 0, math.MaxInt64)
		if !ok {
			return nil, "MsgTimeStamp not a time"
		}
		if v != 0 {
			req.timeStamp = &v
		}
	}
	if present("SyncOtherMachine") {
		if req.sync, ok = integer("SyncOtherMachine", 0, 3); !ok {
			return nil, "SyncOtherMachine not 0..3"
		}
	}
	if present("MsgLifeTime") {
		v, ok := integer("MsgLifeTime", 0, math.MaxInt64)
		if !ok {
			return nil, "MsgLifeTime not a non-negative integer"
		}
		req.onlineOnly = v == 0
	}
	for _, k := range []string{"OnlineOnlyFlag", "SupportMessageExtension", "IsNeedReadReceipt"} {
		if present(k) {
			v, ok := integer(k, 0, 1)
			if !ok {
				return nil, k + " not 0 or 1"
			}
			if k == "OnlineOnlyFlag" && v == 1 {
				req.onlineOnly = true
			}
		}
	}
	for _, k := range []string{"ForbidCallbackControl", "SendMsgControl"} {
		var words []string
		if present(k) && stdjson.Unmarshal(top[k], &words) != nil {
			return nil, k + " not an array of strings"
		}
	}
	if present("CloudCustomData") {
		if req.customData, ok = str("CloudCustomData"); !ok {
			return nil, "CloudCustomData not a string"
		}
	}
	if present("OfflinePushInfo") && top["OfflinePushInfo"][0] != '{' {
		return nil, "OfflinePushInfo not an object"
	}
	if !present("MsgBody") {
		return nil, "no MsgBody"
	}
	req.body = top["MsgBody"]
	if why := validMsgBody(req.body); why != "" {
		return nil, why
	}
	if len(req.body)+len(req.customData) > 12<<10 {
		return nil, "over 12 KB"
	}
	return req, ""
}

// validMsgBody checks a MsgBody: a non-empty array of elements of known
// types with object contents, at most one custom element, and a string
// Text in text elements.
func validMsgBody(raw []byte) string {
	var elems []map[string]stdjson.RawMessage
	if err := stdjson.Unmarshal(raw, &elems); err != nil {
		return "MsgBody not an array of objects"
	}
	if len(elems) == 0 {
		return "MsgBody empty"
	}
	known := map[string]bool{"TIMTextElem": true, "TIMLocationElem": true, "TIMFaceElem": true, "TIMCustomElem": true,
		"TIMSoundElem": true, "TIMImageElem": true, "TIMFileElem": true, "TIMVideoFileElem": true, "TIMRelayElem": true}
	customs := 0
	for _, e := range elems {
		if e == nil {
			return "element null"
		}
		var typ string
		if stdjson.Unmarshal(e["MsgType"], &typ) != nil || !known[typ] {
			return "unknown MsgType"
		}
		c := e["MsgContent"]
		if len(c) == 0 || c[0] != '{' {
			return "MsgContent not an object"
		}
		if typ == "TIMCustomElem" {
			customs++
		}
		if typ == "TIMTextElem" {
			var tc map[string]stdjson.RawMessage
			var text string
			if stdjson.Unmarshal(c, &tc) != nil || len(tc["Text"]) == 0 || tc["Text"][0] != '"' || stdjson.Unmarshal(tc["Text"], &text) != nil {
				return "TIMTextElem without a string Text"
			}
		}
	}
	if customs > 1 {
		return "more than one TIMCustomElem"
	}
	return ""
}

// jsonInteger reads raw as a JSON number with an integral value in [lo, hi].
func jsonInteger(raw []byte, lo, hi float64) (int64, bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return 0, false
	}
	x, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil || !x.IsInt() {
		return 0, false
	}
	if x.Cmp(new(big.Float).SetFloat64(lo)) < 0 || x.Cmp(new(big.Float).SetFloat64(hi)) > 0 {
		return 0, false
	}
	v, _ := x.Int64()
	return v, true
}

// TestFuzzOracle keeps the oracle honest on the examples the other tests
// establish: what it accepts and what it refuses.
func TestFuzzOracle(t *testing.T) {
	accept := []string{
		`{"To_Account":"bob","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`,
		`{"From_Account":"alice","To_Account":"bob","MsgRandom":4294967295,"MsgSeq":0,"SyncOtherMachine":3,"MsgLifeTime":0,"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{}}],"CloudCustomData":"x","OfflinePushInfo":{}}`,
	}
	refuse := []string{
		``, `[]`, `{"To_Account":"bob","MsgRandom":1,"MsgBody":[]}`,
		`{"To_Account":"carol","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`,
		`{"To_Account":"bob","MsgRandom":4294967296,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`,
		`{"To_Account":"bob","To_Account":"bob","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`,
		`{"To_Account":"bob","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"\ud800"}}]}`,
		`{"To_Account":"bob","MsgRandom":1,"SyncOtherMachine":"1","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`,
		`{"To_Account":"bob","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{}}]}`,
	}
	for _, b := range accept {
		if _, why := validSendMsg([]byte(b)); why != "" {
			t.Errorf("validSendMsg(%s) refuses: %s", b, why)
		}
	}
	for _, b := range refuse {
		if _, why := validSendMsg([]byte(b)); why == "" {
			t.Errorf("validSendMsg(%s) accepts, want a refusal", b)
		}
	}
}
