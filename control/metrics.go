package control

import "time"

// Metrics receives one observation per answered call (cmd/aura-p2p may
// bind it to aura_control_calls_total{method,code} and
// aura_control_call_seconds). Implementations must be safe for concurrent
// use and must not block.
type Metrics interface {
	// Call reports an answered call: method is a registered method name,
	// "unknown" or "invalid" (so the label set stays bounded); code is
	// "ok" or a wire Code; d runs from accept to the response.
	Call(method, code string, d time.Duration)
}

// NopMetrics discards every observation.
type NopMetrics struct{}

var _ Metrics = NopMetrics{}

// Call implements Metrics.
func (NopMetrics) Call(string, string, time.Duration) {}
