package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// rest posts v4 commands as the app admin over keep-alive connections.
type rest struct {
	tr   *http.Transport
	http *http.Client
	t    *target
}

// newREST returns a client that keeps up to conns connections open to t.
// Close it when done.
func newREST(t *target, conns int) *rest {
	tr := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &rest{tr: tr, http: &http.Client{Transport: tr}, t: t}
}

func (r *rest) Close() { r.tr.CloseIdleConnections() }

// url returns the URL of a v4 command signed as the admin. The UserSig is
// made once per run; random differs per URL, as SDKs send it.
// restWorker is one load worker's request state: its signed URL (each
// worker's with its own random) and the buffers it reuses.
type restWorker struct {
	url string
	req []byte
	buf bytes.Buffer
}

// workers returns n workers' states for command.
func (r *rest) workers(command string, n int) []restWorker {
	ws := make([]restWorker, n)
	for i := range ws {
		ws[i].url = r.url(command, uint32(i)+1)
	}
	return ws
}

func (r *rest) url(command string, random uint32) string {
	return fmt.Sprintf("%s/v4/%s?sdkappid=%d&identifier=%s&usersig=%s&random=%d&contenttype=json",
		r.t.url, command, r.t.app, r.t.admin, r.t.adminSig, random)
}

// post sends body and reads the answer into buf (reset first). It fails
// with *statusError for a status other than 200 and *timError for an
// ErrorCode other than 0; a transport error is returned as is.
func (r *rest) post(ctx context.Context, url string, body []byte, buf *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{Status: resp.StatusCode, Body: string(buf.Bytes()[:min(buf.Len(), 120)])}
	}
	code, ok := intMember(buf.Bytes(), "ErrorCode")
	if !ok {
		return &statusError{Status: resp.StatusCode, Body: "no ErrorCode in " + string(buf.Bytes()[:min(buf.Len(), 120)])}
	}
	if code != 0 {
		var env struct{ ErrorInfo string }
		json.Unmarshal(buf.Bytes(), &env)
		return &timError{Code: code, Info: env.ErrorInfo}
	}
	return nil
}

// intMember finds `"name":` in a JSON answer and parses the integer after
// it, without decoding the whole answer. Inside JSON strings a quote is
// always escaped, so the pattern only matches a member name.
func intMember(b []byte, name string) (int, bool) {
	pat := make([]byte, 0, len(name)+3)
	pat = append(append(append(pat, '"'), name...), '"', ':')
	i := bytes.Index(b, pat)
	if i < 0 {
		return 0, false
	}
	b = bytes.TrimLeft(b[i+len(pat):], " \t\r\n")
	j := 0
	for j < len(b) && (b[j] == '-' || b[j] >= '0' && b[j] <= '9') {
		j++
	}
	n, err := strconv.Atoi(string(b[:j]))
	return n, err == nil
}

// textBody returns a MsgBody with one text element of n bytes ('x' after
// a short prefix), as JSON.
func textBody(n int) []byte {
	text := make([]byte, max(n, 1))
	for i := range text {
		text[i] = 'x'
	}
	copy(text, "parley bench ")
	b, _ := json.Marshal([]map[string]any{{"MsgType": "TIMTextElem", "MsgContent": map[string]string{"Text": string(text)}}})
	return b
}

// appendSendMsg appends a v4 openim/sendmsg body.
func appendSendMsg(b []byte, from, to string, random uint32, msgBody []byte) []byte {
	b = append(b, `{"From_Account":"`...)
	b = append(b, from...)
	b = append(b, `","To_Account":"`...)
	b = append(b, to...)
	b = append(b, `","MsgRandom":`...)
	b = strconv.AppendUint(b, uint64(random), 10)
	b = append(b, `,"MsgBody":`...)
	b = append(b, msgBody...)
	return append(b, '}')
}
