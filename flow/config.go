package flow

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
)

// TopicLimit is a neighbourhood topic's per-device budget per flow epoch
// (SPEC §6.2, §10), in cost units.
type TopicLimit struct {
	Publish uint64 // originating publishes
	Forward uint64 // validator accepts (forwards)
}

// Config configures a Sender and its Receiver.
type Config struct {
	// Logger receives debug records of denials (stage and error class
	// only; never payloads, tokens or context ids). Nil discards.
	Logger *slog.Logger
	// Metrics receives the §14 flow metrics. Nil means NopMetrics.
	Metrics Metrics
	// Policy is the local capability policy (SPEC §6.1); it only narrows.
	// The zero value denies nothing and caps nothing.
	Policy cap.Policy
	// Receipt holds the receive-side epoch tolerances. Zero means
	// receipt.DefaultConfig().
	Receipt receipt.Config
	// AuthorityLocalLimit is the per-device budget of authority-scope
	// sends per flow epoch, in units. Zero means 100 000 (SPEC §10).
	AuthorityLocalLimit uint64
	// Topics maps a topic name to its per-device limits. A topic without
	// an entry cannot be published on or forwarded (missing state
	// denies). DefaultTopicLimits gives the §10 values for given names.
	Topics map[string]TopicLimit
	// Now is the clock of per-device flow epochs and receipt epoch checks.
	// Nil means time.Now. Only the executor (the adapter) reads it.
	Now func() time.Time
	// CapCacheSize bounds the capability cache. Zero means
	// cap.DefaultCacheSize.
	CapCacheSize int
}

// DefaultTopicLimits is the SPEC §10 per-device limits of the two
// neighbourhood topics.
func DefaultTopicLimits(rendezvousTopic, fallbackTopic string) map[string]TopicLimit {
	return map[string]TopicLimit{
		rendezvousTopic: {Publish: budget.RendezvousPublishLimit, Forward: budget.RendezvousForwardLimit},
		fallbackTopic:   {Publish: budget.FallbackPublishLimit, Forward: budget.FallbackForwardLimit},
	}
}

// ErrBadConfig reports an invalid Config.
var ErrBadConfig = errors.New("flow: bad config")

// Validate refuses a policy MaxLimit below MinLimit and negative sizes.
// It never mutates c.
func (c Config) Validate() error {
	if err := c.Policy.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	if c.CapCacheSize < 0 {
		return fmt.Errorf("%w: negative CapCacheSize", ErrBadConfig)
	}
	return nil
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	if c.Receipt == (receipt.Config{}) {
		c.Receipt = receipt.DefaultConfig()
	}
	if c.AuthorityLocalLimit == 0 {
		c.AuthorityLocalLimit = budget.AuthorityLocalLimit
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func nowMs(now func() time.Time) uint64 {
	ms := now().UnixMilli()
	if ms < 0 {
		return 0
	}
	return uint64(ms)
}
