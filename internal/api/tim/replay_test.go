package tim_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/parleyim/parley/internal/auth"
	"github.com/parleyim/parley/internal/parleytest"
)

// capture is one request recorded from a real server SDK
// (testdata/captures/*.jsonl, copied from shared/reference/captures).
type capture struct {
	N        int         `json:"n"`
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	RawQuery string      `json:"raw_query"`
	Headers  [][2]string `json:"headers"`
	BodyRaw  string      `json:"body_raw"`
}

var captureFiles = []string{"java-sdk.jsonl", "go-sdk.jsonl"}

func readCaptures(t testing.TB, name string) []capture {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "captures", name))
	if err != nil {
		t.Fatalf("open capture: %v", err)
	}
	defer f.Close()
	var out []capture
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c capture
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s line %d: %v", name, line, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no captures", name)
	}
	return out
}

// servedCommand reports whether the node serves a captured path yet.
var servedCommand = regexp.MustCompile(`^/v4/(im_open_login_svc/[a-z_]+|openim/(sendmsg|batchsendmsg|importmsg|admin_getroammsg|query_online_status|querystate)|group_open_http_svc/[a-z_]+)$`)

// withUserSig returns rawQuery with its usersig replaced, everything else
// (order, random, contenttype) as captured.
func withUserSig(rawQuery, sig string) string {
	parts := strings.Split(rawQuery, "&")
	for i, p := range parts {
		if strings.HasPrefix(p, "usersig=") {
			parts[i] = "usersig=" + sig
		}
	}
	return strings.Join(parts, "&")
}

// TestReplayCaptures replays the SDK captures in file order with their
// original headers and bodies and a fresh admin UserSig.
func TestReplayCaptures(t *testing.T) {
	for _, file := range captureFiles {
		t.Run(file, func(t *testing.T) {
			// The clock sits a minute after the captured sendmsg's
			// MsgTimeStamp so that history shows what the replay sends.
			n := parleytest.Start(t, parleytest.Options{Clock: clockAt(1631934058 + 60)})
			n.ImportAccounts(t, "test1", "test2", "test3", "bingo")
			sentKeys := map[string]bool{}
			lastSent := ""
			replayed := 0
			for _, c := range readCaptures(t, file) {
				if !servedCommand.MatchString(c.Path) {
					t.Logf("#%d %s: not served yet, skipped", c.N, c.Path)
					continue
				}
				body := c.BodyRaw
				if strings.HasSuffix(c.Path, "/admin_getroammsg") {
					var q map[string]any
					if err := json.Unmarshal([]byte(body), &q); err != nil {
						t.Fatalf("#%d: %v", c.N, err)
					}
					if k, ok := q["LastMsgKey"].(string); ok && !sentKeys[k] && lastSent != "" {
						t.Logf("#%d: LastMsgKey %s names no message; using %s", c.N, k, lastSent)
						body = strings.Replace(body, k, lastSent, 1)
					}
				}
				header := http.Header{}
				for _, h := range c.Headers {
					switch http.CanonicalHeaderKey(h[0]) {
					case "Host", "Content-Length":
						continue
					}
					header.Add(h[0], h[1])
				}
				u := n.URL + c.Path + "?" + withUserSig(c.RawQuery, n.Sig(t, parleytest.Admin))
				call := "#" + strings.TrimPrefix(c.Path, "/v4/") + " " + abbrev(body)
				r := envelopeOf(t, call, do(t, n, c.Method, u, []byte(body), header))
				wantCode(t, call, r, 0)
				replayed++
				var a struct{ MsgKey string }
				r.Decode(t, &a)
				if a.MsgKey != "" {
					sentKeys[a.MsgKey] = true
				}
				if strings.HasSuffix(c.Path, "/sendmsg") {
					lastSent = a.MsgKey
				}
				if strings.HasSuffix(c.Path, "/sendmsg") && a.MsgKey != "93847636_1287657_1631934058" {
					t.Errorf("%s: MsgKey %q, want 93847636_1287657_1631934058 (MsgSeq, MsgRandom, MsgTimeStamp)", call, a.MsgKey)
				}
				t.Logf("#%d %s → %s", c.N, c.Path, abbrev(string(r.Raw)))
			}
			if replayed < 6 {
				t.Errorf("replayed %d requests, want at least the 6 account and C2C ones", replayed)
			}
			// What the replay stored: the send (SyncOtherMachine 2: test2
			// only), the batch (MsgLifeTime 0 in the Java capture: none),
			// the import (both sides, at its old time).
			h := history(t, n, "test2", "test1", 1631934000, 1631934060)
			if len(h) != 1 || h[0].MsgKey != "93847636_1287657_1631934058" || len(h[0].MsgBody) == 0 {
				t.Errorf("test2's history after the replay: %q, want the captured sendmsg", keys(h))
			}
			if h := history(t, n, "test1", "test2", 1631934000, 1631934060); len(h) != 0 {
				t.Errorf("test1's history: %q, want nothing (SyncOtherMachine 2)", keys(h))
			}
		})
	}
}

// TestCapturedUserSigs checks that the UserSigs the SDKs generated are
// accepted as they are when the clock is at the time of the capture: the
// node reads real Java and Go SDK output, not only its own.
func TestCapturedUserSigs(t *testing.T) {
	for _, file := range captureFiles {
		t.Run(file, func(t *testing.T) {
			seen := map[string]bool{}
			for _, c := range readCaptures(t, file) {
				sig := ""
				for _, p := range strings.Split(c.RawQuery, "&") {
					if v, ok := strings.CutPrefix(p, "usersig="); ok {
						sig = v
					}
				}
				if sig == "" || seen[sig] {
					continue
				}
				seen[sig] = true
				claims, err := auth.Decode(sig)
				if err != nil {
					t.Fatalf("#%d: auth.Decode(captured usersig): %v", c.N, err)
				}
				if claims.SDKAppID != parleytest.AppID || claims.Identifier != parleytest.Admin {
					t.Fatalf("#%d: captured usersig is for %d/%s, want %d/%s", c.N, claims.SDKAppID, claims.Identifier, parleytest.AppID, parleytest.Admin)
				}
				n := parleytest.Start(t, parleytest.Options{Clock: parleytest.NewClock(time.Unix(claims.Time+1, 0))})
				u := n.URL + "/v4/im_open_login_svc/account_check?" + c.RawQuery
				r := envelopeOf(t, "captured usersig", do(t, n, http.MethodPost, u, []byte(`{"CheckItem":[{"UserID":"administrator"}]}`), nil))
				wantCode(t, fmt.Sprintf("account_check with the usersig of %s #%d", file, c.N), r, 0)
			}
			if len(seen) == 0 {
				t.Errorf("%s: no usersig in the captures", file)
			}
		})
	}
}
