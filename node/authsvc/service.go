package authsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree/invite"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
	"github.com/aura-p2p/aura-p2p/node"
)

// Authority is the authority service of one node between the node that
// builds it (ServiceFunc, in node.Config.Services after the sync service
// and before the control service) and the control mount (Mount), which
// reaches the running Service. Safe for concurrent use.
type Authority struct {
	cfg Config

	mu  sync.Mutex
	svc *Service
}

// New returns the authority service wiring for cfg.
func New(cfg Config) *Authority { return &Authority{cfg: cfg} }

// ServiceFunc builds the Service from the node's Env.
func (a *Authority) ServiceFunc() node.ServiceFunc {
	return func(env node.Env) (node.Service, error) {
		svc, err := newService(a.cfg, env)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		a.svc = svc
		a.mu.Unlock()
		return svc, nil
	}
}

// OnStored tells the running service that a sync session stored n
// entries of ns (journal/sync ServiceConfig.OnStored of a node whose own
// sync service the authority service shares; see Registry).
func (a *Authority) OnStored(ns journal.Namespace, n int) {
	if s := a.Service(); s != nil {
		s.sync.onStored(ns, n)
	}
}

// Service is the running service, nil before the node built it.
func (a *Authority) Service() *Service {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.svc
}

// Service composes, for one device, the tree ceremony service
// (journal/tree/treesvc, which runs its own dkgsvc and consensus
// drivers), the invitation registry and /aura/invite/1.0.0 service
// (journal/tree/invite), the DevicePeer facts of this device and the
// DeviceId → peer.ID book, over the node's guarded Sender, journal and
// datastore.
type Service struct {
	cfg  Config
	env  node.Env
	dev  *node.Device
	self peer.ID
	log  *slog.Logger

	book *peerBook
	tree *treesvc.Service
	reg  *invite.Registry
	inv  *invite.Service
	sync *nodeSyncer

	stop context.CancelFunc
	wg   sync.WaitGroup

	// announceMu serialises DevicePeer writes so each takes a fresh Seq.
	announceMu sync.Mutex

	mu        sync.Mutex
	running   bool
	lastAddrs []ma.Multiaddr
	joins     map[journal.DeviceID]treesvc.Report // AddLeaf reports of devices invited here
}

func newService(cfg Config, env node.Env) (*Service, error) {
	cfg = cfg.withDefaults()
	if env.Device == nil || env.Sender == nil || env.Journal == nil || env.Datastore == nil || env.Host == nil {
		return nil, errors.New("authsvc: node env lacks device, sender, journal, datastore or host")
	}
	log := cfg.Logger
	if log == nil {
		log = env.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		log = log.With("component", "authority")
	}
	s := &Service{cfg: cfg, env: env, dev: env.Device, self: env.Host.ID(), log: log,
		joins: map[journal.DeviceID]treesvc.Report{}}
	s.book = newPeerBook(env.Journal, env.Host, env.Device.ID, s.self)
	s.sync = newNodeSyncer(env, log)
	s.sync.metrics = cfg.SyncMetrics
	var syncer treesvc.Syncer = s.sync
	if cfg.Syncer != nil {
		syncer = cfg.Syncer
	}
	tcfg := treesvc.Config{
		Device: treesvc.Device{Key: env.Device.Key, DH: env.Device.DH}, Self: s.self,
		Sender: env.Sender, Journal: env.Journal, Datastore: env.Datastore, Peers: s.book, Syncer: syncer,
		FallbackTopic: cfg.FallbackTopic, DKGTimeout: cfg.DKGTimeout, Now: cfg.Now,
		Settle: cfg.Settle, Logger: log.With("sub", "tree"), Metrics: cfg.TreeMetrics, DKGMetrics: cfg.DKGMetrics,
		DriverMetrics: cfg.ConsensusMetrics,
	}
	t, err := treesvc.New(tcfg)
	if err != nil {
		return nil, fmt.Errorf("authsvc: %w", err)
	}
	s.tree = t
	return s, nil
}

// Start opens the invitation registry, starts the tree service (which
// loads every authority this device is a leaf of) and the invite
// handler, and writes this device's DevicePeer fact into each authority.
func (s *Service) Start(ctx context.Context) error {
	reg, err := invite.OpenRegistry(ctx, s.env.Datastore, invite.RegistryConfig{Logger: s.log})
	if err != nil {
		return fmt.Errorf("authsvc: %w", err)
	}
	s.reg = reg
	inv, err := invite.NewService(invite.Config{Sender: s.env.Sender, Registry: reg, OnJoin: s.onJoin,
		Now: s.cfg.Now, JoinTimeout: s.cfg.JoinTimeout, Reporter: s.env.Host, Logger: s.log.With("sub", "invite")})
	if err != nil {
		return fmt.Errorf("authsvc: %w", err)
	}
	s.inv = inv
	if err := s.sync.attach(s.tree); err != nil {
		return errors.Join(fmt.Errorf("authsvc: sync: %w", err), inv.Close())
	}
	resumed := s.prepareResumes(ctx)
	if err := s.tree.Start(ctx); err != nil {
		return errors.Join(fmt.Errorf("authsvc: %w", err), s.tree.Close(), s.sync.detach(), inv.Close())
	}
	inv.Start()
	s.env.Sender.Handle(HintProtocol, s.handleHints)
	loop, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	s.announceAll(ctx)
	s.wg.Add(1)
	go s.addrLoop(loop)
	if len(resumed) > 0 {
		s.wg.Add(1)
		go s.announceWhenListed(loop, resumed)
	}
	return nil
}

// Close stops the address loop, the invite handler and the tree service.
func (s *Service) Close() error {
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
	if s.stop != nil {
		s.stop()
	}
	s.wg.Wait()
	s.env.Sender.RemoveHandler(HintProtocol)
	var errs []error
	if s.inv != nil {
		errs = append(errs, s.inv.Close())
	}
	errs = append(errs, s.tree.Close(), s.sync.detach())
	return errors.Join(errs...)
}

func (s *Service) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return ErrNotRunning
	}
	return nil
}

// Tree is the tree ceremony service.
func (s *Service) Tree() *treesvc.Service { return s.tree }

// Device is this device's keys.
func (s *Service) Device() *node.Device { return s.dev }

// Refresh tells the tree service that ns changed (sync stored facts).
func (s *Service) Refresh(ctx context.Context, ns journal.Namespace) error {
	if ns.Kind != journal.KindAuthority {
		return nil
	}
	return s.tree.Refresh(ctx, ns)
}

// addrLoop rewrites this device's DevicePeer facts whenever its listen
// addresses change.
func (s *Service) addrLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.PeerRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.addrsChanged() {
			s.announceAll(ctx)
		}
	}
}

func (s *Service) addrsChanged() bool {
	cur := s.addrs()
	s.mu.Lock()
	defer s.mu.Unlock()
	return !slices.EqualFunc(cur, s.lastAddrs, func(a, b ma.Multiaddr) bool { return a.Equal(b) })
}

// addrs are the host's addresses, at most invite.MaxAddrs of at most
// invite.MaxAddrBytes each (the bounds an invitation code takes).
func (s *Service) addrs() []ma.Multiaddr {
	var out []ma.Multiaddr
	for _, a := range s.env.Host.Addrs() {
		if len(a.Bytes()) <= invite.MaxAddrBytes && len(out) < invite.MaxAddrs {
			out = append(out, a)
		}
	}
	return out
}

// announceAll writes this device's DevicePeer fact into every authority
// it belongs to.
func (s *Service) announceAll(ctx context.Context) {
	for _, aid := range s.tree.Authorities() {
		if err := s.announce(ctx, aid); err != nil {
			s.log.Warn("device peer fact not written", "authority", aid, "err", err)
		}
	}
}

// announce writes this device's DevicePeer fact into aid's namespace and
// pushes it to the other devices (SPEC §3 DevicePeer: "written by each
// device at start and whenever its addresses change").
func (s *Service) announce(ctx context.Context, aid journal.AuthorityID) error {
	addrs := s.addrs()
	s.mu.Lock()
	s.lastAddrs = addrs
	s.mu.Unlock()
	ns := journal.AuthorityNS(aid)
	s.announceMu.Lock()
	defer s.announceMu.Unlock()
	raw := devicePeerFact(ns, s.dev, s.self, addrs, s.nextSeq(ns))
	if err := s.sync.write(ctx, ns, raw); err != nil {
		return err
	}
	s.cfg.Metrics.DevicePeerWritten()
	return nil
}

// nextSeq is the Seq of this device's next DevicePeer fact in ns: Unix
// ms, but always above the largest Seq this device wrote there (SPEC §3:
// the register keeps the larger Seq), so a clock stepped back across a
// restart, or two writes in one millisecond, still supersede the old
// fact.
func (s *Service) nextSeq(ns journal.Namespace) uint64 {
	return max(uint64(s.cfg.Now().UnixMilli()), s.book.ownSeq(ns)+1)
}
