package journal

import (
	"errors"
	"io"
	"log/slog"
	"time"
)

// Config configures a Journal and its Checker. Zero fields take the
// DefaultConfig value (see withDefaults); Validate never mutates.
type Config struct {
	// MaxClockSkew: a time-gated fact is due once now ≥ due − MaxClockSkew
	// (SPEC §10: 30 s). Zero means 30 s.
	MaxClockSkew time.Duration
	// MaxDefer: a fact due more than this far ahead is dropped (1 h).
	MaxDefer time.Duration
	// MaxDeferred: deferred facts per namespace (1024).
	MaxDeferred int
	// MaxDeferredBytes: deferred canonical bytes per namespace (1 MiB).
	MaxDeferredBytes int
	// Group verifies group-key signatures; nil means Ed25519Verifier.
	Group GroupVerifier
	// Logger receives reports (quarantine, drops); nil discards.
	Logger *slog.Logger
	// Metrics receives counters; nil means NopMetrics.
	Metrics Metrics
}

// DefaultConfig is the SPEC §10 parameter set.
func DefaultConfig() Config {
	return Config{
		MaxClockSkew:     30 * time.Second,
		MaxDefer:         time.Hour,
		MaxDeferred:      1024,
		MaxDeferredBytes: 1 << 20,
		Group:            Ed25519Verifier{},
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics:          NopMetrics{},
	}
}

// Validate reports a negative duration or limit.
func (c Config) Validate() error {
	if c.MaxClockSkew < 0 || c.MaxDefer < 0 || c.MaxDeferred < 0 || c.MaxDeferredBytes < 0 {
		return errors.New("journal: negative config value")
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxClockSkew == 0 {
		c.MaxClockSkew = d.MaxClockSkew
	}
	if c.MaxDefer == 0 {
		c.MaxDefer = d.MaxDefer
	}
	if c.MaxDeferred == 0 {
		c.MaxDeferred = d.MaxDeferred
	}
	if c.MaxDeferredBytes == 0 {
		c.MaxDeferredBytes = d.MaxDeferredBytes
	}
	if c.Group == nil {
		c.Group = d.Group
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Metrics == nil {
		c.Metrics = d.Metrics
	}
	return c
}
