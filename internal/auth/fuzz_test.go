package auth

import (
	"compress/zlib"
	"errors"
	"reflect"
	"testing"
	"time"
)

// FuzzDecode feeds Decode and Verify arbitrary UserSigs; the seeds in
// testdata/fuzz/FuzzDecode are the worked example, SDK captures, a userbuf
// UserSig and broken ones. It checks that nothing panics, that every error
// wraps one of the sentinels, and that decoded claims re-encode to a UserSig
// that decodes and verifies to equal claims.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, sig string) {
		c, err := Decode(sig)
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode(%q): err %v, want ErrEmpty or ErrMalformed", sig, err)
			}
			if !reflect.DeepEqual(c, Claims{}) {
				t.Fatalf("Decode(%q) = %+v with err %v, want zero Claims", sig, c, err)
			}
		}
		if _, verr := Verify(sig, exApp, demoKey, exUser, exNow); verr != nil && sentinelOf(verr) == nil {
			t.Fatalf("Verify(%q): err %v wraps no sentinel", sig, verr)
		} else if err != nil && !errors.Is(verr, sentinelOf(err)) {
			t.Fatalf("Verify(%q): err %v, Decode gave %v", sig, verr, err)
		}
		if err != nil {
			return
		}

		re, err := encode(c, demoKey, zlib.DefaultCompression)
		if err != nil {
			t.Fatalf("encode(%+v): %v", c, err)
		}
		if got, err := Decode(re); err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("Decode(encode(%+v)) = %+v, %v", c, got, err)
		}
		if got, err := Verify(re, c.SDKAppID, demoKey, c.Identifier, time.Unix(c.Time, 0)); err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("Verify(encode(%+v)) = %+v, %v", c, got, err)
		}
	})
}

// sentinelOf returns the first of the package's errors that err wraps, or nil.
func sentinelOf(err error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	return nil
}
