package sync

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/journal"
)

// ServiceConfig configures the anti-entropy Service (SPEC §9 "Schedule
// and bounds", §10). Start from DefaultServiceConfig; Validate never
// mutates.
type ServiceConfig struct {
	// Session holds the §10 per-session caps (DefaultConfig).
	Session Config
	// SyncInterval is the reconciliation period per namespace (500 ms).
	SyncInterval time.Duration
	// SyncPeerGap skips peers synced less than this ago (2 s).
	SyncPeerGap time.Duration
	// SyncMaxInbound caps concurrent inbound sessions (8).
	SyncMaxInbound int
	// SyncRoundTimeout bounds one session, Open included (10 s).
	SyncRoundTimeout time.Duration
	// BackoffBase and BackoffMax: after the n-th failure in a row with a
	// peer, skip it for BackoffBase·2ⁿ⁻¹ ≤ BackoffMax (500 ms, 30 s).
	BackoffBase, BackoffMax time.Duration
	// Seed seeds the peer shuffle (deterministic under simnet).
	Seed uint64
	// Logger receives debug logs (nil: discard).
	Logger *slog.Logger
	// Metrics receives counters (nil: NopMetrics).
	Metrics Metrics
	// Charges, if set, signs due FlowCharge registers each time a
	// session snapshots E of a namespace (SPEC §6.4 lazy signature);
	// *jstate.ChargeSigner implements it. Nil: none.
	Charges ChargeHook
	// Liveness lists peers with a live connection (nil: every member peer
	// is a candidate and an Open that fails with p2p.ErrUnreachable
	// skips to the next one, as on simnet).
	Liveness Liveness
	// Reporter receives misbehaviour points (nil: none).
	Reporter Reporter
	// Registry reduces served namespaces (nil: journal.DefaultRegistry(),
	// whose authority reducer is the single-device stand-in). A node with
	// multi-device authorities passes journal.NewRegistry(
	// tree.JournalReducer{R: r}, journal.ContextReducer{}): authority
	// members are then the tree's current leaves and peers their
	// DevicePeer registers (any journal.AuthorityView works).
	Registry *journal.Registry
	// OnStored, if set, is called after a session (either side) stored
	// n > 0 new entries of ns, once the service has re-reduced ns (e.g.
	// so the tree service re-reduces). It runs on the service's owner
	// goroutine: it must return quickly and must not call the Service's
	// methods (hand off to another goroutine instead).
	OnStored func(ns journal.Namespace, n int)
}

// ChargeHook is called with the namespace a session is about to
// snapshot (SPEC §6.4 "Lazy register signature").
type ChargeHook interface {
	AtSnapshot(ctx context.Context, ns journal.Namespace, now time.Time) (int, error)
}

// Liveness is the connection view of SPEC §9 peer choice; *p2p.Host
// implements it.
type Liveness interface {
	ConnectedPeers() []peer.ID
}

// Reporter counts misbehaviour against a peer (SPEC §6.6); *p2p.Host
// implements it.
type Reporter interface {
	ReportMisbehaviour(p peer.ID, protocol, kind string)
}

// DefaultServiceConfig returns the §10 defaults.
func DefaultServiceConfig() ServiceConfig {
	return ServiceConfig{
		Session:      DefaultConfig(),
		SyncInterval: 500 * time.Millisecond, SyncPeerGap: 2 * time.Second,
		SyncMaxInbound: 8, SyncRoundTimeout: 10 * time.Second,
		BackoffBase: 500 * time.Millisecond, BackoffMax: 30 * time.Second,
	}
}

// Validate reports whether c is usable. It never mutates c.
func (c ServiceConfig) Validate() error {
	if err := c.Session.Validate(); err != nil {
		return err
	}
	switch {
	case c.SyncInterval <= 0 || c.SyncRoundTimeout <= 0:
		return fmt.Errorf("%w: SyncInterval and SyncRoundTimeout must be positive", ErrConfig)
	case c.SyncPeerGap < 0:
		return fmt.Errorf("%w: SyncPeerGap %v", ErrConfig, c.SyncPeerGap)
	case c.SyncMaxInbound < 1:
		return fmt.Errorf("%w: SyncMaxInbound %d", ErrConfig, c.SyncMaxInbound)
	case c.BackoffBase <= 0 || c.BackoffMax < c.BackoffBase:
		return fmt.Errorf("%w: backoff %v..%v", ErrConfig, c.BackoffBase, c.BackoffMax)
	}
	return nil
}

// withDefaults fills the optional interfaces.
func (c ServiceConfig) withDefaults() ServiceConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	if c.Registry == nil {
		c.Registry = journal.DefaultRegistry()
	}
	return c
}
