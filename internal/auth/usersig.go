package auth

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what Decode reads. Real UserSigs are about 200 characters and
// inflate to about 170 bytes; a TRTC userbuf adds well under 1 KiB.
const (
	maxSigLen = 32 << 10 // characters of UserSig text, checked before any decoding
	maxDocLen = 16 << 10 // bytes of inflated JSON; more is refused as a zip bomb
)

// Errors returned by Decode and Verify, always wrapped with details for logs:
// compare them with errors.Is. Each maps to one REST error code (in brackets),
// chosen by the dialect, not here.
var (
	// ErrEmpty: the UserSig is the empty string [70002].
	ErrEmpty = errors.New("auth: usersig is empty")
	// ErrMalformed: the UserSig cannot be decoded: not Base64, not a zlib
	// stream, too large, not a JSON object, a field missing or of the wrong
	// type, TLS.ver not "2.0", or a value out of range [70003].
	ErrMalformed = errors.New("auth: usersig is malformed")
	// ErrAppMismatch: TLS.sdkappid is not the expected SDKAppID [70014].
	ErrAppMismatch = errors.New("auth: usersig is for another sdkappid")
	// ErrUserMismatch: TLS.identifier is not the expected identifier [70013].
	ErrUserMismatch = errors.New("auth: usersig is for another identifier")
	// ErrExpired: now is after TLS.time + TLS.expire [70001].
	ErrExpired = errors.New("auth: usersig expired")
	// ErrBadSignature: TLS.sig is not the HMAC of the claims under the key,
	// e.g. the UserSig was made with another app's key or altered [70009].
	ErrBadSignature = errors.New("auth: usersig signature mismatch")
)

// Claims are the contents of a decoded UserSig.
type Claims struct {
	SDKAppID   uint64
	Identifier string
	Time       int64  // TLS.time, Unix seconds the signature was generated
	Expire     int64  // TLS.expire, validity in seconds
	UserBuf    []byte // TLS.userbuf decoded, nil when absent (non-nil and empty when present but "")
}

// ExpiresAt returns the last Unix second at which the UserSig is valid:
// Time + Expire. Claims from Decode never overflow; for others the sum wraps.
func (c Claims) ExpiresAt() int64 { return c.Time + c.Expire }

// GenUserSig returns a UserSig for identifier in app sdkappid, generated at
// now (truncated to the second) and valid for expire seconds after that. The
// key is used as raw bytes (not hex-decoded). The output is zlib-compressed at
// the default level (header 78 9c, as the Node, Java and Python libraries do)
// and uses the URL-safe substitutions, so it needs no escaping in a URL.
//
// It fails, and returns "" and an error, only when key is empty, or when the
// result could not be decoded: expire negative, now before 1970, now+expire
// past the int64 range, or identifier not valid UTF-8 (all wrap ErrMalformed).
func GenUserSig(sdkappid uint64, key, identifier string, expire int64, now time.Time) (string, error) {
	c := Claims{SDKAppID: sdkappid, Identifier: identifier, Time: now.Unix(), Expire: expire}
	return encode(c, key, zlib.DefaultCompression)
}

// Decode parses a UserSig and returns its claims without checking its HMAC,
// its sdkappid, identifier or expiry: use it for logs and tools, never to
// authenticate. An empty sig gives ErrEmpty; anything that is not a
// well-formed version 2.0 UserSig gives an error wrapping ErrMalformed.
//
// Accepted: the URL-safe alphabet ('*', '-', '_') and, equally, the standard
// one ('+', '/', '='); padding present or absent; any zlib stream (any level,
// any flush pattern) whose data is followed by nothing; JSON keys in any
// order, unknown keys ignored, a repeated key taking its last value.
//
// Refused: raw deflate, gzip, a zlib preset dictionary, more than 16 KiB
// inflated, numbers that are not plain integer literals (no fraction or
// exponent), negative TLS.time or TLS.expire, a TLS.time + TLS.expire past
// the int64 range, a TLS.sig that is not the padded standard Base64 of 32
// bytes, and Base64 in TLS.sig or TLS.userbuf that does not re-encode to
// itself.
func Decode(sig string) (Claims, error) {
	c, _, err := decode(sig)
	return c, err
}

// Verify decodes sig and checks, in this order, that it is for app sdkappid,
// for identifier, not expired at now (now.Unix() <= Time+Expire; a Time in the
// future is not refused), and signed with key. It returns the claims on
// success, and otherwise zero Claims and an error wrapping exactly one of
// ErrEmpty, ErrMalformed, ErrAppMismatch, ErrUserMismatch, ErrExpired or
// ErrBadSignature (the first check that fails). An empty key verifies
// nothing: it gives ErrBadSignature. The HMACs are compared in constant time.
func Verify(sig string, sdkappid uint64, key, identifier string, now time.Time) (Claims, error) {
	c, mac, err := decode(sig)
	if err != nil {
		return Claims{}, err
	}
	if err := c.check(sdkappid, identifier, now); err != nil {
		return Claims{}, err
	}
	if key == "" {
		return Claims{}, fmt.Errorf("%w: empty key", ErrBadSignature)
	}
	want := sign(key, &c)
	if !hmac.Equal(mac[:], want[:]) {
		return Claims{}, ErrBadSignature
	}
	return c, nil
}

// check compares the claims with the request and the clock, in Verify's
// order, leaving the HMAC to the caller.
func (c *Claims) check(sdkappid uint64, identifier string, now time.Time) error {
	if c.SDKAppID != sdkappid {
		return fmt.Errorf("%w: usersig has %d, want %d", ErrAppMismatch, c.SDKAppID, sdkappid)
	}
	if c.Identifier != identifier {
		return fmt.Errorf("%w: usersig has %q, want %q", ErrUserMismatch, c.Identifier, identifier)
	}
	if t := now.Unix(); t > c.ExpiresAt() {
		return fmt.Errorf("%w: valid until %d, now %d", ErrExpired, c.ExpiresAt(), t)
	}
	return nil
}

// hmacInput returns the exact bytes TLS.sig is computed over (reference 2.2).
func hmacInput(c *Claims) []byte {
	b := make([]byte, 0, 96+len(c.Identifier)+base64.StdEncoding.EncodedLen(len(c.UserBuf)))
	b = append(b, "TLS.identifier:"...)
	b = append(b, c.Identifier...)
	b = append(b, "\nTLS.sdkappid:"...)
	b = strconv.AppendUint(b, c.SDKAppID, 10)
	b = append(b, "\nTLS.time:"...)
	b = strconv.AppendInt(b, c.Time, 10)
	b = append(b, "\nTLS.expire:"...)
	b = strconv.AppendInt(b, c.Expire, 10)
	b = append(b, '\n')
	if c.UserBuf != nil {
		b = append(b, "TLS.userbuf:"...)
		b = base64.StdEncoding.AppendEncode(b, c.UserBuf)
		b = append(b, '\n')
	}
	return b
}

// sign returns HMAC-SHA256(key, hmacInput(c)).
func sign(key string, c *Claims) [sha256.Size]byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write(hmacInput(c))
	var mac [sha256.Size]byte
	h.Sum(mac[:0])
	return mac
}

// document is the signed JSON object, fields in the Node library's order.
type document struct {
	Ver        string  `json:"TLS.ver"`
	Identifier string  `json:"TLS.identifier"`
	SDKAppID   uint64  `json:"TLS.sdkappid"`
	Time       int64   `json:"TLS.time"`
	Expire     int64   `json:"TLS.expire"`
	UserBuf    *string `json:"TLS.userbuf,omitempty"` // nil: absent
	Sig        string  `json:"TLS.sig"`
}

// marshal returns the compact JSON document for c signed with key.
func marshal(c *Claims, key string) ([]byte, error) {
	if key == "" {
		return nil, errors.New("auth: empty key")
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	mac := sign(key, c)
	d := document{
		Ver:        "2.0",
		Identifier: c.Identifier,
		SDKAppID:   c.SDKAppID,
		Time:       c.Time,
		Expire:     c.Expire,
		Sig:        base64.StdEncoding.EncodeToString(mac[:]),
	}
	if c.UserBuf != nil {
		s := base64.StdEncoding.EncodeToString(c.UserBuf)
		d.UserBuf = &s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<" stays "<", as in the other libraries
	if err := enc.Encode(&d); err != nil {
		return nil, fmt.Errorf("auth: encode usersig: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encode returns the UserSig for c signed with key, compressed at level.
func encode(c Claims, key string, level int) (string, error) {
	doc, err := marshal(&c, key)
	if err != nil {
		return "", err
	}
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, level)
	if err != nil {
		return "", fmt.Errorf("auth: zlib level %d: %w", level, err)
	}
	zw.Write(doc) // writes to a bytes.Buffer cannot fail
	zw.Close()
	return toURL(base64.StdEncoding.EncodeToString(z.Bytes())), nil
}

// validate reports, wrapping ErrMalformed, claims that Decode would refuse.
func (c *Claims) validate() error {
	switch {
	case c.Time < 0:
		return fmt.Errorf("%w: TLS.time %d before 1970", ErrMalformed, c.Time)
	case c.Expire < 0:
		return fmt.Errorf("%w: TLS.expire %d negative", ErrMalformed, c.Expire)
	case c.Time > math.MaxInt64-c.Expire:
		return fmt.Errorf("%w: TLS.time %d + TLS.expire %d overflows", ErrMalformed, c.Time, c.Expire)
	case !utf8.ValidString(c.Identifier):
		return fmt.Errorf("%w: TLS.identifier %q not UTF-8", ErrMalformed, c.Identifier)
	}
	return nil
}

var (
	urlSafe   = strings.NewReplacer("+", "*", "/", "-", "=", "_")
	urlUnsafe = strings.NewReplacer("*", "+", "-", "/", "_", "=")
)

// toURL applies the UserSig substitutions to standard Base64.
func toURL(s string) string { return urlSafe.Replace(s) }

// malformed returns an error wrapping ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// decode is Decode that also returns the TLS.sig digest.
func decode(sig string) (c Claims, mac [sha256.Size]byte, err error) {
	if sig == "" {
		return Claims{}, mac, ErrEmpty
	}
	if len(sig) > maxSigLen {
		return Claims{}, mac, malformed("%d characters, limit %d", len(sig), maxSigLen)
	}
	z, err := unBase64(sig)
	if err != nil {
		return Claims{}, mac, err
	}
	doc, err := inflate(z)
	if err != nil {
		return Claims{}, mac, err
	}
	return parse(doc)
}

// unBase64 reverses the URL substitutions and decodes standard Base64 with
// or without padding. CR and LF, which encoding/base64 would skip, are refused.
func unBase64(sig string) ([]byte, error) {
	if strings.ContainsAny(sig, "\r\n") {
		return nil, malformed("line break in base64")
	}
	s := urlUnsafe.Replace(sig)
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	z, err := enc.DecodeString(s)
	if err != nil {
		return nil, malformed("base64: %v", err)
	}
	return z, nil
}

// inflate returns the data of the zlib stream z, refusing anything else:
// a bad header or checksum, a preset dictionary, truncation, bytes after the
// stream, or more than maxDocLen bytes of data.
func inflate(z []byte) ([]byte, error) {
	r := bytes.NewReader(z) // an io.ByteReader: zlib reads no further than its stream
	zr, err := zlib.NewReader(r)
	if err != nil {
		return nil, malformed("inflate: %v", err)
	}
	doc, err := io.ReadAll(io.LimitReader(zr, maxDocLen+1))
	if err != nil {
		return nil, malformed("inflate: %v", err)
	}
	if len(doc) > maxDocLen {
		return nil, malformed("inflates past %d bytes", maxDocLen)
	}
	if r.Len() != 0 {
		return nil, malformed("%d bytes after the zlib stream", r.Len())
	}
	return doc, nil
}

// parse checks and extracts the fields of the JSON document.
func parse(doc []byte) (c Claims, mac [sha256.Size]byte, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return Claims{}, mac, malformed("document: %v", err)
	}
	if m == nil { // the document was null
		return Claims{}, mac, malformed("document: null, want an object")
	}
	f := fieldReader{m: m}
	ver := f.str("TLS.ver")
	c.Identifier = f.str("TLS.identifier")
	c.SDKAppID = f.uint("TLS.sdkappid")
	c.Time = f.int("TLS.time")
	c.Expire = f.int("TLS.expire")
	sig := f.str("TLS.sig")
	_, hasUserBuf := m["TLS.userbuf"]
	userbuf := ""
	if hasUserBuf {
		userbuf = f.str("TLS.userbuf")
	}
	if f.err != nil {
		return Claims{}, mac, f.err
	}
	if ver != "2.0" {
		return Claims{}, mac, malformed("TLS.ver %q, want \"2.0\"", ver)
	}
	if err := c.validate(); err != nil {
		return Claims{}, mac, err
	}
	b, ok := canonicalBase64(sig)
	if !ok || len(b) != sha256.Size {
		return Claims{}, mac, malformed("TLS.sig %.50q is not the base64 of %d bytes", sig, sha256.Size)
	}
	copy(mac[:], b)
	if hasUserBuf {
		b, ok := canonicalBase64(userbuf)
		if !ok {
			return Claims{}, mac, malformed("TLS.userbuf %.50q is not base64", userbuf)
		}
		c.UserBuf = b
	}
	return c, mac, nil
}

// canonicalBase64 decodes standard padded Base64 and reports whether s is the
// encoding of the result, so that the HMAC input built from the bytes is the
// text that was signed. "" gives an empty, non-nil slice.
func canonicalBase64(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	if b == nil {
		b = []byte{}
	}
	return b, true
}

// fieldReader reads typed values out of a decoded object and keeps the first
// error; after an error every read returns a zero value.
type fieldReader struct {
	m   map[string]json.RawMessage
	err error
}

// raw returns the value of key, recording an error when it is missing or its
// first byte is not one of kinds.
func (f *fieldReader) raw(key, kinds, want string) []byte {
	if f.err != nil {
		return nil
	}
	v, ok := f.m[key]
	if !ok {
		f.err = malformed("%s missing", key)
		return nil
	}
	v = bytes.TrimSpace(v)
	if len(v) == 0 || !strings.ContainsRune(kinds, rune(v[0])) {
		f.err = malformed("%s is %.20s, want %s", key, v, want)
		return nil
	}
	return v
}

// str reads a JSON string.
func (f *fieldReader) str(key string) string {
	v := f.raw(key, `"`, "a string")
	if v == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		f.err = malformed("%s: %v", key, err)
	}
	return s
}

const numberStart = "-0123456789"

// uint reads a JSON number written as an integer in the uint64 range.
func (f *fieldReader) uint(key string) uint64 {
	v := f.raw(key, numberStart, "an integer")
	if v == nil {
		return 0
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		f.err = malformed("%s is %.24s, want an integer in 0..2^64-1", key, v)
	}
	return n
}

// int reads a JSON number written as an integer in the int64 range.
func (f *fieldReader) int(key string) int64 {
	v := f.raw(key, numberStart, "an integer")
	if v == nil {
		return 0
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		f.err = malformed("%s is %.24s, want an integer in the int64 range", key, v)
	}
	return n
}
