package dkgsvc

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/journal"
)

// DefaultTimeout is DKGTimeout (SPEC §10): 60 s per DKG.
const DefaultTimeout = 60 * time.Second

// Reporter receives misbehaviour points (p2p.Host implements it, SPEC §6.6).
type Reporter interface {
	ReportMisbehaviour(p peer.ID, protocol, kind string)
}

// Config configures a Service. Zero values take the documented default.
type Config struct {
	// Sender is the guarded sender, the only way out. Required.
	Sender *flow.Sender
	// Datastore receives the sealed share at /aura/k/<kind>/<ns>/<keyEpoch>
	// in one synced batch (journal.OpenPebble). Required.
	Datastore ds.Batching
	// BudgetCtx is the authority's internal budget context the DKG frames
	// charge (authority scope, SPEC §6.2; consensus/driver.AuthorityCtx).
	BudgetCtx journal.ContextID
	// Authorise decides whether a verified DKGStart may be followed: it
	// must check that the proposer's key is a current member key and that
	// (ParentEpoch, ParentRoot, KeyEpoch) fit the local state (SPEC §4.1
	// step 3a). Nil refuses every DKGStart (fail closed).
	Authorise func(Start) error
	// Rand draws each Run's polynomial and proof; nil ⇒ crypto/rand.
	Rand io.Reader
	// Timeout is DKGTimeout; zero ⇒ DefaultTimeout (60 s).
	Timeout time.Duration
	// Reporter receives misbehaviour points; nil ⇒ none.
	Reporter Reporter
	// Logger receives logs; nil ⇒ discard.
	Logger *slog.Logger
	// Metrics observes the service; nil ⇒ NopMetrics.
	Metrics Metrics
}

// Validate checks the required fields without mutating c.
func (c *Config) Validate() error {
	if c.Sender == nil || c.Datastore == nil {
		return fmt.Errorf("%w: Sender and Datastore are required", ErrConfig)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("%w: negative Timeout", ErrConfig)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	return c
}
