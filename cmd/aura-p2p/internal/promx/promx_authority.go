package promx

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aura-p2p/aura-p2p/node/authsvc"
)

// Authority binds authsvc.Metrics (aura_authority_*).
type Authority struct {
	hints       *prometheus.CounterVec
	devicePeers prometheus.Counter
}

var _ authsvc.Metrics = (*Authority)(nil)

// NewAuthority creates and registers the aura_authority_* collectors.
func NewAuthority(reg prometheus.Registerer) (*Authority, error) {
	m := &Authority{
		hints: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aura_authority_hints_total",
			Help: "Device peer hint exchanges before AddLeaf DKGs, by result."}, []string{"result"}),
		devicePeers: prometheus.NewCounter(prometheus.CounterOpts{Name: "aura_authority_device_peer_facts_total",
			Help: "DevicePeer facts this device wrote into its authorities."}),
	}
	if err := register(reg, m.hints, m.devicePeers); err != nil {
		return nil, err
	}
	return m, nil
}

// Hints implements authsvc.Metrics.
func (m *Authority) Hints(result string) { m.hints.WithLabelValues(result).Inc() }

// DevicePeerWritten implements authsvc.Metrics.
func (m *Authority) DevicePeerWritten() { m.devicePeers.Inc() }
