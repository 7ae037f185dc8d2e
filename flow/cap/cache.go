package cap

import (
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// CacheKey identifies one verification: (ctx, peer, tokenHash), the peer
// being the channel-authenticated presenter's AuthorityID (SPEC §6.1).
type CacheKey struct {
	Ctx       journal.ContextID
	Peer      journal.AuthorityID
	TokenHash [32]byte
}

type cacheEntry struct {
	issuer [32]byte
	f      Frontier
}

// DefaultCacheSize bounds a Cache built with size ≤ 0.
const DefaultCacheSize = 4096

// Cache holds successful verifications for one flow epoch and policy
// generation. A call naming a newer epoch or another generation drops
// every entry first (SPEC §6.1: drop on epoch or policy change); one
// naming an older epoch bypasses the cache (never served, never stored);
// an entry also
// misses if the expected issuer key changed (key rotation revokes). Only
// successes are cached. It is a plain struct: its owner serialises
// access. When full it is cleared (bounded memory, no eviction order).
type Cache struct {
	epoch, gen uint64
	max        int
	m          map[CacheKey]cacheEntry
	// Hits and Misses count lookups since creation (for
	// aura_flow_cap_cache_hits_total, recorded by the owner).
	Hits, Misses uint64
}

// NewCache returns an empty cache holding at most size entries.
func NewCache(size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache{max: size, m: make(map[CacheKey]cacheEntry)}
}

// Len is the number of cached verifications.
func (c *Cache) Len() int { return len(c.m) }

// tag moves the cache to (epoch, gen), dropping everything, when epoch
// is newer or gen differs. It reports false for an epoch older than the
// tag: such lookups (a receipt of the previous epoch inside EpochGrace)
// bypass the cache instead of flushing the current epoch's entries.
func (c *Cache) tag(epoch, gen uint64) bool {
	if epoch < c.epoch && gen == c.gen {
		return false
	}
	if epoch != c.epoch || gen != c.gen {
		clear(c.m)
		c.epoch, c.gen = epoch, gen
	}
	return true
}

// Get returns the cached frontier for k verified under issuerKey in
// (epoch, gen).
func (c *Cache) Get(k CacheKey, issuerKey [32]byte, epoch, gen uint64) (Frontier, bool) {
	if !c.tag(epoch, gen) {
		c.Misses++
		return Frontier{}, false
	}
	e, ok := c.m[k]
	if !ok || e.issuer != issuerKey {
		c.Misses++
		return Frontier{}, false
	}
	c.Hits++
	return e.f, true
}

// Put stores a successful verification.
func (c *Cache) Put(k CacheKey, issuerKey [32]byte, epoch, gen uint64, f Frontier) {
	if !c.tag(epoch, gen) {
		return
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = cacheEntry{issuer: issuerKey, f: f}
}

// Authorize runs a through the cache: a hit skips verification; a
// success is stored. gen is the caller's policy generation (bump it when
// the Policy inside a changes). hit reports a cache hit.
func (c *Cache) Authorize(a Authorizer, token []byte, presenter journal.AuthorityID,
	ctx journal.ContextID, flowEpoch uint64, issuerKey [32]byte, gen uint64) (f Frontier, hit bool, err error) {
	k := CacheKey{Ctx: ctx, Peer: presenter, TokenHash: canon.HPlain(token)}
	if f, ok := c.Get(k, issuerKey, flowEpoch, gen); ok {
		return f, true, nil
	}
	f, err = a.Authorize(token, presenter, ctx, flowEpoch, issuerKey)
	if err != nil {
		return Frontier{}, false, err
	}
	c.Put(k, issuerKey, flowEpoch, gen, f)
	return f, false, nil
}
