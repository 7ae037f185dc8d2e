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
// consensus.Metrics part is called on the owner goroutine, the rest from
// any goroutine; no method may block.
type Metrics interface {
	consensus.Metrics
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

func (NopMetrics) CommitLatency(uint8, time.Duration) {}
func (NopMetrics) FallbackEnvelope(string)            {}
func (NopMetrics) Misbehaviour(string)                {}
func (NopMetrics) SendFailed()                        {}
