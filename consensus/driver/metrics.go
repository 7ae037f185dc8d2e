package driver

import (
	"time"

	"github.com/aura-p2p/aura-p2p/consensus"
)

// Fallback envelope validator results (aura_consensus_fallback_envelopes_total{result}).
const (
	EnvelopeAccept = "accept"
	EnvelopeReject = "reject"
	EnvelopeIgnore = "ignore"
)

// Metrics observes the driver and its core (SPEC §14). cmd/aura-p2p binds
// it to Prometheus as aura_consensus_*; the default is NopMetrics. The
// consensus.Metrics part and OldestInstanceAge are called on the owner
// goroutine, the rest from any goroutine; no method may block.
type Metrics interface {
	consensus.Metrics
	// OldestInstanceAge reports, after every tick, the age of the oldest
	// instance the core holds without a Commit, 0 if none
	// (Node.OldestUndecided; aura_consensus_oldest_instance_age_seconds).
	OldestInstanceAge(d time.Duration)
	// CommitLatency observes Propose → stored Commit at the initiator, by
	// path (aura_consensus_commit_latency_seconds{path}).
	CommitLatency(path uint8, d time.Duration)
	// FallbackEnvelope counts validator results on the fallback topic.
	FallbackEnvelope(result string)
	// Misbehaviour counts an undecodable frame or envelope (kind).
	Misbehaviour(kind string)
	// SendFailed counts a direct send or publish that did not leave.
	SendFailed()
}

// NopMetrics discards everything.
type NopMetrics struct{ consensus.NopMetrics }

func (NopMetrics) OldestInstanceAge(time.Duration)    {}
func (NopMetrics) CommitLatency(uint8, time.Duration) {}
func (NopMetrics) FallbackEnvelope(string)            {}
func (NopMetrics) Misbehaviour(string)                {}
func (NopMetrics) SendFailed()                        {}
