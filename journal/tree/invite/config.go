package invite

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
)

// Service defaults.
const (
	// DefaultReadTimeout bounds the wait for the one JoinRequest frame.
	DefaultReadTimeout = 10 * time.Second
	// DefaultJoinTimeout bounds OnJoin (the AddLeaf ceremony: DKG and
	// consensus, SPEC §4.1 step 3).
	DefaultJoinTimeout = 3 * time.Minute
	// DefaultMaxInflight bounds concurrently served join streams.
	DefaultMaxInflight = 8
)

// Reporter receives misbehaviour points (p2p.Host implements it, SPEC §6.6).
type Reporter interface {
	ReportMisbehaviour(p peer.ID, protocol, kind string)
}

// JoinFunc runs the AddLeaf ceremony for c, admitted by inv, and returns
// the joiner's SealedSecrets entry Seal(c.DHKey, AuthoritySecret_{k+1})
// and the committed KeyEpoch k+1. It is called at most once per invite,
// after the invite was consumed; ctx ends at JoinTimeout or Close.
type JoinFunc func(ctx context.Context, inv Invite, c Candidate) (sealed []byte, keyEpoch uint64, err error)

// Config configures the inviter Service. Zero values take the documented
// default.
type Config struct {
	// Sender is the guarded sender, the only way out. Required.
	Sender *flow.Sender
	// Registry holds the invites. Required.
	Registry *Registry
	// OnJoin runs the ceremony (node wires it to the tree service's
	// AddLeaf). Required.
	OnJoin JoinFunc
	// Now is the clock for invite expiry; nil ⇒ time.Now.
	Now func() time.Time
	// ReadTimeout bounds the wait for the JoinRequest; zero ⇒
	// DefaultReadTimeout.
	ReadTimeout time.Duration
	// JoinTimeout bounds OnJoin; zero ⇒ DefaultJoinTimeout (3 min).
	JoinTimeout time.Duration
	// MaxInflight bounds concurrently served streams (more are reset);
	// zero ⇒ DefaultMaxInflight.
	MaxInflight int
	// Reporter receives misbehaviour points; nil ⇒ none.
	Reporter Reporter
	// Logger receives logs; nil ⇒ discard.
	Logger *slog.Logger
	// Metrics observes the service; nil ⇒ NopMetrics.
	Metrics Metrics
}

// Validate checks c without mutating it.
func (c *Config) Validate() error {
	if c.Sender == nil || c.Registry == nil || c.OnJoin == nil {
		return fmt.Errorf("%w: Sender, Registry and OnJoin are required", ErrConfig)
	}
	if c.ReadTimeout < 0 || c.JoinTimeout < 0 || c.MaxInflight < 0 {
		return fmt.Errorf("%w: negative timeout or MaxInflight", ErrConfig)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.JoinTimeout == 0 {
		c.JoinTimeout = DefaultJoinTimeout
	}
	if c.MaxInflight == 0 {
		c.MaxInflight = DefaultMaxInflight
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	return c
}
