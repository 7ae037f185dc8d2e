package node

// Metrics receives the node's gauges (aura_node_*; cmd/aura-p2p binds
// them to Prometheus). Implementations must be safe for concurrent use and
// must not block.
type Metrics interface {
	// Up sets aura_node_up: true between a successful Start and Close.
	Up(up bool)
	// Joined sets aura_node_joined (SPEC §14 joined test).
	Joined(joined bool)
	// Peers sets aura_node_connected_peers and aura_node_routing_table_peers.
	Peers(connected, routingTable int)
	// ServicesRunning sets aura_node_services_running.
	ServicesRunning(n int)
}

// NopMetrics discards every observation.
type NopMetrics struct{}

var _ Metrics = NopMetrics{}

// Up implements Metrics.
func (NopMetrics) Up(bool) {}

// Joined implements Metrics.
func (NopMetrics) Joined(bool) {}

// Peers implements Metrics.
func (NopMetrics) Peers(int, int) {}

// ServicesRunning implements Metrics.
func (NopMetrics) ServicesRunning(int) {}
