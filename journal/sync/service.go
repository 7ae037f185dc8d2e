package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Service is the anti-entropy driver of /aura/sync/1.0.0 (SPEC §9): every
// SyncInterval it reconciles each served namespace with one member peer,
// pushes local writes at once, and serves inbound sessions.
//
// One goroutine (run) owns the scheduler and the namespace table; it
// publishes an immutable view that sessions read. Sessions run on their
// own goroutines (outbound) or the transport's handler goroutines
// (inbound) and report back to run. Close stops run and waits for every
// session. All methods are safe for concurrent use.
type Service struct {
	cfg ServiceConfig
	snd *flow.Sender
	j   *journal.Journal

	view    atomic.Pointer[view]
	reqs    chan func()
	changed chan struct{}
	results resultQueue // session results for run; never blocks a session

	ctx    context.Context
	cancel context.CancelFunc
	runWG  gosync.WaitGroup

	life     gosync.Mutex // guards closed and sessions.Add only
	closed   bool
	sessions gosync.WaitGroup

	// schedMu guards sched. run books and releases sessions; inbound
	// admission (nsResolver.serve) takes it directly so a handler never
	// waits on run. It is never held across I/O.
	schedMu gosync.Mutex
	sched   *scheduler

	// trusted holds Service.Trust's devices per namespace (run goroutine).
	trusted map[journal.Namespace][]TrustedDevice
}

// NewService validates cfg, registers the /aura/sync/1.0.0 handler on the
// node's guarded Sender and starts the run goroutine. Every frame the
// service writes is a guarded send through snd and every inbound frame
// passes snd's Receiver (SPEC §9 "Guards"). keys lists the namespaces to
// serve; the journal must be a member of each (journal.Join). Run at most
// one Service per Sender: the handler of a second one replaces the
// first's, and either's Close removes it. Context and authority
// namespaces share one Service (Join adds namespaces at any time).
func NewService(snd *flow.Sender, j *journal.Journal, cfg ServiceConfig, keys ...NamespaceKeys) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{cfg: cfg, snd: snd, j: j, reqs: make(chan func()), results: newResultQueue(),
		changed: make(chan struct{}, 1), sched: newScheduler(cfg, snd.Self()),
		trusted: map[journal.Namespace][]TrustedDevice{}}
	s.view.Store(&view{byNS: map[journal.Namespace]*nsView{}})
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, k := range keys {
		if err := s.install(k); err != nil {
			s.cancel()
			return nil, err
		}
	}
	snd.Handle(protocols.Sync, s.handle)
	s.runWG.Add(1)
	go s.run()
	return s, nil
}

// install reduces k's namespace and publishes it (run goroutine or
// before run starts).
func (s *Service) install(k NamespaceKeys) error {
	if err := k.validate(); err != nil {
		return err
	}
	if !s.j.IsMember(k.NS) {
		return fmt.Errorf("%w: journal is not a member of the namespace", ErrConfig)
	}
	return s.refresh(k)
}

// refresh re-reduces k.NS: the one reduction per session (SPEC §9 step 6).
func (s *Service) refresh(k NamespaceKeys) error {
	nv, err := newNSView(s.ctx, s.j, s.cfg.Registry, k, s.trusted[k.NS], s.snd.Self())
	if err != nil {
		return err
	}
	s.view.Store(s.view.Load().with(nv))
	s.schedMu.Lock()
	s.sched.setPeers(k.NS, nv.peers)
	s.schedMu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

// Changed is signalled (capacity 1, coalescing) after each reduction of
// a served namespace: a session stored entries or Write was called.
func (s *Service) Changed() <-chan struct{} { return s.changed }

// Join starts serving k, or re-reduces it if already served (for facts
// added to the journal directly). Joining a served namespace again
// replaces its keys: this is how an authority namespace's secrets change
// at runtime (Join(ctx, AuthorityKeys(ns, [AuthoritySecret_0..k], …))
// after a key rotation). Sessions already running keep the keys they
// started with.
func (s *Service) Join(ctx context.Context, k NamespaceKeys) error {
	return s.call(ctx, func() error { return s.install(k) })
}

// Trust adds d to authority namespace ns's trusted devices (see
// NamespaceKeys.Trusted): while ns's reduced state has no devices, this
// node accepts d as responder and may SyncNow with d.Peer — a joiner
// calls it with its Invite's InviterDeviceKey and peer (SPEC §4.1 step
// 2). The trust survives later Joins of ns and is ignored once ns
// reduces to a Genesis. If ns is served it is re-reduced at once.
func (s *Service) Trust(ctx context.Context, ns journal.Namespace, d TrustedDevice) error {
	if ns.Kind != journal.KindAuthority {
		return fmt.Errorf("%w: trusted devices are for authority namespaces", ErrConfig)
	}
	return s.call(ctx, func() error {
		for _, t := range s.trusted[ns] {
			if t == d {
				return nil
			}
		}
		s.trusted[ns] = append(s.trusted[ns], d)
		if nv, ok := s.view.Load().byNS[ns]; ok {
			return s.refresh(nv.keys)
		}
		return nil
	})
}

// Write adds raw local facts of ns through the journal (ingress, one
// batch), re-reduces ns and pushes the stored entries to the live member
// peers at once (≤ SyncAnnounceMax each, SPEC §9 push mode).
func (s *Service) Write(ctx context.Context, ns journal.Namespace, raws ...[]byte) ([]journal.Result, error) {
	res, err := s.j.Add(ctx, ns, time.Now(), raws...)
	if err != nil {
		return nil, err
	}
	var ids []journal.EntryID
	for _, r := range res {
		if r.Outcome == journal.Stored {
			ids = append(ids, r.Entry.ID)
		}
	}
	return res, s.call(ctx, func() error { return s.written(ns, ids) })
}

// written is Write's step on the run goroutine.
func (s *Service) written(ns journal.Namespace, ids []journal.EntryID) error {
	nv, ok := s.view.Load().byNS[ns]
	if !ok {
		return fmt.Errorf("%w: namespace not served", ErrConfig)
	}
	if err := s.refresh(nv.keys); err != nil {
		return err
	}
	if len(ids) > 0 {
		s.push(s.view.Load().byNS[ns], ids)
	}
	return nil
}

// call runs f on the run goroutine and waits for it.
func (s *Service) call(ctx context.Context, f func() error) error {
	errc := make(chan error, 1)
	select {
	case s.reqs <- func() { errc <- f() }:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
}

// Close unregisters the handler, stops the run goroutine, aborts every
// session and waits for all of them.
func (s *Service) Close() error {
	s.life.Lock()
	if s.closed {
		s.life.Unlock()
		return nil
	}
	s.closed = true
	s.life.Unlock()
	s.snd.RemoveHandler(protocols.Sync)
	s.cancel()
	s.runWG.Wait()
	s.sessions.Wait()
	return nil
}

// enter registers a session with Close unless closed; the caller must
// call s.sessions.Done when it ends.
func (s *Service) enter() bool {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return false
	}
	s.sessions.Add(1)
	return true
}

// goSession starts f as a tracked session goroutine unless closed.
func (s *Service) goSession(f func()) bool {
	if !s.enter() {
		return false
	}
	go func() {
		defer s.sessions.Done()
		f()
	}()
	return true
}

// run is the owner loop.
func (s *Service) run() {
	defer s.runWG.Done()
	t := time.NewTicker(s.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			s.drain()
			return
		case <-t.C:
			s.tick(time.Now())
		case f := <-s.reqs:
			f()
		case <-s.results.ready:
			for _, r := range s.results.take() {
				s.finish(r)
			}
		}
	}
}

// drain consumes results until every session has exited.
func (s *Service) drain() {
	idle := make(chan struct{})
	go func() { s.sessions.Wait(); close(idle) }()
	for {
		select {
		case <-s.results.ready:
			s.results.take()
		case f := <-s.reqs:
			_ = f
		case <-idle:
			return
		}
	}
}

// tick starts one reconcile session per namespace (SPEC §9 schedule).
func (s *Service) tick(now time.Time) {
	live := s.liveSet()
	v := s.view.Load()
	for _, ns := range v.order {
		s.reconcile(v.byNS[ns], now, live)
	}
}

// liveSet returns the Liveness filter (nil: all).
func (s *Service) liveSet() func(peer.ID) bool {
	if s.cfg.Liveness == nil {
		return nil
	}
	ps := s.cfg.Liveness.ConnectedPeers()
	slices.Sort(ps)
	return func(p peer.ID) bool { _, ok := slices.BinarySearch(ps, p); return ok }
}

// reconcile books the next eligible peer for nv's namespace and starts
// an outbound session that opens the stream on its own goroutine (SPEC
// §9 schedule). A failed open is reported like a failed session, so a
// later tick tries the next peer of the rotation; run never waits on the
// network.
func (s *Service) reconcile(nv *nsView, now time.Time, live func(peer.ID) bool) {
	s.schedMu.Lock()
	cs := s.sched.candidates(nv.keys.NS, now, live)
	if len(cs) > 0 {
		s.sched.started(nv.keys.NS, cs[0])
	}
	s.schedMu.Unlock()
	if len(cs) > 0 {
		s.startOutbound(cs[0], nv, ModeReconcile, nil, nil)
	}
}

// push announces ids to every live member peer without a session: one
// booked outbound session per peer not already busy, each opening its
// stream on its own goroutine (at most one per (peer, namespace)).
func (s *Service) push(nv *nsView, ids []journal.EntryID) {
	ids = ids[:min(len(ids), s.cfg.Session.AnnounceMax)]
	live := s.liveSet()
	var booked []peer.ID
	s.schedMu.Lock()
	for _, p := range nv.peers {
		if (live == nil || live(p)) && s.sched.tryPush(nv.keys.NS, p) {
			booked = append(booked, p)
		}
	}
	s.schedMu.Unlock()
	for _, p := range booked {
		s.startOutbound(p, nv, ModePush, slices.Clone(ids), nil)
	}
}

// startOutbound runs an initiator session with the booked peer p on its
// own goroutine: open, run, report. If the service is closed the booking
// is released at once.
func (s *Service) startOutbound(p peer.ID, nv *nsView, mode Mode, ids []journal.EntryID, done chan<- error) {
	ok := s.goSession(func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.SyncRoundTimeout)
		defer cancel()
		st, err := s.snd.Open(ctx, p, protocols.Sync)
		if err != nil {
			s.cfg.Logger.Debug("sync open failed", "peer", p, "err", err)
			s.report(sessionResult{ns: nv.keys.NS, peer: p, sync: mode == ModeReconcile, err: err,
				unopened: true, done: done})
			return
		}
		r := s.runInitiator(ctx, st, nv, mode, ids)
		r.done = done
		s.report(r)
	})
	if !ok {
		s.release(nv.keys.NS, p)
		if done != nil {
			done <- ErrClosed
		}
	}
}

// SyncNow runs one reconcile session as initiator with peer p for the
// served namespace ns and returns when it has ended and been accounted
// (its stored entries reduced, OnStored called): nil on success, else
// the session's error (ErrBusy if a session with p for ns is already
// running outbound, ErrConfig if ns is not served or p is not a member
// peer — a DevicePeer of a current member or a Trusted device). It
// ignores SyncPeerGap and backoff; its outcome updates them like a
// scheduled session's.
func (s *Service) SyncNow(ctx context.Context, ns journal.Namespace, p peer.ID) error {
	done := make(chan error, 1)
	if err := s.call(ctx, func() error { return s.syncNow(ns, p, done) }); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
}

// syncNow books p and starts SyncNow's session (run goroutine).
func (s *Service) syncNow(ns journal.Namespace, p peer.ID, done chan<- error) error {
	nv, ok := s.view.Load().byNS[ns]
	if !ok {
		return fmt.Errorf("%w: namespace not served", ErrConfig)
	}
	if _, ok := nv.authors[p]; !ok {
		return fmt.Errorf("%w: peer is not a member peer of the namespace", ErrConfig)
	}
	s.schedMu.Lock()
	booked := s.sched.tryPush(ns, p)
	s.schedMu.Unlock()
	if !booked {
		return fmt.Errorf("%w: a session with the peer is running", ErrBusy)
	}
	s.startOutbound(p, nv, ModeReconcile, nil, done)
	return nil
}

// release frees an outbound booking that never ran.
func (s *Service) release(ns journal.Namespace, p peer.ID) {
	s.schedMu.Lock()
	s.sched.finished(ns, p, false, false, true, time.Now())
	s.schedMu.Unlock()
}

// report hands a sessionResult to run without blocking (dropped once
// run has stopped).
func (s *Service) report(r sessionResult) { s.results.put(r) }

// finish accounts a session on the run goroutine.
func (s *Service) finish(r sessionResult) {
	if r.unopened {
		s.openFailed(r)
		r.notify()
		return
	}
	if r.ns != (journal.Namespace{}) {
		s.schedMu.Lock()
		s.sched.finished(r.ns, r.peer, r.inbound, r.sync, r.err == nil, time.Now())
		s.schedMu.Unlock()
	}
	s.account(r)
	defer r.notify()
	if r.stored == 0 {
		return
	}
	if nv, ok := s.view.Load().byNS[r.ns]; ok {
		if err := s.refresh(nv.keys); err != nil {
			s.cfg.Logger.Warn("sync reduction failed", "err", err)
		}
	}
	if s.cfg.OnStored != nil {
		s.cfg.OnStored(r.ns, r.stored)
	}
}

// openFailed releases the booking of an outbound session whose stream
// did not open. A peer without a live connection or without the protocol
// is only released (the rotation has moved past it, so the next tick
// tries another peer); any other failure of a reconcile open backs the
// peer off like a failed session.
func (s *Service) openFailed(r sessionResult) {
	ok := !r.sync || errors.Is(r.err, p2p.ErrUnreachable) || errors.Is(r.err, p2p.ErrNoProtocol)
	s.schedMu.Lock()
	s.sched.finished(r.ns, r.peer, false, false, ok, time.Now())
	s.schedMu.Unlock()
}

// account updates metrics and misbehaviour for one session.
func (s *Service) account(r sessionResult) {
	m := s.cfg.Metrics
	m.Round(ResultLabel(r.outcome, r.err))
	m.Symbols(r.stats.Symbols)
	m.FactsStored(r.stored)
	m.Bytes("sent", r.out)
	m.Bytes("received", r.in)
	if dm, ok := m.(DurationMetrics); ok && !r.start.IsZero() {
		dm.Duration(time.Since(r.start))
	}
	if r.err == nil {
		return
	}
	reason := ResetReason(r.err)
	m.Reset(reason)
	s.cfg.Logger.Debug("sync session reset", "peer", r.peer, "inbound", r.inbound, "reason", reason, "err", r.err)
	if s.cfg.Reporter == nil {
		return
	}
	var rej *receipt.RejectError
	switch {
	case Misbehaviour(r.err):
		s.cfg.Reporter.ReportMisbehaviour(r.peer, string(protocols.Sync), reason)
	case errors.As(r.err, &rej) && rej.Outcome.Misbehaviour(): // bad_sig, bad_chain (SPEC §6.6)
		s.cfg.Reporter.ReportMisbehaviour(r.peer, string(protocols.Sync), rej.Outcome.String())
	}
}

// handle serves one inbound stream on the transport's handler goroutine.
func (s *Service) handle(st *flow.Stream) {
	if !s.enter() {
		_ = st.Reset()
		return
	}
	defer s.sessions.Done()
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.SyncRoundTimeout)
	defer cancel()
	rs := &nsResolver{s: s, ctx: ctx, peer: st.RemotePeer()}
	r := s.runResponder(ctx, st, rs)
	if !rs.acquired {
		r.ns = journal.Namespace{} // nothing to release
	}
	s.report(r)
}

// nsResolver resolves a Hello against the served namespaces and admits
// the session (SPEC §9 bounds).
type nsResolver struct {
	s        *Service
	ctx      context.Context
	peer     peer.ID
	ns       journal.Namespace
	acquired bool
	busy     bool
	g        *sessionGuard // the session's guard, bound on resolution
}

// Resolve implements Resolver.
func (rs *nsResolver) Resolve(nonceI, ref [16]byte, pI, pR []byte) (Served, bool) {
	v := rs.s.view.Load()
	for _, ns := range v.order {
		nv := v.byNS[ns]
		i, ok := MatchRef(nv.keys.Secrets, nonceI, ref, pI, pR)
		if !ok {
			continue
		}
		rs.g.cid, rs.g.nonceI, rs.g.authority = journal.ContextID(ns.ID), nonceI, nv.authority()
		return rs.serve(nv, i)
	}
	return Served{}, false
}

func (rs *nsResolver) serve(nv *nsView, epoch int) (Served, bool) {
	ns := nv.keys.NS
	rs.s.schedMu.Lock()
	admitted := rs.s.sched.acquireInbound(ns, rs.peer)
	rs.s.schedMu.Unlock()
	if !admitted {
		rs.busy = true
		return Served{}, false
	}
	rs.ns, rs.acquired = ns, true
	set, err := rs.s.snapshot(rs.ctx, ns)
	if err != nil {
		return Served{}, false
	}
	return Served{S: nv.keys.Secrets[epoch], Set: set, Members: nv.members,
		Entries: journalEntries{ctx: rs.ctx, j: rs.s.j, ns: ns}, Signer: nv.keys.Signer, Guard: rs.g}, true
}
