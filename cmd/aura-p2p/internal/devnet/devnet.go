package devnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/node"
	"github.com/aura-p2p/aura-p2p/node/authsvc"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// Defaults for Config.
const (
	DefaultNodes         = 10
	DefaultStepTimeout   = 30 * time.Second
	DefaultNeighbourhood = "aura-devnet"
	DefaultDKGTimeout    = 10 * time.Second
	// maxSocketPath is control's bind(2) bound on the socket path.
	maxSocketPath = 103
	// startParallel bounds concurrent node starts and stops.
	startParallel = 8
)

// Config configures a devnet. Zero values mean the defaults above.
type Config struct {
	// Nodes is N, the number of peers besides the bootstrap node.
	Nodes int
	// StepTimeout bounds each step.
	StepTimeout time.Duration
	// Keep leaves the data directories on disk after Close.
	Keep bool
	// Dir is the parent of the devnet's temporary directory ("" = os.TempDir()).
	Dir string
	// Neighbourhood of every node.
	Neighbourhood string
	// QUIC also listens on QUIC-v1 (TCP only otherwise).
	QUIC bool
	// DKGTimeout is each peer's authority-ceremony DKGTimeout (zero:
	// DefaultDKGTimeout, below the step timeout so an offline device is
	// reported within the step).
	DKGTimeout time.Duration
	// Steps run in order after the nodes start; nil: DefaultSteps().
	Steps []Step
	// Out receives progress lines, tables and the summary (nil: discard).
	Out io.Writer
	// Logger for the nodes (nil: discard).
	Logger *slog.Logger
	// P2PMetrics, NodeMetrics and Registerer are shared by every node (nil: off).
	P2PMetrics  p2p.Metrics
	NodeMetrics node.Metrics
	Registerer  prometheus.Registerer
}

func (c Config) withDefaults() Config {
	if c.Nodes == 0 {
		c.Nodes = DefaultNodes
	}
	if c.StepTimeout <= 0 {
		c.StepTimeout = DefaultStepTimeout
	}
	if c.Neighbourhood == "" {
		c.Neighbourhood = DefaultNeighbourhood
	}
	if c.Steps == nil {
		c.Steps = DefaultSteps()
	}
	if c.DKGTimeout <= 0 {
		c.DKGTimeout = DefaultDKGTimeout
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Peer is one devnet node.
type Peer struct {
	// Name is "boot" or "pNN".
	Name string
	Node *node.Node
	// Host is the running host (valid until Close).
	Host *p2p.Host
	// Started is when Node.Start was called.
	Started time.Time
	// JoinTime is Started → joined (SPEC §14), set by the join step; 0 if
	// the peer has not joined.
	JoinTime time.Duration
	// Milestones time the parts of joined (set by the join step).
	Milestones Milestones
	// Auth is the peer's authority service (nil on the bootstrap node);
	// Dir is its data directory, whose control.sock the authority step
	// calls when Control is set.
	Auth    *authsvc.Authority
	Dir     string
	Control bool
}

// Devnet is a running bootstrap node plus N peers in this process.
type Devnet struct {
	cfg Config
	// Dir holds one data directory per node.
	Dir string
	// Boot is the bootstrap node; Peers are the N peers.
	Boot  *Peer
	Peers []*Peer

	baseHeap uint64
	// cpuStart and wallStart are taken before the first node starts.
	cpuStart  time.Duration
	wallStart time.Time
	mu        sync.Mutex
	notes     []string

	// Milestone trackers (timeline.go), one per peer from its launch.
	trackCtx  context.Context
	trackStop context.CancelFunc
	tracking  sync.WaitGroup
}

// Start creates the data directories and starts the bootstrap node, then
// the peers (up to 8 at a time). On error everything started is closed.
func Start(ctx context.Context, cfg Config) (*Devnet, error) {
	cfg = cfg.withDefaults()
	if cfg.Nodes < 1 {
		return nil, fmt.Errorf("devnet: need at least 1 node, got %d", cfg.Nodes)
	}
	dir, err := os.MkdirTemp(cfg.Dir, "aura-devnet-")
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	d := &Devnet{cfg: cfg, Dir: dir, baseHeap: heapInuse(true)}
	d.trackCtx, d.trackStop = context.WithCancel(context.Background())
	d.cpuStart, d.wallStart = cpuTime(), time.Now()
	if err := d.start(ctx); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	return d, nil
}

func (d *Devnet) start(ctx context.Context) error {
	boot, err := d.prepare("boot", true, nil)
	if err != nil {
		return err
	}
	d.Boot = boot
	if err := d.launch(ctx, boot); err != nil {
		return err
	}
	seeds := make([]string, 0, 2)
	for _, a := range boot.Host.Addrs() {
		seeds = append(seeds, a.String())
	}
	// Disk work (init, open) first for every peer, then the hosts: the
	// join clock of a peer starts at its launch, not behind others' fsyncs.
	d.Peers = make([]*Peer, d.cfg.Nodes)
	if err := forEach(d.cfg.Nodes, func(i int) error {
		p, err := d.prepare(fmt.Sprintf("p%02d", i), false, seeds)
		d.Peers[i] = p
		return err
	}); err != nil {
		return err
	}
	return forEach(d.cfg.Nodes, func(i int) error { return d.launch(ctx, d.Peers[i]) })
}

// prepare runs init and open for one node (no network yet).
func (d *Devnet) prepare(name string, boot bool, seeds []string) (*Peer, error) {
	dir := filepath.Join(d.Dir, name)
	fc := node.FileConfig{
		Version:        node.FileConfigVersion,
		ListenAddrs:    d.listenAddrs(),
		BootstrapPeers: seeds,
		Neighbourhood:  d.cfg.Neighbourhood,
		ForcePublic:    true,
	}
	if _, err := node.Init(dir, fc); err != nil {
		return nil, fmt.Errorf("devnet: %s: %w", name, err)
	}
	p := &Peer{Name: name, Dir: dir}
	cfg := d.nodeConfig(dir, name, boot)
	if !boot {
		// Every peer runs its device's authority service and, when the
		// socket path fits bind(2), the control API (as `aura-p2p run`).
		p.Auth = authsvc.New(authsvc.Config{DKGTimeout: d.cfg.DKGTimeout})
		cfg.Services = append(cfg.Services, p.Auth.ServiceFunc())
		if len(control.SocketPath(dir)) <= maxSocketPath {
			p.Control = true
			cfg.Services = append(cfg.Services, control.NewService(control.Config{DataDir: dir}, p.Auth.Mount))
		}
	}
	n, err := node.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("devnet: %s: %w", name, err)
	}
	p.Node = n
	return p, nil
}

// launch starts a prepared node's host.
func (d *Devnet) launch(ctx context.Context, p *Peer) error {
	p.Started = time.Now()
	if err := p.Node.Start(ctx); err != nil {
		return fmt.Errorf("devnet: %s: %w", p.Name, err)
	}
	p.Host = p.Node.Host()
	if p != d.Boot {
		d.tracking.Add(1)
		go func() {
			defer d.tracking.Done()
			d.trackMilestones(d.trackCtx, p, min(5, d.cfg.Nodes-1))
		}()
	}
	return nil
}

// stopTracking stops the milestone trackers and waits for them; after it
// every Peer.Milestones is safe to read.
func (d *Devnet) stopTracking() {
	d.trackStop()
	d.tracking.Wait()
}

func (d *Devnet) nodeConfig(dir, name string, boot bool) node.Config {
	log := d.cfg.Logger.With("node", name)
	return node.Config{
		DataDir:   dir,
		Bootstrap: boot,
		JoinPeers: d.cfg.Nodes,
		Logger:    log,
		Metrics:   d.cfg.NodeMetrics,
		P2P: p2p.Config{
			Metrics:              d.cfg.P2PMetrics,
			PrometheusRegisterer: d.cfg.Registerer,
		},
	}
}

func (d *Devnet) listenAddrs() []string {
	addrs := []string{"/ip4/127.0.0.1/tcp/0"}
	if d.cfg.QUIC {
		addrs = append(addrs, "/ip4/127.0.0.1/udp/0/quic-v1")
	}
	return addrs
}

// N is the number of peers (the bootstrap node not counted).
func (d *Devnet) N() int { return len(d.Peers) }

// Out is where steps print.
func (d *Devnet) Out() io.Writer { return d.cfg.Out }

// Printf prints one line of step output.
func (d *Devnet) Printf(format string, args ...any) {
	fmt.Fprintf(d.cfg.Out, format+"\n", args...)
}

// Note adds a line to the final summary.
func (d *Devnet) Note(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.notes = append(d.notes, fmt.Sprintf(format, args...))
}

// Notes returns the summary lines added so far.
func (d *Devnet) Notes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.notes...)
}

// Close stops the peers (8 at a time), then the bootstrap node, and
// removes Dir unless Config.Keep.
func (d *Devnet) Close() error {
	d.stopTracking()
	errs := []error{forEach(len(d.Peers), func(i int) error {
		if d.Peers[i] == nil {
			return nil
		}
		return d.Peers[i].Node.Close()
	})}
	if d.Boot != nil {
		errs = append(errs, d.Boot.Node.Close())
	}
	if !d.cfg.Keep {
		errs = append(errs, os.RemoveAll(d.Dir))
	}
	return errors.Join(errs...)
}

// forEach runs f(0..n-1) with at most startParallel at a time and joins
// the errors.
func forEach(n int, f func(i int) error) error {
	sem := make(chan struct{}, startParallel)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// heapInuse reads MemStats.HeapInuse, after a full collection if gc (a
// forced GC of a loaded 50-node heap takes seconds on 2 cores, so the
// post-join reading skips it).
func heapInuse(gc bool) uint64 {
	if gc {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
