package consensus

import "time"

// FallbackReason says why an instance entered fallback (SPEC §5.6).
type FallbackReason uint8

const (
	// FallbackTimer: T_fallback expired.
	FallbackTimer FallbackReason = iota + 1
	// FallbackMismatch: a StateMismatch was seen.
	FallbackMismatch
	// FallbackConflict: a Conflict (≥ 2 rids) was seen.
	FallbackConflict
	// FallbackGossip: a peer's AggregateShare or a fetched Execute.
	FallbackGossip
)

// Metrics observes the core. cmd/aura-p2p binds it to Prometheus as
// aura_consensus_*; the default is NopMetrics. Calls happen on the core's
// goroutine and must not block.
type Metrics interface {
	// InstancesActive reports the number of undecided instances held.
	InstancesActive(n int)
	// CommitStored counts a Commit stored by this node, by path (1, 2, 3).
	CommitStored(path uint8)
	// FallbackEntered counts instances entering fallback, by reason.
	FallbackEntered(r FallbackReason)
	// Equivocation counts a new equivocation proof.
	Equivocation()
	// ConflictingCommit counts two valid commits with different rids for one
	// (cid, prestateHash): aura_consensus_conflicting_commits_total.
	ConflictingCommit()
	// DeltaEstimate reports Δ̂ (SPEC §10).
	DeltaEstimate(d time.Duration)
}

// NopMetrics discards everything.
type NopMetrics struct{}

func (NopMetrics) InstancesActive(int)            {}
func (NopMetrics) CommitStored(uint8)             {}
func (NopMetrics) FallbackEntered(FallbackReason) {}
func (NopMetrics) Equivocation()                  {}
func (NopMetrics) ConflictingCommit()             {}
func (NopMetrics) DeltaEstimate(time.Duration)    {}
