package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/jstate"
	"github.com/aura-p2p/aura-p2p/journal"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// DefaultStatsInterval is how often Run refreshes the node gauges.
const DefaultStatsInterval = 5 * time.Second

// DeploymentJoinPeers is N for the joined test in deployments: a peer is
// joined with ≥ min(5, N−1) routing-table peers (SPEC §14), i.e. 5.
const DeploymentJoinPeers = 6

// Config configures Open. DataDir is required; every other zero value
// means "default".
type Config struct {
	// DataDir holds p2p.IdentityFile, ConfigFileName and DatastoreDirName
	// (created by Init).
	DataDir string
	// Bootstrap runs the host as a bootstrap node (SPEC §14).
	Bootstrap bool
	// P2P is the base host config. Open overlays the config file on it
	// (FileConfig.P2P) and sets PrivKey from the identity file; fields the
	// file does not hold (PrometheusRegisterer, Metrics, Logger,
	// misbehaviour limits) are kept. Zero value: p2p defaults.
	P2P p2p.Config
	// JoinPeers is the N of the joined test (SPEC §14). Zero:
	// DeploymentJoinPeers.
	JoinPeers int
	// StatsInterval is how often the node gauges refresh. Zero:
	// DefaultStatsInterval.
	StatsInterval time.Duration
	// Services are built and started in order after the host and the
	// guarded Sender, closed in reverse order before them.
	Services []ServiceFunc
	// Keyring is this device's authority keys (jstate). Nil: a node
	// without an authority (a bootstrap node) — context-scope sends and
	// receives are refused, per-device budgets (authority scope, topics)
	// still work, and no FlowCharge registers are signed.
	Keyring *jstate.Keyring
	// Flow configures the node's one guarded Sender (policy, topic
	// limits, metrics). A nil Flow.Logger becomes Logger with
	// component=flow.
	Flow flow.Config
	// SyncInterval spaces two FlowCharge signatures of one budget key
	// (SPEC §6.4, §10). Zero: jstate.DefaultSyncInterval.
	SyncInterval time.Duration
	// StaticContexts are the static contexts this authority founded, with
	// their K_root (SPEC §7.1 step 4′). Open joins each namespace; the
	// sync service serves those the journal is a member of. The list is
	// secret material: it comes from the caller, never the config file.
	StaticContexts []StaticContext
	// Sync configures the anti-entropy service, which the node starts
	// before Services whenever it has a Keyring (SPEC §9).
	Sync SyncConfig
	// Logger receives structured logs. Nil: discard.
	Logger *slog.Logger
	// Metrics receives node gauges. Nil: NopMetrics.
	Metrics Metrics
	// JournalMetrics receives the journal's counters (aura_journal_*).
	// Nil: journal.NopMetrics. Flow.Metrics and Sync.Service.Metrics carry
	// the flow Sender's and the sync service's.
	JournalMetrics journal.Metrics
	// StateMetrics receives the jstate counters (guard state and charge
	// signer). Nil: jstate.NopMetrics.
	StateMetrics jstate.Metrics
}

// Service is a long-running component plugged into the node (journal
// sync, consensus driver, ...). Start must return once the service is
// running; the service stops when Close is called (which waits for its
// goroutines). The node calls Close exactly once per successful Start.
type Service interface {
	Start(ctx context.Context) error
	Close() error
}

// ServiceFunc builds a Service once the host exists.
type ServiceFunc func(Env) (Service, error)

// Env is what a ServiceFunc gets from the node. It holds no
// p2p.Transport: protocol services send and receive through Sender, the
// node's one guarded sender (SPEC §6.4, §15); only the node holds both
// the Transport and the datastore.
type Env struct {
	// Host is a read-only view of the running host (status, peers,
	// misbehaviour reports); it cannot open streams or publish.
	Host HostInfo
	// Sender is the node's guarded sender over the host's Transport, the
	// datastore and State: every protocol write goes through it.
	Sender *flow.Sender
	// Journal is the node's one journal over Datastore (the single owner
	// of its register writes); services must not open another.
	Journal *journal.Journal
	// State is the journal-backed guard-chain state (peer resolution
	// through DevicePeer facts).
	State *jstate.State
	// Charges signs lazy FlowCharge registers; the authority sync calls
	// Charges.AtSnapshot when it snapshots a namespace. Nil without a
	// Keyring.
	Charges *jstate.ChargeSigner
	// Datastore is the node's one datastore (SPEC §3).
	Datastore journal.Datastore
	// Device is this device's long-term keys (DIR/device.key, SPEC §1).
	Device *Device
	// Sync is the node's anti-entropy service when it runs (with a
	// Keyring; started before every ServiceFunc), nil otherwise. A service
	// syncing namespaces of its own joins them on it instead of starting a
	// second journal/sync Service (one handler per protocol and host).
	Sync *jsync.Service
	// Logger is the node's logger.
	Logger *slog.Logger
	// JoinPeers is the N of the node's joined test (Config.JoinPeers).
	JoinPeers int
	// Started is when Start began (for uptime reports).
	Started time.Time
}

// Node is the composition root: identity, datastore, host and services.
// Its lifecycle methods (Start, Close) are serialised by a mutex; it holds
// no other shared state.
type Node struct {
	cfg   Config
	p2p   p2p.Config
	id    peer.ID
	store journal.Datastore
	dev   *Device
	jrnl  *journal.Journal
	state *jstate.State
	log   *slog.Logger

	mu        sync.Mutex
	started   bool
	startedAt time.Time
	closed    bool
	host      *p2p.Host
	sender    *flow.Sender
	charges   *jstate.ChargeSigner
	services  []Service
	stop      context.CancelFunc
	wg        sync.WaitGroup
}

// Open loads the identity and config file of cfg.DataDir and opens the
// datastore. It does not touch the network; call Run (or Start/Close).
func Open(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	info, err := Inspect(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	pc, err := buildP2P(cfg, info.Config)
	if err != nil {
		return nil, err
	}
	// Data dirs made before device keys existed get one on first open.
	dev, err := LoadOrCreateDevice(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	store, err := journal.OpenPebble(filepath.Join(cfg.DataDir, DatastoreDirName))
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	n := &Node{cfg: cfg, p2p: pc, id: info.ID, store: store, dev: dev, log: cfg.Logger}
	if err := n.openJournal(); err != nil {
		return nil, errors.Join(err, n.closeStore())
	}
	return n, nil
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	if c.JoinPeers == 0 {
		c.JoinPeers = DeploymentJoinPeers
	}
	if c.StatsInterval <= 0 {
		c.StatsInterval = DefaultStatsInterval
	}
	return c
}

func buildP2P(cfg Config, fc FileConfig) (p2p.Config, error) {
	base := cfg.P2P
	base.Bootstrap = base.Bootstrap || cfg.Bootstrap
	if base.Logger == nil {
		base.Logger = cfg.Logger.With("component", "p2p")
	}
	pc, err := fc.P2P(base)
	if err != nil {
		return p2p.Config{}, withPath(err, filepath.Join(cfg.DataDir, ConfigFileName))
	}
	key, err := p2p.LoadIdentity(cfg.DataDir)
	if err != nil {
		return p2p.Config{}, fmt.Errorf("node: %w", err)
	}
	pc.PrivKey = key
	return pc, nil
}

// ID is the node's peer ID.
func (n *Node) ID() peer.ID { return n.id }

// Device is this device's long-term keys (DIR/device.key).
func (n *Node) Device() *Device { return n.dev }

// P2PConfig is the effective host config (file overlaid on Config.P2P).
func (n *Node) P2PConfig() p2p.Config { return n.p2p }

// Datastore is the node's datastore; valid until Close.
func (n *Node) Datastore() journal.Datastore { return n.store }

// Host is the running host, nil before Start and after Close.
func (n *Node) Host() *p2p.Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.host
}

// Run starts the node, blocks until ctx ends, then closes everything in
// reverse order. It returns nil after a clean shutdown.
func (n *Node) Run(ctx context.Context) error {
	if err := n.Start(ctx); err != nil {
		return errors.Join(err, n.Close())
	}
	n.log.Info("node running", "peer", n.id, "bootstrap", n.p2p.Bootstrap)
	<-ctx.Done()
	n.log.Info("node stopping", "peer", n.id)
	return n.Close()
}

// Start starts the host, then each service in order, then the stats
// loop. On error everything started is closed again (the datastore stays
// open until Close). ctx bounds startup and is handed to the services.
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.closed:
		return ErrClosed
	case n.started:
		return ErrStarted
	}
	n.started = true
	n.startedAt = time.Now()
	h, err := p2p.New(ctx, n.p2p)
	if err != nil {
		return fmt.Errorf("node: start host: %w", err)
	}
	n.host = h
	if err := n.buildSender(h); err != nil {
		return errors.Join(err, n.closeLocked())
	}
	if err := n.startServices(ctx); err != nil {
		return errors.Join(err, n.closeLocked())
	}
	n.cfg.Metrics.Up(true)
	loopCtx, stop := context.WithCancel(context.Background())
	n.stop = stop
	n.wg.Add(1)
	go n.statsLoop(loopCtx, h)
	return nil
}

func (n *Node) startServices(ctx context.Context) error {
	env := Env{Host: hostInfo{n.host}, Sender: n.sender, Journal: n.jrnl, State: n.state, Charges: n.charges,
		Datastore: n.store, Device: n.dev, Logger: n.log, JoinPeers: n.cfg.JoinPeers, Started: n.startedAt}
	funcs := n.cfg.Services
	if n.syncEnabled() {
		funcs = append([]ServiceFunc{n.newSyncService}, funcs...)
	}
	for i, f := range funcs {
		svc, err := f(env)
		if err != nil {
			return fmt.Errorf("node: build service %d: %w", i, err)
		}
		if err := svc.Start(ctx); err != nil {
			return fmt.Errorf("node: start service %d: %w", i, err)
		}
		if ss, ok := svc.(*syncService); ok {
			env.Sync = ss.svc
		}
		n.services = append(n.services, svc)
		n.cfg.Metrics.ServicesRunning(len(n.services))
	}
	return nil
}

// Close stops the stats loop, closes services in reverse order, then the
// host, then the datastore. It is idempotent and safe before Start.
func (n *Node) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	err := n.closeLocked()
	n.closed = true
	return errors.Join(err, n.closeStore())
}

func (n *Node) closeLocked() error {
	if n.stop != nil {
		n.stop()
		n.wg.Wait()
		n.stop = nil
	}
	var errs []error
	for i := len(n.services) - 1; i >= 0; i-- {
		if err := n.services[i].Close(); err != nil {
			errs = append(errs, fmt.Errorf("node: close service %d: %w", i, err))
		}
	}
	n.services = nil
	n.sender, n.charges = nil, nil
	n.cfg.Metrics.ServicesRunning(0)
	if n.host != nil {
		if err := n.host.Close(); err != nil {
			errs = append(errs, fmt.Errorf("node: close host: %w", err))
		}
		n.host = nil
	}
	n.cfg.Metrics.Up(false)
	n.cfg.Metrics.Joined(false)
	return errors.Join(errs...)
}

func (n *Node) closeStore() error {
	if err := n.store.Close(); err != nil {
		return fmt.Errorf("node: close datastore: %w", err)
	}
	return nil
}

// statsLoop refreshes the gauges and logs join transitions until ctx ends.
func (n *Node) statsLoop(ctx context.Context, h *p2p.Host) {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.StatsInterval)
	defer t.Stop()
	joined := false
	for {
		joined = n.observe(h, joined)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Node) observe(h *p2p.Host, was bool) bool {
	conns, rt := len(h.ConnectedPeers()), h.RoutingTableSize()
	n.cfg.Metrics.Peers(conns, rt)
	now := h.Joined(n.cfg.JoinPeers)
	n.cfg.Metrics.Joined(now)
	if now != was {
		n.log.Info("join state changed", "joined", now, "connected", conns, "routing_table", rt)
	}
	return now
}
