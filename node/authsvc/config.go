package authsvc

import (
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/consensus/driver"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
)

// Defaults of Config.
const (
	// DefaultInviteExpiry is an invitation's lifetime when the caller
	// gives none.
	DefaultInviteExpiry = 24 * time.Hour
	// MaxInviteExpiry bounds a requested lifetime.
	MaxInviteExpiry = 30 * 24 * time.Hour
	// DefaultPeerRefresh is how often the service re-checks its listen
	// addresses and rewrites its DevicePeer facts when they changed.
	DefaultPeerRefresh = 30 * time.Second
)

// Config configures the authority service. The zero value is usable.
type Config struct {
	// DKGTimeout is SPEC §10 DKGTimeout; zero ⇒ treesvc's default (60 s).
	DKGTimeout time.Duration
	// InviteExpiry is the default lifetime of a minted invitation; zero ⇒
	// DefaultInviteExpiry.
	InviteExpiry time.Duration
	// JoinTimeout bounds the inviter's wait for the AddLeaf ceremony of
	// one join; zero ⇒ the invite package's default.
	JoinTimeout time.Duration
	// FallbackTopic is the neighbourhood fallback topic for the consensus
	// drivers; empty ⇒ direct fallback carriage only.
	FallbackTopic string
	// PeerRefresh spaces the checks of this device's addresses; zero ⇒
	// DefaultPeerRefresh.
	PeerRefresh time.Duration
	// Syncer overrides the anti-entropy the ceremonies use (tests); nil ⇒
	// the node's (see doc.go "Sync").
	Syncer treesvc.Syncer
	// Rand draws invitation secrets; nil ⇒ crypto/rand.
	Rand io.Reader
	// Now reads the clock; nil ⇒ time.Now.
	Now func() time.Time
	// Logger receives logs; nil ⇒ the node's logger with
	// component=authority.
	Logger *slog.Logger
	// Settle is treesvc's wait after a local commit before Propose pulls
	// from the other devices and reports (zero ⇒ its default, 300 ms).
	Settle time.Duration
	// TreeMetrics observes the tree service; nil ⇒ none.
	TreeMetrics treesvc.Metrics
	// DKGMetrics observes the tree service's DKG service; nil ⇒ none.
	DKGMetrics dkgsvc.Metrics
	// ConsensusMetrics observes the authorities' consensus drivers; nil ⇒
	// none.
	ConsensusMetrics driver.Metrics
	// SyncMetrics observes the authority anti-entropy service when this
	// package starts its own (see doc.go "Sync"); nil ⇒ none.
	SyncMetrics jsync.Metrics
	// Metrics observes this package; nil ⇒ NopMetrics.
	Metrics Metrics
}

func (c Config) withDefaults() Config {
	if c.InviteExpiry <= 0 {
		c.InviteExpiry = DefaultInviteExpiry
	}
	if c.PeerRefresh <= 0 {
		c.PeerRefresh = DefaultPeerRefresh
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	return c
}
