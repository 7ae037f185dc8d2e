package p2p

// Metrics receives the p2p package's counters (SPEC §14: names
// aura_p2p_<what>_<unit>, no peer labels). cmd/aura-p2p binds them to
// Prometheus; the default is NopMetrics. Implementations must be safe for
// concurrent use and must not block.
type Metrics interface {
	// Misbehaviour counts one point against a peer:
	// aura_p2p_misbehaviour_total{protocol,kind}.
	Misbehaviour(protocol, kind string)
	// PeerGated counts a peer reaching MisbehaviourLimit:
	// aura_p2p_peers_gated_total.
	PeerGated()
	// GossipValidated counts a topic validator verdict:
	// aura_p2p_gossip_messages_total{topic,result=accept|reject|ignore}.
	GossipValidated(topic string, result ValidationResult)
	// GossipDelivered counts a message handed to a local subscription:
	// aura_p2p_gossip_delivered_total{topic}.
	GossipDelivered(topic string)
	// GossipDropped counts a message or RPC dropped for lack of capacity:
	// aura_p2p_gossip_dropped_total{reason=rpc_dropped|
	// validation_queue_full|validation_throttled|subscriber_slow}.
	GossipDropped(reason string)
	// StreamReset counts a stream this host reset on bad input:
	// aura_p2p_stream_resets_total{protocol,reason}.
	StreamReset(protocol, reason string)
}

// NopMetrics discards every observation.
type NopMetrics struct{}

var _ Metrics = NopMetrics{}

// Misbehaviour implements Metrics.
func (NopMetrics) Misbehaviour(string, string) {}

// PeerGated implements Metrics.
func (NopMetrics) PeerGated() {}

// GossipValidated implements Metrics.
func (NopMetrics) GossipValidated(string, ValidationResult) {}

// GossipDelivered implements Metrics.
func (NopMetrics) GossipDelivered(string) {}

// GossipDropped implements Metrics.
func (NopMetrics) GossipDropped(string) {}

// StreamReset implements Metrics.
func (NopMetrics) StreamReset(string, string) {}

// String returns the metric label for r.
func (r ValidationResult) String() string {
	switch r {
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case Ignore:
		return "ignore"
	default:
		return "unknown"
	}
}
