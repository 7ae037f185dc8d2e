package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/aura-p2p/aura-p2p/bootstrap"
	"github.com/aura-p2p/aura-p2p/protocols"
	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	ma "github.com/multiformats/go-multiaddr"
)

// Host is the libp2p node of SPEC §15: host, private Kademlia DHT,
// routing discovery, GossipSub with the two neighbourhood topics, the
// misbehaviour gater and the seed dialer. It implements Transport.
// All methods are safe for concurrent use.
type Host struct {
	cfg    Config
	log    *slog.Logger
	host   host.Host
	dht    *dht.IpfsDHT
	dhtRef atomic.Pointer[dht.IpfsDHT] // for callbacks that may run before New returns
	disc   *drouting.RoutingDiscovery
	ps     *pubsub.PubSub
	gater  *gater
	tracer *meshTracer
	seeds  map[peer.ID]struct{}

	ctx    context.Context // lives until Close
	cancel context.CancelFunc
	loops  sync.WaitGroup // goroutines started by New

	mu       sync.Mutex // guards topics, closed, handlers.Add
	topics   map[string]*topicState
	closed   bool
	handlers sync.WaitGroup // inbound stream handler goroutines

	closeOnce sync.Once
	closeErr  error
}

var (
	_ Transport      = (*Host)(nil)
	_ bootstrap.Host = (*Host)(nil)
)

// New builds and starts a host from cfg. ctx bounds construction only; the
// host runs until Close. Invalid configs fail with ErrInvalidConfig.
func New(ctx context.Context, cfg Config) (*Host, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.PrivKey == nil {
		k, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			return nil, fmt.Errorf("p2p: ephemeral key: %w", err)
		}
		cfg.PrivKey = k
	}
	h := &Host{cfg: cfg, log: cfg.Logger, topics: make(map[string]*topicState), seeds: make(map[peer.ID]struct{})}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	for _, s := range cfg.BootstrapPeers {
		h.seeds[s.ID] = struct{}{}
	}
	if err := h.start(ctx); err != nil {
		return nil, errors.Join(err, h.Close())
	}
	return h, nil
}

// start builds every component in dependency order; on error the caller
// closes whatever was built.
func (h *Host) start(ctx context.Context) error {
	steps := []func() error{h.startLibp2p, h.startDHT, h.startPubSub, h.joinNeighbourhood}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("p2p: new: %w", err)
		}
		if err := step(); err != nil {
			return err
		}
	}
	return h.startLoops()
}

func (h *Host) startLibp2p() error {
	h.gater = newGater(h.cfg.Clock, h.cfg.MisbehaviourLimit, h.cfg.MisbehaviourSpan, h.cfg.GateDuration)
	rm, err := newResourceManager(h.cfg.PrometheusRegisterer != nil)
	if err != nil {
		return err
	}
	cm, err := newConnManager(h.cfg)
	if err != nil {
		return errors.Join(err, rm.Close())
	}
	lh, err := libp2p.New(libp2pOptions(h.cfg, h.gater, rm, cm, h.relayPeerSource)...)
	if err != nil {
		return errors.Join(fmt.Errorf("p2p: libp2p host: %w", err), rm.Close(), cm.Close())
	}
	h.host = lh
	return nil
}

func (h *Host) startDHT() error {
	mode := dht.ModeAuto
	if h.cfg.Bootstrap || h.cfg.ForcePublic {
		mode = dht.ModeServer
	}
	d, err := dht.New(h.host,
		dht.ProtocolPrefix(protocols.DHTPrefix),
		dht.Mode(mode),
		dht.BootstrapPeers(h.cfg.BootstrapPeers...),
	)
	if err != nil {
		return fmt.Errorf("p2p: dht: %w", err)
	}
	h.dht = d
	h.dhtRef.Store(d)
	h.disc = drouting.NewRoutingDiscovery(d)
	return nil
}

func (h *Host) startPubSub() error {
	h.tracer = newMeshTracer(h.cfg.Metrics)
	n := h.cfg.Neighbourhood
	params, thresholds := peerScore([]string{FallbackTopic(n), RendezvousTopic(n)}, h.appScore)
	ps, err := pubsub.NewGossipSub(h.ctx, h.host,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(pubsubMsgID),
		pubsub.WithPeerOutboundQueueSize(GossipQueueSize),
		pubsub.WithValidateQueueSize(GossipQueueSize),
		pubsub.WithValidateWorkers(validateWorkers()),
		pubsub.WithValidateThrottle(2*GossipQueueSize),
		pubsub.WithPeerScore(params, thresholds),
		pubsub.WithRawTracer(h.tracer),
		pubsub.WithLogger(h.log.With("component", "pubsub")),
	)
	if err != nil {
		return fmt.Errorf("p2p: gossipsub: %w", err)
	}
	h.ps = ps
	return nil
}

// joinNeighbourhood joins both neighbourhood topics and relays them, so
// this peer is subscribed (announced, in the mesh) from the start.
func (h *Host) joinNeighbourhood() error {
	n := h.cfg.Neighbourhood
	for _, t := range []string{FallbackTopic(n), RendezvousTopic(n)} {
		ts, err := h.join(t)
		if err != nil {
			return err
		}
		if ts.relay, err = ts.t.Relay(); err != nil {
			return fmt.Errorf("p2p: relay %s: %w", t, err)
		}
	}
	return nil
}

func (h *Host) startLoops() error {
	d, err := bootstrap.NewDialer(h, bootstrap.DialerConfig{
		Seeds:  h.cfg.BootstrapPeers,
		Seed:   h.dialSeed(),
		Logger: h.log.With("component", "bootstrap"),
	})
	if err != nil {
		return fmt.Errorf("p2p: %w", err)
	}
	h.goLoop(func() { _ = d.Run(h.ctx) })
	h.startDiscovery()
	return nil
}

func (h *Host) dialSeed() uint64 {
	if h.cfg.DialSeed != 0 {
		return h.cfg.DialSeed
	}
	return uint64(h.cfg.Clock().UnixNano())
}

func (h *Host) goLoop(f func()) {
	h.loops.Add(1)
	go func() {
		defer h.loops.Done()
		f()
	}()
}

// Close stops every goroutine the host started, leaves the topics, and
// closes the DHT, the swarm (which resets every stream, so inbound
// handlers return) and the libp2p host; it then waits for those handlers.
// Later calls return the first result.
func (h *Host) Close() error {
	h.closeOnce.Do(func() { h.closeErr = h.close() })
	return h.closeErr
}

func (h *Host) close() error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel() // stops our loops and GossipSub (its topics and relays with it)
	h.loops.Wait()
	var errs []error
	if h.dht != nil {
		errs = append(errs, h.dht.Close())
	}
	if h.host != nil {
		// Swarm first: go-libp2p v0.51's host Close stops the observed-address
		// manager (fx OnStop, leaving its identify subscription unread) and
		// only later closes autonatv2 and the network. Identify pushes that
		// arrive in between fill that subscription, block identify's emit
		// under the event-bus lock, and autonatv2.Close then waits forever
		// (9 of 12 50-peer devnet shutdowns hung). With no connections left
		// nothing is emitted.
		errs = append(errs, h.host.Network().Close(), h.host.Close())
	}
	h.handlers.Wait()
	return errors.Join(errs...)
}

// Self implements Transport.
func (h *Host) Self() peer.ID { return h.host.ID() }

// ID is the local peer ID.
func (h *Host) ID() peer.ID { return h.host.ID() }

// Addrs returns the listen addresses with the /p2p/<id> suffix, ready to
// hand to other peers as seeds.
func (h *Host) Addrs() []ma.Multiaddr {
	out, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.host.ID(), Addrs: h.host.Addrs()})
	if err != nil {
		return nil
	}
	return out
}

// AddrInfo returns the peer ID and listen addresses.
func (h *Host) AddrInfo() peer.AddrInfo {
	return peer.AddrInfo{ID: h.host.ID(), Addrs: h.host.Addrs()}
}

// RoutingTableSize is the number of peers in the DHT routing table.
func (h *Host) RoutingTableSize() int { return h.dht.RoutingTable().Size() }

// RefreshRouting starts a routing-table refresh without waiting.
func (h *Host) RefreshRouting() {
	if h.ctx.Err() == nil {
		_ = h.dht.Bootstrap(h.ctx)
	}
}

// DHTServer reports whether the DHT runs in server mode.
func (h *Host) DHTServer() bool { return h.dht.Mode() == dht.ModeServer }

// ConnectedPeers lists peers with at least one open connection.
func (h *Host) ConnectedPeers() []peer.ID { return h.host.Network().Peers() }

// Connect dials ai unless it is this host or already connected. Failures
// wrap ErrUnreachable (and ErrGated for a gated peer).
func (h *Host) Connect(ctx context.Context, ai peer.AddrInfo) error {
	if ai.ID == h.host.ID() {
		return nil
	}
	if h.gater.gated(ai.ID) {
		return fmt.Errorf("%w: %w: %s", ErrUnreachable, ErrGated, ai.ID)
	}
	if err := h.host.Connect(ctx, ai); err != nil {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return nil
}

// ReportMisbehaviour counts one misbehaviour point against p (SPEC §6.6)
// under protocol and kind; at MisbehaviourLimit the peer is disconnected
// and gated for GateDuration. Protocol packages report bad_symbols,
// bad_sig and bad_chain through the node; the host itself reports
// oversize/bad frames and validator rejects.
func (h *Host) ReportMisbehaviour(p peer.ID, protocol, kind string) {
	if p == "" || p == h.host.ID() {
		return
	}
	h.cfg.Metrics.Misbehaviour(protocol, kind)
	if !h.gater.record(p) {
		return
	}
	h.cfg.Metrics.PeerGated()
	h.log.Warn("peer gated for misbehaviour", "peer", p, "protocol", protocol, "kind", kind)
	_ = h.host.Network().ClosePeer(p)
}

// MisbehaviourPoints returns p's live misbehaviour points.
func (h *Host) MisbehaviourPoints(p peer.ID) int { return h.gater.points(p) }

// Gated reports whether p is refused by the connection gater.
func (h *Host) Gated(p peer.ID) bool { return h.gater.gated(p) }

// appScore is GossipSub's application-specific score: minus the live
// misbehaviour points (minus the limit while gated).
func (h *Host) appScore(p peer.ID) float64 {
	if h.gater.gated(p) {
		return -float64(h.cfg.MisbehaviourLimit)
	}
	return -float64(h.gater.points(p))
}

// connected reports whether p has an open connection.
func (h *Host) connected(p peer.ID) bool {
	return h.host.Network().Connectedness(p) == network.Connected
}

// LibP2P exposes the underlying libp2p host to cmd/ and tests; protocol
// packages must use Transport instead.
func (h *Host) LibP2P() host.Host { return h.host }

func validateWorkers() int { return max(4, runtime.NumCPU()) }

// relayPeerSource feeds AutoRelay candidate relays: routing-table peers
// (AutoRelay keeps those that speak circuit v2 hop). It closes the channel
// after at most num peers.
func (h *Host) relayPeerSource(ctx context.Context, num int) <-chan peer.AddrInfo {
	out := make(chan peer.AddrInfo, max(num, 0))
	defer close(out)
	d := h.dhtRef.Load()
	if d == nil {
		return out
	}
	for _, p := range d.RoutingTable().ListPeers() {
		if len(out) == cap(out) || ctx.Err() != nil {
			break
		}
		out <- d.Host().Peerstore().PeerInfo(p)
	}
	return out
}

// Protect shields p's connections from connection-manager trimming under
// tag (SPEC §10: own devices, committee peers, sync sessions, channels).
func (h *Host) Protect(p peer.ID, tag string) { h.host.ConnManager().Protect(p, tag) }

// Unprotect removes tag's protection from p and reports whether p is
// still protected under another tag.
func (h *Host) Unprotect(p peer.ID, tag string) bool { return h.host.ConnManager().Unprotect(p, tag) }
