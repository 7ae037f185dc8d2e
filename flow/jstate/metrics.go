package jstate

// Metrics observes the journal-backed state. Implementations must be
// safe for concurrent use; cmd/aura-p2p binds Prometheus
// (aura_flow_charge_registers_signed_total, aura_flow_state_reductions_total).
type Metrics interface {
	// ChargeRegistersSigned counts FlowCharge register facts signed at
	// authority sync snapshots (SPEC §6.4 lazy register signature).
	ChargeRegistersSigned(n int)
	// ContextReduced counts context re-reductions (one per journal
	// change observed by a lookup, never one per send).
	ContextReduced()
}

// NopMetrics discards everything.
type NopMetrics struct{}

// ChargeRegistersSigned implements Metrics.
func (NopMetrics) ChargeRegistersSigned(int) {}

// ContextReduced implements Metrics.
func (NopMetrics) ContextReduced() {}
