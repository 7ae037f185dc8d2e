package promx

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aura-p2p/aura-p2p/control"
)

// Control implements control.Metrics (aura_control_*).
type Control struct {
	calls    *prometheus.CounterVec
	duration prometheus.Histogram
}

var _ control.Metrics = (*Control)(nil)

// NewControl creates and registers aura_control_calls_total{method,code}
// and aura_control_call_seconds.
func NewControl(reg prometheus.Registerer) (*Control, error) {
	m := &Control{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_control_calls_total", Help: "Answered control calls, by method and code.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aura_control_call_seconds", Help: "Control call duration, accept to response.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	if err := register(reg, m.calls, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// Call implements control.Metrics.
func (m *Control) Call(method, code string, d time.Duration) {
	m.calls.WithLabelValues(method, code).Inc()
	m.duration.Observe(d.Seconds())
}
