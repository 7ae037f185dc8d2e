package promx

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/consensus/driver"
)

// Consensus implements driver.Metrics, and so consensus.Metrics
// (aura_consensus_*).
type Consensus struct {
	active        prometheus.Gauge
	oldest        prometheus.Gauge
	commits       *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	fallback      *prometheus.CounterVec
	envelopes     *prometheus.CounterVec
	equivocations prometheus.Counter
	conflicting   prometheus.Counter
	delta         prometheus.Gauge
	misbehaviour  *prometheus.CounterVec
	sendFailed    prometheus.Counter
}

var (
	_ consensus.Metrics = (*Consensus)(nil)
	_ driver.Metrics    = (*Consensus)(nil)
)

// CommitLatencyBuckets are the aura_consensus_commit_latency_seconds
// buckets, 5 ms to ~10 s.
var CommitLatencyBuckets = prometheus.ExponentialBuckets(0.005, 2, 12)

// NewConsensus creates and registers the aura_consensus_* collectors. The
// page-worthy counters (equivocations, conflicting commits) and the
// envelope results exist from the start, so an alert sees 0, not absence.
func NewConsensus(reg prometheus.Registerer) (*Consensus, error) {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Consensus{
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "aura_consensus_instances_active", Help: "Undecided instances held."}),
		oldest: prometheus.NewGauge(prometheus.GaugeOpts{Name: "aura_consensus_oldest_instance_age_seconds",
			Help: "Age of the oldest undecided instance held, 0 if none (alarm > 10·T_fallback)."}),
		commits: vec("aura_consensus_commits_total", "Commits stored by this node, by path.", "path"),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "aura_consensus_commit_latency_seconds", Help: "Propose to stored Commit at the initiator, by path.",
			Buckets: CommitLatencyBuckets,
		}, []string{"path"}),
		fallback:      vec("aura_consensus_fallback_total", "Instances entering fallback, by reason.", "reason"),
		envelopes:     vec("aura_consensus_fallback_envelopes_total", "Fallback topic validator results.", "result"),
		equivocations: c("aura_consensus_equivocations_total", "New equivocation proofs."),
		conflicting:   c("aura_consensus_conflicting_commits_total", "Valid commits with different rids for one (cid, prestateHash)."),
		delta:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "aura_consensus_delta_estimate_seconds", Help: "Current Δ̂ estimate."}),
		misbehaviour:  vec("aura_consensus_misbehaviour_total", "Undecodable consensus frames or envelopes, by kind.", "kind"),
		sendFailed:    c("aura_consensus_send_failures_total", "Direct sends or publishes that did not leave."),
	}
	cs := []prometheus.Collector{m.active, m.oldest, m.commits, m.latency, m.fallback, m.envelopes, m.equivocations,
		m.conflicting, m.delta, m.misbehaviour, m.sendFailed}
	if err := register(reg, cs...); err != nil {
		return nil, err
	}
	for _, r := range []string{driver.EnvelopeAccept, driver.EnvelopeReject, driver.EnvelopeIgnore} {
		m.envelopes.WithLabelValues(r)
	}
	return m, nil
}

// PathLabel is the {path} label of a CommitFact path: fast1, fast2,
// fallback, or "unknown".
func PathLabel(path uint8) string {
	switch path {
	case consensus.PathFast1:
		return "fast1"
	case consensus.PathFast2:
		return "fast2"
	case consensus.PathFallback:
		return "fallback"
	}
	return "unknown"
}

// FallbackLabel is the {reason} label of a fallback reason.
func FallbackLabel(r consensus.FallbackReason) string {
	switch r {
	case consensus.FallbackTimer:
		return "timer"
	case consensus.FallbackMismatch:
		return "mismatch"
	case consensus.FallbackConflict:
		return "conflict"
	case consensus.FallbackGossip:
		return "gossip"
	}
	return "unknown"
}

// InstancesActive implements consensus.Metrics.
func (m *Consensus) InstancesActive(n int) { m.active.Set(float64(n)) }

// CommitStored implements consensus.Metrics.
func (m *Consensus) CommitStored(path uint8) { m.commits.WithLabelValues(PathLabel(path)).Inc() }

// FallbackEntered implements consensus.Metrics.
func (m *Consensus) FallbackEntered(r consensus.FallbackReason) {
	m.fallback.WithLabelValues(FallbackLabel(r)).Inc()
}

// Equivocation implements consensus.Metrics.
func (m *Consensus) Equivocation() { m.equivocations.Inc() }

// ConflictingCommit implements consensus.Metrics.
func (m *Consensus) ConflictingCommit() { m.conflicting.Inc() }

// DeltaEstimate implements consensus.Metrics.
func (m *Consensus) DeltaEstimate(d time.Duration) { m.delta.Set(d.Seconds()) }

// OldestInstanceAge implements driver.Metrics.
func (m *Consensus) OldestInstanceAge(d time.Duration) { m.oldest.Set(d.Seconds()) }

// CommitLatency implements driver.Metrics.
func (m *Consensus) CommitLatency(path uint8, d time.Duration) {
	m.latency.WithLabelValues(PathLabel(path)).Observe(d.Seconds())
}

// FallbackEnvelope implements driver.Metrics.
func (m *Consensus) FallbackEnvelope(result string) { m.envelopes.WithLabelValues(result).Inc() }

// Misbehaviour implements driver.Metrics.
func (m *Consensus) Misbehaviour(kind string) { m.misbehaviour.WithLabelValues(kind).Inc() }

// SendFailed implements driver.Metrics.
func (m *Consensus) SendFailed() { m.sendFailed.Inc() }

// DKG implements dkgsvc.Metrics (aura_dkg_*).
type DKG struct {
	misbehaviour *prometheus.CounterVec
	sendFailed   prometheus.Counter
	starts       *prometheus.CounterVec
	runs         *prometheus.CounterVec
}

var _ dkgsvc.Metrics = (*DKG)(nil)

// NewDKG creates and registers the aura_dkg_* collectors.
func NewDKG(reg prometheus.Registerer) (*DKG, error) {
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &DKG{
		misbehaviour: vec("aura_dkg_misbehaviour_total", "DKG streams reset on bad input, by kind.", "kind"),
		sendFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aura_dkg_send_failures_total", Help: "Guarded DKG sends that did not leave.",
		}),
		starts: vec("aura_dkg_starts_total", "Verified DKGStart messages, by result (accepted, refused).", "result"),
		runs:   vec("aura_dkg_runs_total", "Finished DKG runs, by result.", "result"),
	}
	if err := register(reg, m.misbehaviour, m.sendFailed, m.starts, m.runs); err != nil {
		return nil, err
	}
	return m, nil
}

// Misbehaviour implements dkgsvc.Metrics.
func (m *DKG) Misbehaviour(kind string) { m.misbehaviour.WithLabelValues(kind).Inc() }

// SendFailed implements dkgsvc.Metrics.
func (m *DKG) SendFailed() { m.sendFailed.Inc() }

// StartAccepted implements dkgsvc.Metrics.
func (m *DKG) StartAccepted() { m.starts.WithLabelValues("accepted").Inc() }

// StartRefused implements dkgsvc.Metrics.
func (m *DKG) StartRefused() { m.starts.WithLabelValues("refused").Inc() }

// Outcome implements dkgsvc.Metrics.
func (m *DKG) Outcome(result string) { m.runs.WithLabelValues(result).Inc() }
