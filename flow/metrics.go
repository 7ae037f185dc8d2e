package flow

import "time"

// Metrics receives the guard chain's measurements (SPEC §14). Labels are
// fixed strings, never context, authority or peer ids. cmd/aura-p2p binds
// it to Prometheus:
//
//	aura_flow_receipts_verified_total{outcome}     ReceiptVerified
//	aura_flow_guard_decisions_total{stage,outcome} GuardDecision
//	aura_flow_budget_utilization_ratio (histogram) BudgetUtilization
//	aura_flow_charge_duration_seconds (histogram)  ChargeDuration
//	aura_flow_cap_cache_hits_total                 CapCacheHit
//
// Implementations must be safe for concurrent use.
type Metrics interface {
	// ReceiptVerified counts one inbound receipt by outcome label
	// (receipt.Outcome.String(): accepted, bad_sig, bad_chain, ...).
	ReceiptVerified(outcome string)
	// GuardDecision counts one guard-chain decision. stage is one of
	// snapshot, cap, flow, journal (send) or recv_cap (receive); outcome
	// is allowed or denied.
	GuardDecision(stage, outcome string)
	// BudgetUtilization observes Spent'/Share of a budget key after a
	// charge committed, in [0, 1].
	BudgetUtilization(ratio float64)
	// ChargeDuration observes steps 2–5 of one charge (lock wait, budget
	// read, receipt signature and the synced commit).
	ChargeDuration(d time.Duration)
	// CapCacheHit counts one capability verification served from cache.
	CapCacheHit()
}

// Stage and outcome labels of aura_flow_guard_decisions_total.
const (
	StageJournal = "journal"
	StageRecvCap = "recv_cap"
	Allowed      = "allowed"
	Denied       = "denied"
)

// NopMetrics discards everything. It is the default.
type NopMetrics struct{}

func (NopMetrics) ReceiptVerified(string)       {}
func (NopMetrics) GuardDecision(string, string) {}
func (NopMetrics) BudgetUtilization(float64)    {}
func (NopMetrics) ChargeDuration(time.Duration) {}
func (NopMetrics) CapCacheHit()                 {}
