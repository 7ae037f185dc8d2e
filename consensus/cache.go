package consensus

import (
	"sync"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// cacheLimit bounds each map of a VerifyCache; past it the map is cleared.
const cacheLimit = 1 << 16

// VerifyCache memoises pure checks: successful Ed25519 verifications
// (public key, message hash, signature) and accepted commitment
// encodings. Results are identical with or without it; one cache may be
// shared by the Nodes of a process (it is safe for concurrent use).
type VerifyCache struct {
	mu     sync.Mutex
	sigs   map[[32]byte]struct{}
	points map[[frostx.CommitmentSize]byte]frostx.Commitment
}

// NewVerifyCache returns an empty cache.
func NewVerifyCache() *VerifyCache {
	return &VerifyCache{sigs: make(map[[32]byte]struct{}), points: make(map[[frostx.CommitmentSize]byte]frostx.Commitment)}
}

// verify checks sig by pub over h, consulting and filling the cache.
func (c *VerifyCache) verify(pub, h [32]byte, sig [64]byte) bool {
	key := canon.H("aura/h/v1", pub[:], h[:], sig[:])
	c.mu.Lock()
	_, ok := c.sigs[key]
	c.mu.Unlock()
	if ok {
		return true
	}
	if !verifyHash(pub, h, sig) {
		return false
	}
	c.mu.Lock()
	if len(c.sigs) >= cacheLimit {
		clear(c.sigs)
	}
	c.sigs[key] = struct{}{}
	c.mu.Unlock()
	return true
}

// decode is frostx.DecodeCommitment, memoised for accepted encodings.
func (c *VerifyCache) decode(b []byte) (frostx.Commitment, error) {
	if len(b) != frostx.CommitmentSize {
		return frostx.DecodeCommitment(b)
	}
	k := [frostx.CommitmentSize]byte(b)
	c.mu.Lock()
	cm, ok := c.points[k]
	c.mu.Unlock()
	if ok {
		return cm, nil
	}
	cm, err := frostx.DecodeCommitment(b)
	if err != nil {
		return cm, err
	}
	c.mu.Lock()
	if len(c.points) >= cacheLimit {
		clear(c.points)
	}
	c.points[k] = cm
	c.mu.Unlock()
	return cm, nil
}
