package promx

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/jstate"
)

// Flow implements flow.Metrics (SPEC §14 aura_flow_*).
type Flow struct {
	receipts    *prometheus.CounterVec
	decisions   *prometheus.CounterVec
	utilization prometheus.Histogram
	charge      prometheus.Histogram
	capHits     prometheus.Counter
}

var _ flow.Metrics = (*Flow)(nil)

// UtilizationBuckets are the aura_flow_budget_utilization_ratio buckets
// (alarm: p95 > 0.9).
var UtilizationBuckets = []float64{0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1}

// ChargeBuckets are the aura_flow_charge_duration_seconds buckets, 100 µs
// to ~0.8 s (alarm: p99 > 10 ms).
var ChargeBuckets = prometheus.ExponentialBuckets(0.0001, 2, 14)

// NewFlow creates and registers the aura_flow_* guard-chain collectors.
func NewFlow(reg prometheus.Registerer) (*Flow, error) {
	m := &Flow{
		receipts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_flow_receipts_verified_total", Help: "Inbound receipts verified, by outcome.",
		}, []string{"outcome"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_flow_guard_decisions_total", Help: "Guard-chain decisions, by stage and outcome.",
		}, []string{"stage", "outcome"}),
		utilization: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aura_flow_budget_utilization_ratio", Help: "Spent/Share of a budget key after a committed charge.",
			Buckets: UtilizationBuckets,
		}),
		charge: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aura_flow_charge_duration_seconds", Help: "Duration of one charge (lock, read, sign, synced commit).",
			Buckets: ChargeBuckets,
		}),
		capHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aura_flow_cap_cache_hits_total", Help: "Capability verifications served from cache.",
		}),
	}
	if err := register(reg, m.receipts, m.decisions, m.utilization, m.charge, m.capHits); err != nil {
		return nil, err
	}
	return m, nil
}

// ReceiptVerified implements flow.Metrics.
func (m *Flow) ReceiptVerified(outcome string) { m.receipts.WithLabelValues(outcome).Inc() }

// GuardDecision implements flow.Metrics.
func (m *Flow) GuardDecision(stage, outcome string) {
	m.decisions.WithLabelValues(stage, outcome).Inc()
}

// BudgetUtilization implements flow.Metrics.
func (m *Flow) BudgetUtilization(ratio float64) { m.utilization.Observe(ratio) }

// ChargeDuration implements flow.Metrics.
func (m *Flow) ChargeDuration(d time.Duration) { m.charge.Observe(d.Seconds()) }

// CapCacheHit implements flow.Metrics.
func (m *Flow) CapCacheHit() { m.capHits.Inc() }

// FlowState implements jstate.Metrics (journal-backed guard state).
type FlowState struct {
	signed     prometheus.Counter
	reductions prometheus.Counter
}

var _ jstate.Metrics = (*FlowState)(nil)

// NewFlowState creates and registers aura_flow_charge_registers_signed_total
// and aura_flow_state_reductions_total.
func NewFlowState(reg prometheus.Registerer) (*FlowState, error) {
	m := &FlowState{
		signed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aura_flow_charge_registers_signed_total", Help: "FlowCharge register facts signed at sync snapshots.",
		}),
		reductions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aura_flow_state_reductions_total", Help: "Context re-reductions of the guard state.",
		}),
	}
	if err := register(reg, m.signed, m.reductions); err != nil {
		return nil, err
	}
	return m, nil
}

// ChargeRegistersSigned implements jstate.Metrics.
func (m *FlowState) ChargeRegistersSigned(n int) { m.signed.Add(float64(n)) }

// ContextReduced implements jstate.Metrics.
func (m *FlowState) ContextReduced() { m.reductions.Inc() }
