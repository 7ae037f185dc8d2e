// Package promx binds the libraries' Metrics interfaces to Prometheus
// collectors and serves /metrics: p2p.Metrics (P2P), node.Metrics (Node),
// flow.Metrics (Flow), jstate.Metrics (FlowState), journal.Metrics
// (Journal), journal/sync.Metrics (Sync), journal/tree.Metrics (Tree),
// consensus/driver.Metrics and consensus.Metrics (Consensus),
// consensus/dkgsvc.Metrics (DKG) and control.Metrics (Control);
// NewServices registers all package collectors at once. It is the only
// place outside go-libp2p itself that imports Prometheus (STYLE.md §7):
// libraries see plain interfaces with no-op defaults.
//
// Invariants:
//   - Every metric is named aura_<package>_<what>_<unit> and carries no
//     ContextId, AuthorityId or peer label (SPEC §14), and every SPEC §14
//     name with a library hook is registered; checked by promx_test.go
//     TestNamesAndLabels. Each method reaches its series with the
//     documented labels: TestObservationsLand, TestLabels.
//   - Alert-bearing series with a fixed label set (sync bytes{dir},
//     fallback envelopes{result}, equivocations, conflicting commits)
//     exist at 0 from registration: TestObservationsLand.
//   - One Registry per process; libp2p's own collectors are registered on the
//     same Registry through p2p.Config.PrometheusRegisterer, so /metrics shows
//     both (promx_test.go TestServeMetrics).
package promx

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/aura-p2p/aura-p2p/node"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// NewRegistry returns a Registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// P2P implements p2p.Metrics with Prometheus counters.
type P2P struct {
	misbehaviour *prometheus.CounterVec
	gated        prometheus.Counter
	validated    *prometheus.CounterVec
	delivered    *prometheus.CounterVec
	dropped      *prometheus.CounterVec
	resets       *prometheus.CounterVec
}

var _ p2p.Metrics = (*P2P)(nil)

// NewP2P creates and registers the aura_p2p_* collectors on reg.
func NewP2P(reg prometheus.Registerer) (*P2P, error) {
	m := &P2P{
		misbehaviour: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_p2p_misbehaviour_total", Help: "Misbehaviour points charged to peers.",
		}, []string{"protocol", "kind"}),
		gated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aura_p2p_peers_gated_total", Help: "Peers gated after reaching MisbehaviourLimit.",
		}),
		validated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_p2p_gossip_messages_total", Help: "Topic validator verdicts.",
		}, []string{"topic", "result"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_p2p_gossip_delivered_total", Help: "Topic messages delivered to local subscribers.",
		}, []string{"topic"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_p2p_gossip_dropped_total", Help: "Gossip messages or RPCs dropped for lack of capacity.",
		}, []string{"reason"}),
		resets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_p2p_stream_resets_total", Help: "Streams reset by this host on bad input.",
		}, []string{"protocol", "reason"}),
	}
	cs := []prometheus.Collector{m.misbehaviour, m.gated, m.validated, m.delivered, m.dropped, m.resets}
	if err := register(reg, cs...); err != nil {
		return nil, err
	}
	return m, nil
}

// Misbehaviour implements p2p.Metrics.
func (m *P2P) Misbehaviour(protocol, kind string) {
	m.misbehaviour.WithLabelValues(protocol, kind).Inc()
}

// PeerGated implements p2p.Metrics.
func (m *P2P) PeerGated() { m.gated.Inc() }

// GossipValidated implements p2p.Metrics.
func (m *P2P) GossipValidated(topic string, r p2p.ValidationResult) {
	m.validated.WithLabelValues(topic, r.String()).Inc()
}

// GossipDelivered implements p2p.Metrics.
func (m *P2P) GossipDelivered(topic string) { m.delivered.WithLabelValues(topic).Inc() }

// GossipDropped implements p2p.Metrics.
func (m *P2P) GossipDropped(reason string) { m.dropped.WithLabelValues(reason).Inc() }

// StreamReset implements p2p.Metrics.
func (m *P2P) StreamReset(protocol, reason string) { m.resets.WithLabelValues(protocol, reason).Inc() }

// Node implements node.Metrics with Prometheus gauges.
type Node struct {
	up, joined, connected, routing prometheus.Gauge
	services                       prometheus.Gauge
}

var _ node.Metrics = (*Node)(nil)

// NewNode creates and registers the aura_node_* collectors on reg.
func NewNode(reg prometheus.Registerer) (*Node, error) {
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m := &Node{
		up:        g("aura_node_up", "1 while the node is running."),
		joined:    g("aura_node_joined", "1 while the host is joined (SPEC §14)."),
		connected: g("aura_node_connected_peers", "Peers with an open connection."),
		routing:   g("aura_node_routing_table_peers", "Peers in the DHT routing table."),
		services:  g("aura_node_services_running", "Node services started and not closed."),
	}
	if err := register(reg, m.up, m.joined, m.connected, m.routing, m.services); err != nil {
		return nil, err
	}
	return m, nil
}

// Up implements node.Metrics.
func (m *Node) Up(up bool) { m.up.Set(b2f(up)) }

// Joined implements node.Metrics.
func (m *Node) Joined(joined bool) { m.joined.Set(b2f(joined)) }

// Peers implements node.Metrics.
func (m *Node) Peers(connected, routingTable int) {
	m.connected.Set(float64(connected))
	m.routing.Set(float64(routingTable))
}

// ServicesRunning implements node.Metrics.
func (m *Node) ServicesRunning(n int) { m.services.Set(float64(n)) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
