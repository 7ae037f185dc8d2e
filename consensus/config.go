package consensus

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
)

// Keys are this node's FROST material for the Scope's key epoch: the
// committee (VerShares) and this member's Signer. Signer nonces live only
// in memory (SPEC §5.4).
type Keys struct {
	Frost  *frostx.Committee
	Signer *frostx.Signer
}

// Config configures a Node. Durations are wall-clock durations compared
// against the `now` of each input; zero values take the SPEC §10 default
// (see WithDefaults).
type Config struct {
	// Self is this member's Witness id. Required.
	Self WitnessID
	// VoteKey signs votes, commitments and AggregateShares; its public key
	// must be Self's VoteKey in the committee. Required.
	VoteKey ed25519.PrivateKey
	// Rand supplies cid nonces, Gen and fanout choices. Required (the
	// driver passes crypto/rand.Reader; tests a seeded source).
	Rand io.Reader
	// Scope is the namespace's current reduced state. Required.
	Scope Scope
	// Keys match Scope.Committee(). Required.
	Keys Keys

	// InitialDelta is Δ̂ before RTT measurements; zero ⇒ 1 s.
	InitialDelta time.Duration
	// GossipInterval is the fallback emission period; zero ⇒ 300 ms.
	GossipInterval time.Duration
	// InstanceRetention frees instance memory this long after decision or
	// fallback entry; zero ⇒ 10 min.
	InstanceRetention time.Duration
	// MinInstanceTimeout is the floor of InstanceTimeout; zero ⇒ 30 s.
	MinInstanceTimeout time.Duration
	// FastPathSpareSets is the number of spare packages per Execute;
	// negative ⇒ 0, zero ⇒ 2.
	FastPathSpareSets int
	// PoolSize is the commitments per (witness, initiator); zero ⇒
	// min(4, ⌊64/(n−1)⌋).
	PoolSize int
	// MaxOutstanding bounds this witness's unused commitments; zero ⇒ 64.
	MaxOutstanding int
	// Fanout is k for direct fallback sends; zero ⇒ min(n−1, ⌈1.2·ln n⌉+1).
	Fanout int

	// Votes is the durable vote log, loaded at start (SPEC §5.10).
	Votes []VoteRecord
	// Decided are the Commit facts already stored for this scope.
	Decided []CommitFact

	// Cache memoises signature and commitment checks; nil ⇒ a private one.
	// Nodes of one process may share one.
	Cache *VerifyCache

	// Logger receives debug logs; nil ⇒ discard.
	Logger *slog.Logger
	// Metrics observes the core; nil ⇒ NopMetrics.
	Metrics Metrics
}

// Validate checks required fields without mutating cfg.
func (c *Config) Validate() error {
	if len(c.VoteKey) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: VoteKey", ErrConfig)
	}
	if c.Rand == nil || c.Scope == nil || c.Keys.Frost == nil || c.Keys.Signer == nil {
		return fmt.Errorf("%w: Rand, Scope and Keys are required", ErrConfig)
	}
	if c.GossipInterval < 0 || c.InitialDelta < 0 || c.InstanceRetention < 0 || c.PoolSize < 0 || c.MaxOutstanding < 0 || c.Fanout < 0 {
		return fmt.Errorf("%w: negative duration or size", ErrConfig)
	}
	return nil
}

// WithDefaults returns a copy with zero fields set to SPEC §10 defaults.
func (c Config) WithDefaults() Config {
	if c.InitialDelta == 0 {
		c.InitialDelta = time.Second
	}
	if c.GossipInterval == 0 {
		c.GossipInterval = 300 * time.Millisecond
	}
	if c.InstanceRetention == 0 {
		c.InstanceRetention = 10 * time.Minute
	}
	if c.MinInstanceTimeout == 0 {
		c.MinInstanceTimeout = 30 * time.Second
	}
	if c.FastPathSpareSets == 0 {
		c.FastPathSpareSets = 2
	} else if c.FastPathSpareSets < 0 {
		c.FastPathSpareSets = 0
	}
	if c.MaxOutstanding == 0 {
		c.MaxOutstanding = 64
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	return c
}

// poolSize is min(4, ⌊64/(n−1)⌋) unless configured.
func (c *Config) poolSize(n int) int {
	if c.PoolSize > 0 {
		return c.PoolSize
	}
	if n <= 1 {
		return 4
	}
	return max(1, min(4, 64/(n-1)))
}

// fanout is min(n−1, ⌈1.2·ln n⌉+1) unless configured.
func (c *Config) fanout(n int) int {
	if c.Fanout > 0 {
		return min(c.Fanout, n-1)
	}
	return min(n-1, int(math.Ceil(1.2*math.Log(float64(n))))+1)
}

// timing holds the §10 durations derived from Δ̂.
type timing struct {
	fallback, round, timeout time.Duration
}

func deriveTiming(delta, gossip, minTimeout time.Duration) timing {
	fb := min(max(delta*5/2, 600*time.Millisecond), 10*time.Second)
	fb = max(fb, 2*gossip)
	r := max(fb, 3*gossip)
	return timing{fallback: fb, round: r, timeout: max(minTimeout, fb+4*r)}
}
