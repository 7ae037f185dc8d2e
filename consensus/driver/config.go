package driver

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Peers maps committee members to libp2p peers (authority scope: the
// DevicePeer facts of SPEC §3). Implementations must be safe for
// concurrent use.
type Peers interface {
	PeerOf(w consensus.WitnessID) (peer.ID, bool)
	WitnessOf(p peer.ID) (consensus.WitnessID, bool)
}

// StaticPeers is a fixed Peers table.
type StaticPeers map[consensus.WitnessID]peer.ID

// PeerOf returns w's peer.
func (s StaticPeers) PeerOf(w consensus.WitnessID) (peer.ID, bool) { p, ok := s[w]; return p, ok }

// WitnessOf returns the member served by p.
func (s StaticPeers) WitnessOf(p peer.ID) (consensus.WitnessID, bool) {
	for w, q := range s {
		if q == p {
			return w, true
		}
	}
	return consensus.WitnessID{}, false
}

// Reporter receives misbehaviour points (p2p.Host implements it, SPEC §6.6).
type Reporter interface {
	ReportMisbehaviour(p peer.ID, protocol, kind string)
}

// Carriage selects how fallback AggregateShares travel (SPEC §5.6).
type Carriage uint8

const (
	// CarryBoth: sealed on the fallback topic and direct to k members.
	CarryBoth Carriage = iota
	// CarryTopicOnly: the topic only (direct AggregateShares are not sent).
	CarryTopicOnly
	// CarryDirectOnly: direct sends only (members without a shared
	// neighbourhood, SPEC §5.6 last sentence).
	CarryDirectOnly
)

// Config configures a Service. Zero values take the documented default.
type Config struct {
	// Core configures the consensus core. Self, VoteKey, Scope and Keys are
	// required; Rand nil ⇒ crypto/rand; Votes and Decided are ignored (the
	// driver loads them from Datastore and Journal); Metrics is replaced by
	// the driver's Metrics; Logger nil ⇒ the driver's Logger.
	Core consensus.Config
	// Authority is the authority whose internal context budgets the sends
	// (SPEC §5.1: Trunc16(H("aura/authority-ctx/v1", AuthorityId))).
	Authority journal.AuthorityID
	// Sender is the guarded sender (the only way out). Required.
	Sender *flow.Sender
	// Journal stores Commit and Equivocation facts; the scope namespace
	// must be joined. Required.
	Journal *journal.Journal
	// Datastore holds the vote log (/aura/c/vote/<cid>/<pre>); it must be
	// the datastore the Sender's executor commits to. Required.
	Datastore ds.Batching
	// Peers maps members to peers. Required.
	Peers Peers
	// FallbackTopic is the neighbourhood fallback topic (p2p.FallbackTopic);
	// empty ⇒ direct carriage only.
	FallbackTopic string
	// FallbackKey is K_fb = HKDF(secret, "aura/fallback/v1") (FallbackKeyOf).
	FallbackKey [32]byte
	// Carriage selects fallback carriage; zero ⇒ both.
	Carriage Carriage
	// TickInterval is the core's Tick period; zero ⇒ 50 ms.
	TickInterval time.Duration
	// RTT returns a smoothed RTT to p (libp2p LatencyEWMA), zero if
	// unknown; nil ⇒ the driver measures Execute → SignShare per witness.
	RTT func(p peer.ID) time.Duration
	// OnOutcome is called once per core outcome after the Ready that
	// produced it is durable. It runs on a driver goroutine and must not
	// block for long.
	OnOutcome func(consensus.Outcome)
	// Reporter receives misbehaviour points; nil ⇒ none.
	Reporter Reporter
	// Logger receives logs; nil ⇒ discard.
	Logger *slog.Logger
	// Metrics observes the driver and core; nil ⇒ NopMetrics.
	Metrics Metrics
}

// Validate checks required fields without mutating c.
func (c *Config) Validate() error {
	if c.Sender == nil || c.Journal == nil || c.Datastore == nil || c.Peers == nil {
		return fmt.Errorf("%w: Sender, Journal, Datastore and Peers are required", ErrConfig)
	}
	if c.Core.Scope == nil {
		return fmt.Errorf("%w: Core.Scope is required", ErrConfig)
	}
	if c.TickInterval < 0 {
		return fmt.Errorf("%w: negative TickInterval", ErrConfig)
	}
	if c.FallbackTopic != "" && c.FallbackKey == ([32]byte{}) {
		return fmt.Errorf("%w: FallbackTopic without FallbackKey", ErrConfig)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.TickInterval == 0 {
		c.TickInterval = 50 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	if c.Core.Rand == nil {
		c.Core.Rand = rand.Reader
	}
	if c.Core.Logger == nil {
		c.Core.Logger = c.Logger
	}
	c.Core.Metrics = c.Metrics
	if c.FallbackTopic == "" {
		c.Carriage = CarryDirectOnly
	}
	return c
}

// AuthorityCtx is the internal budget context of authority-scope
// consensus traffic: Trunc16(H("aura/authority-ctx/v1", AuthorityId)).
func AuthorityCtx(a journal.AuthorityID) journal.ContextID {
	return journal.ContextID(canon.Trunc16(canon.H("aura/authority-ctx/v1", a[:])))
}
