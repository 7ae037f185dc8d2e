package treesvc

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/consensus/driver"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// auth is one authority this device holds (or is joining).
type auth struct {
	aid journal.AuthorityID
	ns  journal.Namespace

	propMu    sync.Mutex // one local proposal at a time
	refreshMu sync.Mutex // serialises refresh; guards the driver fields

	// guarded by Service.mu:
	res       *tree.Result
	secrets   map[uint64][]byte        // AuthoritySecret by key epoch
	opened    map[journal.EntryID]bool // entries whose SealedSecrets were examined
	committed map[[32]byte]struct{}    // cids the driver committed, not yet resolved
	joining   *joining                 // non-nil while Join runs
	catchUp   catchUpGate              // DKGStart catch-up rate limit (catchup.go)
	resume    *resumer                 // non-nil while a pending join resumes (pending.go)

	// guarded by refreshMu:
	drv         *driver.Service
	drvRoot     [32]byte
	drvEpoch    uint64
	drvKey      [32]byte // GroupKey of keys
	keys        consensus.Keys
	secretsSent [32]byte // secretsDigest of the list last handed to the Syncer
}

func (a *auth) state() *tree.TreeState {
	if a.res == nil {
		return nil
	}
	return a.res.State
}

// Service runs the authority ceremonies of one device (SPEC §4.1): DKG,
// consensus on the op in the current committee, the reduction of every
// authority namespace it belongs to, and the consensus drivers of those
// authorities. Safe for concurrent use.
type Service struct {
	cfg     Config
	log     *slog.Logger
	reducer *tree.Reducer
	self    journal.DeviceID

	rerequest ResumeRequest // re-sends a pending join's JoinRequest; set before Start (pending.go)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	kick   chan struct{}

	mu      sync.Mutex
	started bool
	closed  bool
	dkg     *dkgsvc.Service
	auths   map[journal.AuthorityID]*auth
	dirty   map[journal.AuthorityID]struct{}
}

// New builds a Service; Start loads the authorities and runs it.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: cfg.Logger, reducer: tree.NewReducer(tree.Config{Logger: cfg.Logger}),
		self: cfg.Device.ID(), ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1),
		auths: map[journal.AuthorityID]*auth{}, dirty: map[journal.AuthorityID]struct{}{}}, nil
}

// Start loads every authority namespace of the journal in which this
// device is a leaf, joins it, starts its consensus driver (t ≥ 2) with
// the share stored for its key epoch, and serves DKGStarts.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.started {
		s.mu.Unlock()
		return fmt.Errorf("%w: started twice", ErrConfig)
	}
	s.started = true
	s.mu.Unlock()
	s.wg.Add(1)
	go s.refresher()
	for _, ns := range s.cfg.Journal.Store().Namespaces() {
		if ns.Kind != journal.KindAuthority {
			continue
		}
		if err := s.load(ctx, ns); err != nil {
			return err
		}
	}
	return s.resumeJoins(ctx)
}

// load adopts ns if this device is a current leaf of its reduced state.
func (s *Service) load(ctx context.Context, ns journal.Namespace) error {
	ents, err := s.cfg.Journal.Store().Entries(ctx, ns)
	if err != nil {
		return err
	}
	res, err := s.reducer.Reduce(ns, ents)
	if err != nil {
		return err
	}
	if !res.HasGenesis() {
		return nil
	}
	if _, ok := res.State.LeafByDevice(s.self); !ok {
		return nil
	}
	s.cfg.Journal.Join(ns)
	a, err := s.adopt(journal.AuthorityID(ns.ID))
	if err != nil {
		return err
	}
	return s.refresh(ctx, a)
}

// adopt registers aid (idempotent) and makes sure the DKG service runs.
func (s *Service) adopt(aid journal.AuthorityID) (*auth, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.dkg == nil {
		if err := s.startDKGLocked(aid); err != nil {
			return nil, err
		}
	}
	a := s.auths[aid]
	if a == nil {
		a = &auth{aid: aid, ns: journal.AuthorityNS(aid), secrets: map[uint64][]byte{},
			opened: map[journal.EntryID]bool{}, committed: map[[32]byte]struct{}{}}
		s.auths[aid] = a
	}
	return a, nil
}

// startDKGLocked builds the device's dkgsvc.Service. Its frames charge
// the internal budget context of the first authority this device holds
// (one DKG handler per Sender; see doc.go).
func (s *Service) startDKGLocked(first journal.AuthorityID) error {
	d, err := dkgsvc.New(dkgsvc.Config{Sender: s.cfg.Sender, Datastore: s.cfg.Datastore,
		BudgetCtx: driver.AuthorityCtx(first), Authorise: s.authorise, Rand: s.cfg.Rand,
		Timeout: s.cfg.DKGTimeout, Logger: s.log, Metrics: s.cfg.DKGMetrics})
	if err != nil {
		return err
	}
	d.Start()
	s.dkg = d
	s.wg.Add(1)
	go s.followStarts(d)
	return nil
}

// Close stops the drivers, the DKG service and the service's goroutines.
// Stored state stays; a new Service on the same stores resumes it.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	auths := make([]*auth, 0, len(s.auths))
	for _, a := range s.auths {
		auths = append(auths, a)
	}
	d := s.dkg
	s.mu.Unlock()
	s.cancel()
	if d != nil {
		_ = d.Close()
	}
	for _, a := range auths {
		a.refreshMu.Lock()
		s.closeDriver(a)
		a.refreshMu.Unlock()
	}
	s.wg.Wait()
	return nil
}

func (s *Service) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// get returns the authority aid.
func (s *Service) get(aid journal.AuthorityID) (*auth, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	a := s.auths[aid]
	if a == nil {
		return nil, ErrUnknownAuthority
	}
	return a, nil
}

// Authorities lists the authorities of which this device is a current
// leaf, ascending.
func (s *Service) Authorities() []journal.AuthorityID {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []journal.AuthorityID
	for aid, a := range s.auths {
		if st := a.state(); st != nil {
			if _, ok := st.LeafByDevice(s.self); ok {
				out = append(out, aid)
			}
		}
	}
	slices.SortFunc(out, func(x, y journal.AuthorityID) int { return bytes.Compare(x[:], y[:]) })
	return out
}

// State returns the reduced TreeState of aid (never modify it).
func (s *Service) State(aid journal.AuthorityID) (*tree.TreeState, error) {
	a, err := s.get(aid)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := a.state()
	if st == nil {
		return nil, ErrUnknownAuthority
	}
	return st, nil
}

// View returns the JSON-friendly reduced state of aid.
func (s *Service) View(aid journal.AuthorityID) (View, error) {
	st, err := s.State(aid)
	if err != nil {
		return View{}, err
	}
	return viewOf(aid, st, s.self), nil
}

// Secrets returns every AuthoritySecret of aid this device opened, by key
// epoch (copies).
func (s *Service) Secrets(aid journal.AuthorityID) (map[uint64][]byte, error) {
	a, err := s.get(aid)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[uint64][]byte, len(a.secrets))
	for k, v := range a.secrets {
		out[k] = slices.Clone(v)
	}
	return out, nil
}

// Refresh re-reduces ns after the journal changed (sync stored facts),
// updates the driver's scope and keys and resolves decided instances.
func (s *Service) Refresh(ctx context.Context, ns journal.Namespace) error {
	if ns.Kind != journal.KindAuthority {
		return nil
	}
	a, err := s.get(journal.AuthorityID(ns.ID))
	if err != nil {
		return err
	}
	return s.refresh(ctx, a)
}

// markDirty queues aid for the refresher goroutine (non-blocking).
func (s *Service) markDirty(aid journal.AuthorityID) {
	s.mu.Lock()
	s.dirty[aid] = struct{}{}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// refresher re-reduces authorities marked dirty by driver outcomes.
func (s *Service) refresher() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.kick:
		}
		s.mu.Lock()
		var todo []*auth
		for aid := range s.dirty {
			if a := s.auths[aid]; a != nil {
				todo = append(todo, a)
			}
		}
		clear(s.dirty)
		s.mu.Unlock()
		for _, a := range todo {
			if err := s.refresh(s.ctx, a); err != nil && s.ctx.Err() == nil {
				s.log.Warn("refresh failed", "authority", a.aid.String(), "err", err)
			}
		}
	}
}
