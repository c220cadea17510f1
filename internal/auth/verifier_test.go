package auth

import (
	"compress/zlib"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"
)

// cached reports whether v holds sig verified under key.
func (v *Verifier) cached(sig, key string) bool {
	if len(v.shards) == 0 {
		return false
	}
	for i := range v.shards {
		s := &v.shards[i]
		s.mu.Lock()
		_, cur := s.cur[cacheKey{sig, key}]
		_, prev := s.prev[cacheKey{sig, key}]
		s.mu.Unlock()
		if cur || prev {
			return true
		}
	}
	return false
}

// entries returns how many distinct entries v holds.
func (v *Verifier) entries() int {
	n := 0
	for i := range v.shards {
		s := &v.shards[i]
		s.mu.Lock()
		n += len(s.cur)
		for k := range s.prev {
			if _, ok := s.cur[k]; !ok {
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

func TestVerifierMatchesVerify(t *testing.T) {
	for _, tc := range verifyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			wantC, wantErr := Verify(tc.args())
			for _, v := range []*Verifier{NewVerifier(0), NewVerifier(1), {}} {
				// The first call misses; the second hits when the first succeeded.
				for _, call := range []string{"first", "second"} {
					c, err := v.Verify(tc.args())
					checkResult(t, "Verifier.Verify "+call, tc, c, err)
					if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(c, wantC) {
						t.Errorf("Verifier.Verify %s = %+v, %v; Verify gave %+v, %v", call, c, err, wantC, wantErr)
					}
				}
				sig, _, key, _, _ := tc.args()
				if got, want := v.cached(sig, key), tc.want == nil && len(v.shards) > 0; got != want {
					t.Errorf("after Verifier.Verify: cached %v, want %v", got, want)
				}
			}
		})
	}
}

func TestVerifierCacheHitChecks(t *testing.T) {
	v := NewVerifier(0)
	if _, err := v.Verify(exNode, exApp, demoKey, exUser, exNow); err != nil || !v.cached(exNode, demoKey) {
		t.Fatalf("Verifier.Verify: %v, cached %v; want nil, true", err, v.cached(exNode, demoKey))
	}
	tests := []struct {
		name string
		app  uint64
		key  string
		user string
		now  int64
		want error
	}{
		{"same request", exApp, demoKey, exUser, exTime + 10, nil},
		{"another sdkappid", exApp + 1, demoKey, exUser, exTime + 10, ErrAppMismatch},
		{"another identifier", exApp, demoKey, "admin", exTime + 10, ErrUserMismatch},
		{"last valid second", exApp, demoKey, exUser, exTime + exExpire, nil},
		{"expired", exApp, demoKey, exUser, exTime + exExpire + 1, ErrExpired},
		{"another key", exApp, "another app's key", exUser, exTime + 10, ErrBadSignature},
		{"same request again", exApp, demoKey, exUser, exTime + 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(exNode, tt.app, tt.key, tt.user, time.Unix(tt.now, 0))
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Verifier.Verify: err %v, want %v", err, tt.want)
			}
			want := exClaims
			if tt.want != nil {
				want = Claims{}
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("Verifier.Verify: claims %+v, want %+v", c, want)
			}
		})
	}
	if v.cached(exNode, "another app's key") {
		t.Errorf("a refused key was cached")
	}
}

func TestVerifierUserBufIsCopied(t *testing.T) {
	v := NewVerifier(0)
	c := exClaims
	c.UserBuf = []byte("room")
	sig, err := encode(c, demoKey, zlib.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		got, err := v.Verify(sig, exApp, demoKey, exUser, exNow)
		if err != nil || string(got.UserBuf) != "room" {
			t.Fatalf("Verifier.Verify call %d: UserBuf %q, %v; want \"room\"", i, got.UserBuf, err)
		}
		got.UserBuf[0] = 'X' // must not reach the cache
	}
}

func TestVerifierEviction(t *testing.T) {
	for _, size := range []int{1, 2, 7, 64, 300} {
		t.Run("size="+strconv.Itoa(size), func(t *testing.T) {
			v := NewVerifier(size)
			hot := sigFor(t, "hot")
			for i := range 3 * size {
				for _, sig := range []string{hot, sigFor(t, "u"+strconv.Itoa(i))} {
					if _, err := v.Verify(sig, exApp, demoKey, userOf(t, sig), exNow); err != nil {
						t.Fatalf("Verifier.Verify(user %d): %v", i, err)
					}
				}
				if n := v.entries(); n > max(size, 2) {
					t.Fatalf("after %d UserSigs: %d entries, want at most %d", i+1, n, max(size, 2))
				}
			}
			if !v.cached(hot, demoKey) {
				t.Errorf("the UserSig used on every round was evicted")
			}
		})
	}
}

func TestVerifierConcurrent(t *testing.T) {
	v := NewVerifier(64)
	sigs := make([]string, 200) // more than fit: hits, misses and evictions race
	for i := range sigs {
		sigs[i] = sigFor(t, "u"+strconv.Itoa(i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				sig := sigs[(i*7+g)%len(sigs)]
				user := "u" + strconv.Itoa((i*7+g)%len(sigs))
				if _, err := v.Verify(sig, exApp, demoKey, user, exNow); err != nil {
					errs <- fmt.Errorf("Verifier.Verify(%s): %w", user, err)
					return
				}
				if _, err := v.Verify(sig, exApp, demoKey, "intruder", exNow); !errors.Is(err, ErrUserMismatch) {
					errs <- fmt.Errorf("Verifier.Verify(%s as intruder): %v, want ErrUserMismatch", user, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// sigFor returns a UserSig for user in the worked example's app, issued at exTime.
func sigFor(t testing.TB, user string) string {
	t.Helper()
	sig, err := GenUserSig(exApp, demoKey, user, exExpire, time.Unix(exTime, 0))
	if err != nil {
		t.Fatalf("GenUserSig(%q): %v", user, err)
	}
	return sig
}

func userOf(t testing.TB, sig string) string {
	t.Helper()
	c, err := Decode(sig)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return c.Identifier
}

func BenchmarkVerify(b *testing.B) {
	check := func(b *testing.B, c Claims, err error) {
		if err != nil || c.Identifier != exUser {
			b.Fatalf("Verify = %+v, %v", c, err)
		}
	}
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := Verify(exNode, exApp, demoKey, exUser, exNow)
			check(b, c, err)
		}
	})
	b.Run("Verifier/hit", func(b *testing.B) {
		v := NewVerifier(0)
		v.Verify(exNode, exApp, demoKey, exUser, exNow)
		b.ReportAllocs()
		for b.Loop() {
			c, err := v.Verify(exNode, exApp, demoKey, exUser, exNow)
			check(b, c, err)
		}
	})
	b.Run("Verifier/hit-parallel", func(b *testing.B) {
		v := NewVerifier(0)
		users, sigs := make([]string, 64), make([]string, 64) // spread over the shards
		for i := range sigs {
			users[i] = "u" + strconv.Itoa(i)
			sigs[i] = sigFor(b, users[i])
			v.Verify(sigs[i], exApp, demoKey, users[i], exNow)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i = (i + 1) % len(sigs)
				if _, err := v.Verify(sigs[i], exApp, demoKey, users[i], exNow); err != nil {
					b.Errorf("Verifier.Verify: %v", err)
					return
				}
			}
		})
	})
}
