package invite

// Metrics observes the inviter service (SPEC §14). cmd/aura-p2p binds it
// to Prometheus as aura_invite_*; the default is NopMetrics. Methods are
// called from stream handler goroutines and must not block.
type Metrics interface {
	// Misbehaviour counts a reset stream that earned a point, by kind
	// (aura_invite_misbehaviour_total{kind}).
	Misbehaviour(kind string)
	// Refused counts a reset without a point, by reason (ReasonUsed, …)
	// (aura_invite_refused_total{reason}).
	Refused(reason string)
	// Joined counts a JoinResult sent (aura_invite_joined_total).
	Joined()
}

// NopMetrics discards everything.
type NopMetrics struct{}

func (NopMetrics) Misbehaviour(string) {}
func (NopMetrics) Refused(string)      {}
func (NopMetrics) Joined()             {}
