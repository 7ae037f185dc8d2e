package p2p

import (
	"fmt"
	"time"

	"github.com/aura-p2p/aura-p2p/protocols"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/host/autorelay"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2pquic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// Resource-manager caps of SPEC §10 (never unlimited).
const (
	SystemConns          = 1024
	SystemConnsInbound   = 512
	SystemStreams        = 8192
	SystemStreamsInbound = 4096
	SystemMemory         = 1 << 30
	PeerConns            = 8
	PeerStreams          = 512
	PeerStreamsInbound   = 256
	PeerMemory           = 64 << 20
	// ProtocolPeerStreamsInbound caps inbound streams per /aura/* protocol
	// and peer.
	ProtocolPeerStreamsInbound = 64
)

// Relay v2 service limits for bootstrap nodes (SPEC §10).
const (
	RelayLimitDuration  = time.Hour
	RelayLimitData      = 64 << 20
	RelayMaxReservation = 1024
	RelayMaxCircuits    = 64
)

// GossipSub queue sizes (raised from the library defaults so bursts of
// consensus fallback traffic are not dropped).
const (
	GossipQueueSize = 4096
	GossipSubBuffer = 4096
)

// resourceLimits returns the SPEC §10 limit configuration: the library's
// auto-scaled defaults with the system, per-peer and per-protocol-per-peer
// scopes overridden.
func resourceLimits() rcmgr.ConcreteLimitConfig {
	base := rcmgr.DefaultLimits.AutoScale()
	part := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Conns: SystemConns, ConnsInbound: SystemConnsInbound, ConnsOutbound: SystemConns,
			Streams: SystemStreams, StreamsInbound: SystemStreamsInbound, StreamsOutbound: SystemStreams,
			Memory: SystemMemory,
		},
		PeerDefault: rcmgr.ResourceLimits{
			Conns: PeerConns, ConnsInbound: PeerConns, ConnsOutbound: PeerConns,
			Streams: PeerStreams, StreamsInbound: PeerStreamsInbound, StreamsOutbound: PeerStreams,
			Memory: PeerMemory,
		},
		ProtocolPeer: make(map[protocol.ID]rcmgr.ResourceLimits),
	}
	for _, p := range protocols.All() {
		part.ProtocolPeer[p] = rcmgr.ResourceLimits{StreamsInbound: ProtocolPeerStreamsInbound}
	}
	return part.Build(base)
}

// newResourceManager builds the SPEC §10 resource manager. Without
// metrics its trace reporter is off: it formats a timestamp and updates
// Prometheus vectors on every scope event, a measurable cost when a
// process runs 50 hosts.
func newResourceManager(metrics bool) (network.ResourceManager, error) {
	var opts []rcmgr.Option
	if !metrics {
		opts = append(opts, rcmgr.WithMetricsDisabled())
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(resourceLimits()), opts...)
	if err != nil {
		return nil, fmt.Errorf("p2p: resource manager: %w", err)
	}
	return rm, nil
}

// relayResources returns the bootstrap relay v2 service resources.
func relayResources() relay.Resources {
	r := relay.DefaultResources()
	r.Limit = &relay.RelayLimit{Duration: RelayLimitDuration, Data: RelayLimitData}
	r.MaxReservations = RelayMaxReservation
	r.MaxCircuits = RelayMaxCircuits
	return r
}

// libp2pOptions assembles the host options of SPEC §15 for cfg (defaults
// applied). rm and cm are owned by the caller until the host exists.
func libp2pOptions(cfg Config, g *gater, rm network.ResourceManager, cm *connmgr.BasicConnMgr,
	peerSource autorelay.PeerSource) []libp2p.Option {
	opts := []libp2p.Option{
		libp2p.Identity(cfg.PrivKey),
		libp2p.ListenAddrs(cfg.ListenAddrs...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(libp2pquic.NewTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.ConnectionGater(g),
		libp2p.EnableAutoNATv2(),
		libp2p.EnableRelay(),
		libp2p.EnableHolePunching(),
		libp2p.EnableAutoRelayWithPeerSource(peerSource),
	}
	if cfg.ForcePublic {
		opts = append(opts, libp2p.ForceReachabilityPublic())
	}
	if cfg.NATPortMap {
		opts = append(opts, libp2p.NATPortMap())
	}
	if cfg.Bootstrap || cfg.EnableRelayService {
		opts = append(opts, libp2p.EnableRelayService(relay.WithResources(relayResources())))
	}
	if cfg.PrometheusRegisterer != nil {
		opts = append(opts, libp2p.PrometheusRegisterer(cfg.PrometheusRegisterer))
	} else {
		opts = append(opts, libp2p.DisableMetrics())
	}
	return opts
}

func newConnManager(cfg Config) (*connmgr.BasicConnMgr, error) {
	cm, err := connmgr.NewConnManager(cfg.ConnLow, cfg.ConnHigh, connmgr.WithGracePeriod(cfg.ConnGrace))
	if err != nil {
		return nil, fmt.Errorf("p2p: connection manager: %w", err)
	}
	return cm, nil
}

// Peer-scoring parameters of SPEC §10 ("peer scoring" row).
const (
	ScoreTopicWeight            = 1
	ScoreInvalidDeliveriesW     = -10
	ScoreInvalidDeliveriesDecay = 0.9
	ScoreDecayInterval          = time.Second
	ScoreDecayToZero            = 0.01
	ScoreRetain                 = 10 * time.Minute
	ScoreAppSpecificWeight      = 1
	ScoreGossipThreshold        = -10
	ScorePublishThreshold       = -50
	ScoreGraylistThreshold      = -100
)

// topicScoreParams is the per-neighbourhood-topic score of SPEC §10.
func topicScoreParams() *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		SkipAtomicValidation: true,
		TopicWeight:          ScoreTopicWeight,
		// Time in mesh is not scored (weight 0), but pubsub divides by the
		// quantum unconditionally, so it must be non-zero.
		TimeInMeshQuantum:              time.Second,
		InvalidMessageDeliveriesWeight: ScoreInvalidDeliveriesW,
		InvalidMessageDeliveriesDecay:  ScoreInvalidDeliveriesDecay,
	}
}

// peerScore returns the GossipSub score parameters; app is the
// application-specific score (minus misbehaviour points).
func peerScore(topics []string, app func(peer.ID) float64) (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	params := &pubsub.PeerScoreParams{
		SkipAtomicValidation: true,
		Topics:               make(map[string]*pubsub.TopicScoreParams, len(topics)),
		AppSpecificScore:     app,
		AppSpecificWeight:    ScoreAppSpecificWeight,
		DecayInterval:        ScoreDecayInterval,
		DecayToZero:          ScoreDecayToZero,
		RetainScore:          ScoreRetain,
	}
	for _, t := range topics {
		params.Topics[t] = topicScoreParams()
	}
	thresholds := &pubsub.PeerScoreThresholds{
		SkipAtomicValidation: true,
		GossipThreshold:      ScoreGossipThreshold,
		PublishThreshold:     ScorePublishThreshold,
		GraylistThreshold:    ScoreGraylistThreshold,
	}
	return params, thresholds
}
