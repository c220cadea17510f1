package auth

import (
	"bytes"
	"hash/maphash"
	"strings"
	"sync"
	"time"
)

const (
	defaultCacheSize = 65536
	cacheShards      = 32   // used when the cache holds at least 2*cacheShards entries
	maxCachedSigLen  = 1024 // longer UserSigs (big TRTC userbufs) are verified every time
)

// Verifier is Verify with a bounded cache of UserSigs whose HMAC already
// checked out, so that zlib, JSON and HMAC work is off the hot path: a cache
// hit only compares sdkappid, identifier and expiry, and allocates nothing.
// It returns exactly what Verify returns for the same arguments, errors
// included. Safe for concurrent use.
//
// An entry is keyed by the UserSig text and the app key together, so a
// UserSig verified under one key is checked afresh (and refused) under
// another. Only UserSigs that passed every check are cached: a flood of
// forged, expired or mismatched UserSigs costs full verifications but never
// evicts a good entry. An expired entry stays until evicted and keeps being
// refused with ErrExpired. UserSigs longer than 1 KiB (only TRTC ones with a
// large userbuf) are verified in full every time and never cached. An entry
// holds a copy of the UserSig and its claims: the default 65536 entries of
// ~200-character UserSigs take roughly 25 MB.
//
// Eviction: the cache is split into shards by a seeded hash of the UserSig,
// each with its own mutex and two generations of maps. New entries go into
// the current generation; a hit in the previous one is copied forward. When
// the current generation is full it becomes the previous one and the old
// previous one is dropped whole, so eviction is O(1), needs no per-entry
// bookkeeping, and keeps every entry used within the last generation.
//
// The zero Verifier caches nothing and behaves exactly as Verify.
type Verifier struct {
	seed   maphash.Seed
	shards []shard
}

type cacheKey struct{ sig, key string }

type shard struct {
	mu        sync.Mutex
	cur, prev map[cacheKey]Claims // guarded by mu
	limit     int                 // entries per generation
}

// NewVerifier returns a Verifier caching at most size UserSigs (at most two
// when size is 1). Size <= 0 means 65536 entries.
func NewVerifier(size int) *Verifier {
	if size <= 0 {
		size = defaultCacheSize
	}
	n := 1
	if size >= 2*cacheShards {
		n = cacheShards
	}
	limit := max(1, size/(2*n)) // two generations per shard: 2*n*limit <= size
	v := &Verifier{seed: maphash.MakeSeed(), shards: make([]shard, n)}
	for i := range v.shards {
		v.shards[i].limit = limit
	}
	return v
}

// Verify checks sig as the package-level Verify does and returns the same
// claims or error. A UserSig it has already verified under key, and still
// holds, is not decoded or HMACed again: only its sdkappid, identifier and
// expiry are checked against the arguments.
func (v *Verifier) Verify(sig string, sdkappid uint64, key, identifier string, now time.Time) (Claims, error) {
	if len(v.shards) == 0 {
		return Verify(sig, sdkappid, key, identifier, now)
	}
	s := &v.shards[maphash.String(v.seed, sig)%uint64(len(v.shards))]
	if c, ok := s.get(cacheKey{sig, key}); ok {
		if err := c.check(sdkappid, identifier, now); err != nil {
			return Claims{}, err
		}
		c.UserBuf = bytes.Clone(c.UserBuf) // the cache keeps its own copy
		return c, nil
	}
	c, err := Verify(sig, sdkappid, key, identifier, now)
	if err == nil && len(sig) <= maxCachedSigLen {
		kept := c
		kept.UserBuf = bytes.Clone(c.UserBuf)
		// Clone sig: it may point into a much larger request buffer.
		s.put(cacheKey{strings.Clone(sig), key}, kept)
	}
	return c, err
}

// get returns the cached claims for k, copying a hit in the previous
// generation into the current one.
func (s *shard) get(k cacheKey) (Claims, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cur[k]; ok {
		return c, true
	}
	c, ok := s.prev[k]
	if ok {
		s.putLocked(k, c)
	}
	return c, ok
}

func (s *shard) put(k cacheKey, c Claims) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putLocked(k, c)
}

// putLocked stores k in the current generation, first retiring it if full.
func (s *shard) putLocked(k cacheKey, c Claims) {
	if _, ok := s.cur[k]; !ok && len(s.cur) >= s.limit {
		s.prev, s.cur = s.cur, nil
	}
	if s.cur == nil {
		s.cur = make(map[cacheKey]Claims)
	}
	s.cur[k] = c
}
