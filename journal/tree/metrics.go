package tree

// Metrics receives reduction counters. Implementations must be cheap and
// safe for concurrent use; cmd/aura-p2p binds Prometheus
// (aura_tree_valid_evaluations_total{ok}, aura_tree_commits_total{status}).
type Metrics interface {
	// ValidEvaluated counts one uncached valid(c, S) evaluation.
	ValidEvaluated(ok bool)
	// Reduced reports one reduction's commit statuses.
	Reduced(applied, superseded, invalid, malformed int)
}

// NopMetrics discards everything.
type NopMetrics struct{}

// ValidEvaluated implements Metrics.
func (NopMetrics) ValidEvaluated(bool) {}

// Reduced implements Metrics.
func (NopMetrics) Reduced(int, int, int, int) {}
