package driver

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// inbound is one decoded message for the owner goroutine.
type inbound struct {
	from consensus.WitnessID
	msg  consensus.Message
}

// result is a Propose outcome.
type result struct {
	fact consensus.CommitFact
	err  error
}

// Service runs one consensus core over the network (SPEC §5). One
// goroutine owns the core; public methods enqueue a request and wait
// with ctx. It is safe for concurrent use.
type Service struct {
	cfg       Config
	log       *slog.Logger
	ns        journal.Namespace
	budgetCtx journal.ContextID
	opener    *opener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	reqs   chan func()
	in     chan inbound

	// owner goroutine only:
	node     *consensus.Node
	writers  map[consensus.WitnessID]*writer
	topicW   *writer
	lastGate *gate
	waiters  map[[32]byte]chan result
	started  map[[32]byte]time.Time
	execSent map[[32]byte]time.Time

	streams streamSet
	rate    peerRate
	com     atomic.Pointer[consensus.Committee] // current committee, for non-owner readers
	sub     p2p.Subscription
}

// New builds a Service, reloading the vote log from cfg.Datastore and the
// decided set from cfg.Journal. Start runs it.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{cfg: cfg, log: cfg.Logger, ns: cfg.Core.Scope.Committee().Scope,
		budgetCtx: AuthorityCtx(cfg.Authority), reqs: make(chan func()), in: make(chan inbound, 256),
		writers: map[consensus.WitnessID]*writer{}, waiters: map[[32]byte]chan result{},
		started: map[[32]byte]time.Time{}, execSent: map[[32]byte]time.Time{}}
	if cfg.FallbackTopic != "" {
		o, err := newOpener(cfg.FallbackKey)
		if err != nil {
			return nil, err
		}
		s.opener = o
	}
	nd, err := s.buildNode(ctx)
	if err != nil {
		return nil, err
	}
	s.node = nd
	com := cfg.Core.Scope.Committee()
	s.com.Store(&com)
	return s, nil
}

// buildNode makes a core from durable state (vote log, stored commits).
func (s *Service) buildNode(ctx context.Context) (*consensus.Node, error) {
	votes, err := LoadVotes(ctx, s.cfg.Datastore)
	if err != nil {
		return nil, err
	}
	commits, err := LoadCommits(ctx, s.cfg.Journal, s.ns)
	if err != nil {
		return nil, err
	}
	cc := s.cfg.Core
	cc.Votes, cc.Decided = votes, commits
	return consensus.New(cc)
}

// Start registers the stream handler and topic, announces commitments
// (SPEC §5.4) and runs the owner goroutine until Close.
func (s *Service) Start() error {
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.cfg.Sender.Handle(protocols.Consensus, s.handleStream)
	if s.opener != nil {
		sub, err := s.cfg.Sender.Subscribe(s.cfg.FallbackTopic, fallbackForwardKind, s.validate)
		if err != nil {
			s.cancel()
			return err
		}
		s.sub = sub
		s.wg.Add(1)
		go s.readTopic()
	}
	s.wg.Add(1)
	go s.run()
	return s.do(s.ctx, func() {
		s.node.Start(time.Now())
		s.flush()
	})
}

// Close stops the service and waits for its goroutines. Instances in
// flight are abandoned (their vote log stays durable).
func (s *Service) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.cfg.Sender.RemoveHandler(protocols.Consensus)
	s.cancel()
	if s.sub != nil {
		s.sub.Cancel()
	}
	s.streams.resetAll()
	s.wg.Wait()
	return nil
}

// do runs f on the owner goroutine and waits for it.
func (s *Service) do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case s.reqs <- func() { f(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
	select {
	case <-done:
		return nil
	case <-s.ctx.Done():
		return ErrClosed
	}
}

func (s *Service) run() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case f := <-s.reqs:
			f()
		case m := <-s.in:
			s.step(m)
		case <-t.C:
			s.tick()
		}
	}
}

// Propose runs op to a Commit at the current prestate (SPEC §5.5). It
// returns the stored CommitFact, consensus.ErrInvalidOp (nothing sent),
// consensus.ErrConsensusTimeout (outcome unknown), consensus.ErrConflict,
// or ctx's error (the instance keeps running).
func (s *Service) Propose(ctx context.Context, op []byte) (consensus.CommitFact, error) {
	ch := make(chan result, 1)
	var cid [32]byte
	err := s.do(ctx, func() {
		now := time.Now()
		c, err := s.node.Propose(op, now)
		if err != nil {
			ch <- result{err: err}
			return
		}
		cid = c
		s.waiters[c], s.started[c] = ch, now
		s.flush()
	})
	if err != nil {
		return consensus.CommitFact{}, err
	}
	select {
	case r := <-ch:
		return r.fact, r.err
	case <-ctx.Done():
		_ = s.do(context.Background(), func() { delete(s.waiters, cid) })
		return consensus.CommitFact{}, ctx.Err()
	case <-s.ctx.Done():
		return consensus.CommitFact{}, ErrClosed
	}
}

// SetScope installs a new reduced state and keys (after a commit, sync or
// key change).
func (s *Service) SetScope(ctx context.Context, sc consensus.Scope, keys consensus.Keys) error {
	var err error
	if derr := s.do(ctx, func() {
		err = s.node.SetScope(sc, keys, time.Now())
		if err == nil {
			com := sc.Committee()
			s.com.Store(&com)
		}
		s.flush()
	}); derr != nil {
		return derr
	}
	return err
}

// Resolve reports the chain-walk result of a committed instance.
func (s *Service) Resolve(ctx context.Context, cid [32]byte, applied bool) error {
	return s.do(ctx, func() { s.node.Resolve(cid, applied); s.flush() })
}

// Decided returns the stored Commit of cid, if any.
func (s *Service) Decided(ctx context.Context, cid [32]byte) (consensus.CommitFact, bool, error) {
	var f consensus.CommitFact
	var ok bool
	err := s.do(ctx, func() { f, ok = s.node.Decided(cid) })
	return f, ok, err
}

// Timing returns the core's T_fallback, round length and InstanceTimeout.
func (s *Service) Timing(ctx context.Context) (tfb, round, timeout time.Duration, err error) {
	err = s.do(ctx, func() { tfb, round, timeout = s.node.Timing() })
	return
}

// step feeds one inbound message to the core.
func (s *Service) step(m inbound) {
	now := time.Now()
	if ss, ok := m.msg.(*consensus.SignShare); ok && s.cfg.RTT == nil {
		if t0, ok := s.execSent[ss.CID]; ok {
			s.node.ObserveRTT(m.from, now.Sub(t0))
		}
	}
	if err := s.node.Step(m.from, m.msg, now); err != nil {
		s.log.Debug("step refused", "peer", fmt.Sprintf("%x", m.from[:4]), "err", err)
	}
	s.flush()
}

func (s *Service) tick() {
	now := time.Now()
	if s.cfg.RTT != nil {
		s.observePeerRTT()
	}
	s.node.Tick(now)
	s.flush()
	s.cfg.Metrics.OldestInstanceAge(s.node.OldestUndecided(now)) // after flush: a rebuilt core holds none
	for cid, t0 := range s.execSent {
		if now.Sub(t0) > time.Minute {
			delete(s.execSent, cid)
		}
	}
}

func (s *Service) observePeerRTT() {
	for _, m := range s.com.Load().Members {
		if m.Witness == s.cfg.Core.Self {
			continue
		}
		if p, ok := s.cfg.Peers.PeerOf(m.Witness); ok {
			if d := s.cfg.RTT(p); d > 0 {
				s.node.ObserveRTT(m.Witness, d)
			}
		}
	}
}

// rebuild replaces the core after a failed durable batch: nonces die,
// the vote log and commits come back from disk (consensus doc.go).
func (s *Service) rebuild() {
	nd, err := s.buildNode(s.ctx)
	if err != nil {
		s.log.Error("rebuild failed", "err", err)
		return
	}
	s.node, s.lastGate = nd, nil
	for cid, ch := range s.waiters {
		ch <- result{err: fmt.Errorf("%w: instance abandoned", ErrJournal)}
		delete(s.waiters, cid)
	}
	s.node.Start(time.Now())
	s.flush()
}
