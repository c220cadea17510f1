package auth

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The worked example of tencent-api.md 2.6.
const (
	demoKey  = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e" // the official libs' demo key
	exApp    = 1400000000
	exUser   = "administrator"
	exTime   = 1700000000
	exExpire = 86400
	exInput  = "TLS.identifier:administrator\nTLS.sdkappid:1400000000\nTLS.time:1700000000\nTLS.expire:86400\n"
	exMAC    = "yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60="
	exJSON   = `{"TLS.ver":"2.0","TLS.identifier":"administrator","TLS.sdkappid":1400000000,"TLS.time":1700000000,"TLS.expire":86400,"TLS.sig":"yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60="}`
	// exPython is made by Python's zlib 1.2.13 at level 6, exNode by Node's zlib 1.3.1 fork.
	exPython = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl5mcUlRYkl*UVQBcUp2YkFBZkpSlaGJgZQAJEpycxNBYqao4qmVhRkFgHFLcxMYELFmelAwyt9HFO1y83DQ1NDSwuTwiwz9EMizC1KjQzzQ9wztTMtowoMS40DCvIizQxslWoBrRIzkg__"
	exNode   = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl5mcUlRYkl*UVQBcUp2YkFBZkpSlaGJgZQAJEpycxNVbIyNEcVTa0oyCxKVbKyMDOBCRVnpitZKVX6OKZql5uHh6aGlhYmhVlm6IdEmFuUGhnmh7hnamdaRhUYlhoHFORFmhnYKtUCAK0SM5I_"
)

var (
	exClaims = Claims{SDKAppID: exApp, Identifier: exUser, Time: exTime, Expire: exExpire}
	exNow    = time.Unix(exTime+10, 0)
)

func TestWorkedExample(t *testing.T) {
	if got := string(hmacInput(&exClaims)); got != exInput {
		t.Errorf("hmacInput = %q, want %q", got, exInput)
	}
	mac := sign(demoKey, &exClaims)
	if got := base64.StdEncoding.EncodeToString(mac[:]); got != exMAC {
		t.Errorf("sign: TLS.sig %s, want %s", got, exMAC)
	}
	doc, err := marshal(&exClaims, demoKey)
	if err != nil || string(doc) != exJSON {
		t.Errorf("marshal = %s, %v; want %s", doc, err, exJSON)
	}

	for _, sig := range []string{exPython, exNode} {
		for _, tt := range []struct {
			now  int64
			want error
		}{
			{exTime + 10, nil},
			{exTime + exExpire, nil}, // the last valid second
			{exTime + exExpire + 1, ErrExpired},
		} {
			c, err := Verify(sig, exApp, demoKey, exUser, time.Unix(tt.now, 0))
			if !errors.Is(err, tt.want) || (tt.want != nil) != (err != nil) {
				t.Errorf("Verify(%.12s…, now=%d): err %v, want %v", sig, tt.now, err, tt.want)
			}
			want := exClaims
			if tt.want != nil {
				want = Claims{}
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("Verify(%.12s…, now=%d) = %+v, want %+v", sig, tt.now, c, want)
			}
		}
		if c, err := Decode(sig); err != nil || !reflect.DeepEqual(c, exClaims) {
			t.Errorf("Decode(%.12s…) = %+v, %v; want %+v", sig, c, err, exClaims)
		}
	}
}

// token is one UserSig sample of testdata/tokens.json, a copy of
// shared/reference/captures/tokens.json made with the official Node library
// and captured from the Java and Go SDKs.
type token struct {
	Inputs *struct {
		SDKAppID   uint64 `json:"sdkappid"`
		Key        string `json:"key"`
		Identifier string `json:"identifier"`
		Expire     int64  `json:"expire"`
		Time       *int64 `json:"time"`
	} `json:"inputs"`
	UserSig     string          `json:"usersig"`
	Decoded     json.RawMessage `json:"decoded"`
	DecodedText string          `json:"decoded_text"`
	ZlibHeader  string          `json:"zlib_header_hex"`
	HMACValid   bool            `json:"hmac_valid"`
}

// loadTokens returns every Tencent UserSig sample by name; Agora tokens are skipped.
func loadTokens(t *testing.T) map[string]token {
	t.Helper()
	data, err := os.ReadFile("testdata/tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("tokens.json: %v", err)
	}
	tokens := map[string]token{}
	for name, raw := range file {
		switch {
		case strings.HasPrefix(name, "usersig"):
			var tok token
			if err := json.Unmarshal(raw, &tok); err != nil {
				t.Fatalf("tokens.json %s: %v", name, err)
			}
			tokens[name] = tok
		case name == "capture_usersigs":
			var caps []token
			if err := json.Unmarshal(raw, &caps); err != nil {
				t.Fatalf("tokens.json %s: %v", name, err)
			}
			for i, tok := range caps {
				tokens[name+"/"+strconv.Itoa(i)] = tok
			}
		}
	}
	if len(tokens) != 4 {
		t.Fatalf("tokens.json: %d UserSig samples, want 4", len(tokens))
	}
	return tokens
}

// claimsOf returns the claims of a decoded JSON document, parsed independently of decode.
func claimsOf(t *testing.T, doc []byte) Claims {
	t.Helper()
	var d document
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("decoded document %s: %v", doc, err)
	}
	return Claims{SDKAppID: d.SDKAppID, Identifier: d.Identifier, Time: d.Time, Expire: d.Expire}
}

func TestTokensJSON(t *testing.T) {
	for name, tok := range loadTokens(t) {
		t.Run(name, func(t *testing.T) {
			// The captured SDK requests carry no inputs; they were made with the demo
			// key for sdkappid 1400000001 as administrator (see captures/*.jsonl).
			app, key, user := uint64(1400000001), demoKey, "administrator"
			doc := []byte(tok.DecodedText)
			if tok.Inputs != nil {
				app, key, user = tok.Inputs.SDKAppID, tok.Inputs.Key, tok.Inputs.Identifier
			}
			if tok.Decoded != nil {
				doc = tok.Decoded
			}
			want := claimsOf(t, doc)
			if tok.Inputs != nil && (want.Expire != tok.Inputs.Expire ||
				tok.Inputs.Time != nil && want.Time != *tok.Inputs.Time) {
				t.Fatalf("tokens.json: decoded %+v disagrees with inputs", want)
			}
			if !tok.HMACValid {
				t.Fatalf("tokens.json: hmac_valid false")
			}

			got, err := Decode(tok.UserSig)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Decode = %+v, %v; want %+v", got, err, want)
			}
			now := time.Unix(want.Time, 0)
			got, err = Verify(tok.UserSig, app, key, user, now)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Verify = %+v, %v; want %+v", got, err, want)
			}
			if _, err := NewVerifier(0).Verify(tok.UserSig, app, key, user, now); err != nil {
				t.Errorf("Verifier.Verify: %v", err)
			}
			if _, err := Verify(tok.UserSig, app, "another key", user, now); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify with another key: %v, want ErrBadSignature", err)
			}
			if tok.ZlibHeader != "" {
				if z, _ := unBase64(tok.UserSig); hex.EncodeToString(z[:2]) != tok.ZlibHeader {
					t.Errorf("zlib header %x, want %s", z[:2], tok.ZlibHeader)
				}
			}
		})
	}
}

func TestGenUserSigRoundTrip(t *testing.T) {
	now := time.Unix(exTime, 999_999_999) // truncated to the second
	tests := []struct {
		name       string
		identifier string
		expire     int64
	}{
		{"admin, one day", "administrator", 86400},
		{"180 days", "user_1", 180 * 86400},
		{"zero validity", "u", 0},
		{"empty identifier", "", 60},
		{"non-ASCII and JSON specials", "小明 <a&b> \"q\" \\ \n", 60},
		{"50 years", "u", 50 * 365 * 86400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := GenUserSig(exApp, demoKey, tt.identifier, tt.expire, now)
			if err != nil {
				t.Fatalf("GenUserSig: %v", err)
			}
			if strings.ContainsAny(sig, "+/=") {
				t.Errorf("GenUserSig = %s, contains + / or =", sig)
			}
			if z, _ := unBase64(sig); !bytes.HasPrefix(z, []byte{0x78, 0x9c}) {
				t.Errorf("GenUserSig: zlib header %x, want 789c", z[:2])
			}
			want := Claims{SDKAppID: exApp, Identifier: tt.identifier, Time: exTime, Expire: tt.expire}
			if c, err := Decode(sig); err != nil || !reflect.DeepEqual(c, want) {
				t.Errorf("Decode = %+v, %v; want %+v", c, err, want)
			}
			if c, err := Verify(sig, exApp, demoKey, tt.identifier, now.Add(time.Duration(tt.expire)*time.Second)); err != nil || !reflect.DeepEqual(c, want) {
				t.Errorf("Verify at expiry = %+v, %v; want %+v", c, err, want)
			}
		})
	}
}

func TestGenUserSigRefusals(t *testing.T) {
	tests := []struct {
		name          string
		key, user     string
		expire        int64
		now           time.Time
		wantMalformed bool
	}{
		{"empty key", "", "u", 60, exNow, false},
		{"negative expire", demoKey, "u", -1, exNow, true},
		{"before 1970", demoKey, "u", 60, time.Unix(-1, 0), true},
		{"expiry past int64", demoKey, "u", math.MaxInt64, exNow, true},
		{"identifier not UTF-8", demoKey, "\xff", 60, exNow, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := GenUserSig(exApp, tt.key, tt.user, tt.expire, tt.now)
			if err == nil || sig != "" || errors.Is(err, ErrMalformed) != tt.wantMalformed {
				t.Errorf("GenUserSig = %q, %v; want \"\" and an error (wrapping ErrMalformed: %v)", sig, err, tt.wantMalformed)
			}
		})
	}
}

func TestCompressionLevels(t *testing.T) {
	tests := []struct {
		name   string
		level  int
		header string
	}{
		{"NoCompression", zlib.NoCompression, "7801"},
		{"BestSpeed", zlib.BestSpeed, "7801"}, // Go labels level 1 as "fastest" like level 0
		{"level 2", 2, "785e"},
		{"DefaultCompression", zlib.DefaultCompression, "789c"},
		{"BestCompression", zlib.BestCompression, "78da"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := packLevel(t, exJSON, tt.level)
			if z, _ := unBase64(sig); hex.EncodeToString(z[:2]) != tt.header {
				t.Errorf("zlib header %x, want %s", z[:2], tt.header)
			}
			if c, err := Verify(sig, exApp, demoKey, exUser, exNow); err != nil || !reflect.DeepEqual(c, exClaims) {
				t.Errorf("Verify = %+v, %v; want %+v", c, err, exClaims)
			}
		})
	}
}

// A TRTC userbuf vector made with Python like the official library.
const (
	ubSig   = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwok5mcmpUInilOzEgoLMFCUrQxMDKIDIpFYUZBalKllZmJnAhEoyc4EChuaoCkuLU4uSStOABjsGOrpFhlcURBqFhSSbOTrC7MhMB0rmeYdbZgS4G*cV5pQmuaS4RuZk5nmHeqWZGfqUZmRVJZqYO2ubulhmW4SE2irVAgBz0zpi"
	ubInput = "TLS.identifier:alice\nTLS.sdkappid:1400000000\nTLS.time:1700000000\nTLS.expire:86400\nTLS.userbuf:AQAFYWxpY2VTc6AA\n"
)

func TestUserBuf(t *testing.T) {
	want := Claims{SDKAppID: exApp, Identifier: "alice", Time: exTime, Expire: exExpire,
		UserBuf: []byte("\x01\x00\x05alice\x53\x73\xa0\x00")}
	if got := string(hmacInput(&want)); got != ubInput {
		t.Errorf("hmacInput = %q, want %q", got, ubInput)
	}
	if c, err := Verify(ubSig, exApp, demoKey, "alice", exNow); err != nil || !reflect.DeepEqual(c, want) {
		t.Errorf("Verify(python userbuf) = %+v, %v; want %+v", c, err, want)
	}

	for _, ub := range [][]byte{nil, {}, []byte("x"), want.UserBuf} {
		c := exClaims
		c.UserBuf = ub
		sig, err := encode(c, demoKey, zlib.DefaultCompression)
		if err != nil {
			t.Fatalf("encode(userbuf %q): %v", ub, err)
		}
		if got, err := Verify(sig, exApp, demoKey, exUser, exNow); err != nil || !reflect.DeepEqual(got, c) {
			t.Errorf("Verify(userbuf %#v) = %+v, %v; want %+v", ub, got, err, c)
		}
	}
}

// packLevel compresses doc at level and applies the UserSig encoding.
func packLevel(t testing.TB, doc string, level int) string {
	t.Helper()
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, level)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(doc))
	zw.Close()
	return toURL(base64.StdEncoding.EncodeToString(z.Bytes()))
}

// pack compresses doc at the default level and applies the UserSig encoding.
func pack(t testing.TB, doc string) string { return packLevel(t, doc, zlib.DefaultCompression) }

// packed applies the UserSig encoding to compressed bytes.
func packed(z []byte) string { return toURL(base64.StdEncoding.EncodeToString(z)) }

// zlibBytes returns the default-level zlib stream of doc.
func zlibBytes(doc string) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(doc))
	zw.Close()
	return z.Bytes()
}

// exDoc returns the worked example's JSON, keys in the same order, with the
// values in over replacing or adding (raw JSON, new keys sorted at the end)
// and keys mapped to "" removed.
func exDoc(over map[string]string) string {
	keys := []string{"TLS.ver", "TLS.identifier", "TLS.sdkappid", "TLS.time", "TLS.expire", "TLS.sig"}
	vals := map[string]string{"TLS.ver": `"2.0"`, "TLS.identifier": `"administrator"`,
		"TLS.sdkappid": "1400000000", "TLS.time": "1700000000", "TLS.expire": "86400", "TLS.sig": `"` + exMAC + `"`}
	for _, k := range slices.Sorted(maps.Keys(over)) {
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = over[k]
	}
	var b strings.Builder
	b.WriteByte('{')
	for _, k := range keys {
		if vals[k] == "" {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + k + `":` + vals[k])
	}
	b.WriteByte('}')
	return b.String()
}

// verifyCase is one call of Verify. Zero request fields mean the worked
// example's request: exApp, demoKey, exUser, exNow.
type verifyCase struct {
	name string
	sig  string
	app  uint64
	key  string
	user string
	now  int64
	want error // nil: accepted with exClaims
}

func (c verifyCase) args() (string, uint64, string, string, time.Time) {
	app, key, user, now := c.app, c.key, c.user, exNow
	if app == 0 {
		app = exApp
	}
	if key == "" {
		key = demoKey
	}
	if user == "" {
		user = exUser
	}
	if c.now != 0 {
		now = time.Unix(c.now, 0)
	}
	return c.sig, app, key, user, now
}

// verifyCases covers every outcome of Verify; the Verifier runs it too.
func verifyCases(t testing.TB) []verifyCase {
	z := zlibBytes(exJSON)
	var raw, gz, dict bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.DefaultCompression)
	fw.Write([]byte(exJSON))
	fw.Close()
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(exJSON))
	gw.Close()
	dw, _ := zlib.NewWriterLevelDict(&dict, zlib.DefaultCompression, []byte("TLS."))
	dw.Write([]byte(exJSON))
	dw.Close()
	badSum := slices.Clone(z)
	badSum[len(badSum)-1] ^= 1
	otherKey, err := encode(exClaims, "another app's key", zlib.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	doc := func(over map[string]string) string { return pack(t, exDoc(over)) }

	return []verifyCase{
		// Accepted.
		{name: "python example", sig: exPython},
		{name: "node example", sig: exNode},
		{name: "last valid second", sig: exNode, now: exTime + exExpire},
		{name: "issued in the future", sig: exNode, now: exTime - 3600},
		{name: "padding dropped", sig: strings.TrimRight(exPython, "_")},
		{name: "standard base64 alphabet", sig: urlUnsafe.Replace(exPython)},
		{name: "zlib NoCompression", sig: packLevel(t, exJSON, zlib.NoCompression)},
		{name: "zlib BestSpeed", sig: packLevel(t, exJSON, zlib.BestSpeed)},
		{name: "zlib level 2", sig: packLevel(t, exJSON, 2)},
		{name: "zlib DefaultCompression", sig: packLevel(t, exJSON, zlib.DefaultCompression)},
		{name: "zlib BestCompression", sig: packLevel(t, exJSON, zlib.BestCompression)},
		{name: "unknown key and trailing newline", sig: pack(t, exDoc(map[string]string{"TLS.extra": `{"a":[1,null]}`})+"\n")},
		{name: "spaces around values", sig: pack(t, strings.ReplaceAll(strings.ReplaceAll(exJSON, ":", " : "), ",", " , "))},

		{name: "empty", sig: "", want: ErrEmpty},

		// Malformed encoding.
		{name: "not base64", sig: "eJ!!", want: ErrMalformed},
		{name: "line break in base64", sig: exPython[:8] + "\n" + exPython[8:], want: ErrMalformed},
		{name: "too much padding", sig: exPython + "__", want: ErrMalformed},
		{name: "longer than 32 KiB", sig: strings.Repeat("A", maxSigLen+4), want: ErrMalformed},
		{name: "raw deflate", sig: packed(raw.Bytes()), want: ErrMalformed},
		{name: "gzip", sig: packed(gz.Bytes()), want: ErrMalformed},
		{name: "zlib truncated", sig: packed(z[:len(z)-6]), want: ErrMalformed},
		{name: "zlib checksum wrong", sig: packed(badSum), want: ErrMalformed},
		{name: "bytes after zlib stream", sig: packed(append(slices.Clone(z), 0)), want: ErrMalformed},
		{name: "zlib preset dictionary", sig: packed(dict.Bytes()), want: ErrMalformed},
		{name: "inflates past 16 KiB", sig: pack(t, exJSON+strings.Repeat(" ", maxDocLen)), want: ErrMalformed},

		// Malformed JSON.
		{name: "JSON array", sig: pack(t, `[1]`), want: ErrMalformed},
		{name: "JSON null", sig: pack(t, `null`), want: ErrMalformed},
		{name: "JSON string", sig: pack(t, `"x"`), want: ErrMalformed},
		{name: "JSON cut short", sig: pack(t, exJSON[:40]), want: ErrMalformed},
		{name: "JSON then garbage", sig: pack(t, exJSON+"x"), want: ErrMalformed},
		{name: "sdkappid string", sig: doc(map[string]string{"TLS.sdkappid": `"1400000000"`}), want: ErrMalformed},
		{name: "sdkappid negative", sig: doc(map[string]string{"TLS.sdkappid": `-1`}), want: ErrMalformed},
		{name: "sdkappid 2^64", sig: doc(map[string]string{"TLS.sdkappid": `18446744073709551616`}), want: ErrMalformed},
		{name: "time with fraction", sig: doc(map[string]string{"TLS.time": `1700000000.5`}), want: ErrMalformed},
		{name: "time with .0", sig: doc(map[string]string{"TLS.time": `1700000000.0`}), want: ErrMalformed},
		{name: "time with exponent", sig: doc(map[string]string{"TLS.time": `17e8`}), want: ErrMalformed},
		{name: "time null", sig: doc(map[string]string{"TLS.time": `null`}), want: ErrMalformed},
		{name: "expire string", sig: doc(map[string]string{"TLS.expire": `"86400"`}), want: ErrMalformed},
		{name: "identifier number", sig: doc(map[string]string{"TLS.identifier": `1`}), want: ErrMalformed},
		{name: "identifier null", sig: doc(map[string]string{"TLS.identifier": `null`}), want: ErrMalformed},
		{name: "ver number", sig: doc(map[string]string{"TLS.ver": `2.0`}), want: ErrMalformed},
		{name: "sig number", sig: doc(map[string]string{"TLS.sig": `1`}), want: ErrMalformed},
		{name: "userbuf number", sig: doc(map[string]string{"TLS.userbuf": `1`}), want: ErrMalformed},
		{name: "userbuf null", sig: doc(map[string]string{"TLS.userbuf": `null`}), want: ErrMalformed},
		{name: "userbuf not base64", sig: doc(map[string]string{"TLS.userbuf": `"!!"`}), want: ErrMalformed},
		{name: "userbuf unpadded", sig: doc(map[string]string{"TLS.userbuf": `"eA"`}), want: ErrMalformed},
		{name: "missing ver", sig: doc(map[string]string{"TLS.ver": ""}), want: ErrMalformed},
		{name: "missing identifier", sig: doc(map[string]string{"TLS.identifier": ""}), want: ErrMalformed},
		{name: "missing sdkappid", sig: doc(map[string]string{"TLS.sdkappid": ""}), want: ErrMalformed},
		{name: "missing time", sig: doc(map[string]string{"TLS.time": ""}), want: ErrMalformed},
		{name: "missing expire", sig: doc(map[string]string{"TLS.expire": ""}), want: ErrMalformed},
		{name: "missing sig", sig: doc(map[string]string{"TLS.sig": ""}), want: ErrMalformed},
		{name: "key in other case", sig: doc(map[string]string{"TLS.ver": "", "tls.ver": `"2.0"`}), want: ErrMalformed},
		{name: "ver 1.0", sig: doc(map[string]string{"TLS.ver": `"1.0"`}), want: ErrMalformed},
		{name: "expire negative", sig: doc(map[string]string{"TLS.expire": `-1`}), want: ErrMalformed},
		{name: "time negative", sig: doc(map[string]string{"TLS.time": `-1`}), want: ErrMalformed},
		{name: "time+expire overflows", sig: doc(map[string]string{"TLS.time": `9223372036854775807`}), want: ErrMalformed},
		{name: "sig too short", sig: doc(map[string]string{"TLS.sig": `"yLAe+w7W"`}), want: ErrMalformed},
		{name: "sig not canonical base64", sig: doc(map[string]string{"TLS.sig": `"yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY61="`}), want: ErrMalformed},

		// Refused by the checks, in Verify's order.
		{name: "sdkappid mismatch", sig: exNode, app: exApp + 1, want: ErrAppMismatch},
		{name: "sdkappid and identifier mismatch", sig: exNode, app: exApp + 1, user: "admin", want: ErrAppMismatch},
		{name: "identifier mismatch", sig: exNode, user: "admin", want: ErrUserMismatch},
		{name: "identifier mismatch, expired", sig: exNode, user: "admin", now: exTime + exExpire + 1, want: ErrUserMismatch},
		{name: "expired", sig: exNode, now: exTime + exExpire + 1, want: ErrExpired},
		{name: "expired, another key", sig: otherKey, now: exTime + exExpire + 1, want: ErrExpired},
		{name: "HMAC tampered", sig: doc(map[string]string{"TLS.sig": `"z` + exMAC[1:] + `"`}), want: ErrBadSignature},
		{name: "expire raised", sig: doc(map[string]string{"TLS.expire": `864000`}), want: ErrBadSignature},
		{name: "identifier changed", sig: doc(map[string]string{"TLS.identifier": `"root"`}), user: "root", want: ErrBadSignature},
		{name: "userbuf added", sig: doc(map[string]string{"TLS.userbuf": `""`}), want: ErrBadSignature},
		{name: "signed with another key", sig: otherKey, want: ErrBadSignature},
		{name: "verified with another key", sig: exNode, key: "another app's key", want: ErrBadSignature},
	}
}

// sentinels are every error Decode and Verify may wrap.
var sentinels = []error{ErrEmpty, ErrMalformed, ErrAppMismatch, ErrUserMismatch, ErrExpired, ErrBadSignature}

// checkResult reports unless (c, err) is the outcome tc wants: exClaims and
// nil, or zero Claims and an error wrapping tc.want and no other sentinel.
func checkResult(t *testing.T, call string, tc verifyCase, c Claims, err error) {
	t.Helper()
	want := exClaims
	if tc.want != nil {
		want = Claims{}
	}
	for _, s := range sentinels {
		if errors.Is(err, s) != (s == tc.want) {
			t.Errorf("%s: err %v, want %v", call, err, tc.want)
			break
		}
	}
	if (err == nil) != (tc.want == nil) {
		t.Errorf("%s: err %v, want %v", call, err, tc.want)
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("%s: claims %+v, want %+v", call, c, want)
	}
}

func TestVerify(t *testing.T) {
	for _, tc := range verifyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Verify(tc.args())
			checkResult(t, "Verify", tc, c, err)

			// Decode skips the request checks and the HMAC.
			dc, err := Decode(tc.sig)
			switch tc.want {
			case ErrEmpty, ErrMalformed:
				if !errors.Is(err, tc.want) || !reflect.DeepEqual(dc, Claims{}) {
					t.Errorf("Decode = %+v, %v; want zero Claims, %v", dc, err, tc.want)
				}
			default:
				if err != nil {
					t.Errorf("Decode: %v, want success", err)
				}
			}
		})
	}
}

func TestVerifyEmptyKey(t *testing.T) {
	signedX, err := encode(exClaims, "x", zlib.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	// A UserSig signed with the empty key must not verify under "" either.
	forged := pack(t, exDoc(map[string]string{"TLS.sig": `"` + hmacForKey("", exInput) + `"`}))
	for _, sig := range []string{signedX, forged} {
		if c, err := Verify(sig, exApp, "", exUser, exNow); !errors.Is(err, ErrBadSignature) {
			t.Errorf("Verify(key \"\") = %+v, %v; want ErrBadSignature", c, err)
		}
		if c, err := NewVerifier(0).Verify(sig, exApp, "", exUser, exNow); !errors.Is(err, ErrBadSignature) {
			t.Errorf("Verifier.Verify(key \"\") = %+v, %v; want ErrBadSignature", c, err)
		}
	}
}

// hmacForKey returns TLS.sig for input under key, computed without sign.
func hmacForKey(key, input string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(input))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
