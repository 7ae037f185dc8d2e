package sync

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/journal"
)

// sessionResult is what a finished session reports to the run goroutine.
type sessionResult struct {
	ns      journal.Namespace
	peer    peer.ID
	inbound bool
	sync    bool // a reconcile session (push: false)
	outcome Outcome
	err     error
	stats   Stats
	stored  int
	in, out int       // frame bytes received / sent
	start   time.Time // when the session began (DurationMetrics)
	// unopened: the outbound stream never opened (err says why); only
	// the scheduler booking is released, no round is counted.
	unopened bool
	// done, if set (SyncNow), receives the session's error once run has
	// accounted it (capacity 1).
	done chan<- error
}

// notify hands the session's error to a waiting SyncNow.
func (r sessionResult) notify() {
	if r.done != nil {
		r.done <- r.err
	}
}

// conn is one session's guarded stream with the service's send, admit
// and ingest paths. It is used by exactly one goroutine.
type conn struct {
	s   *Service
	ctx context.Context
	st  *flow.Stream
	ns  journal.Namespace
	g   *sessionGuard
	res *sessionResult
}

// send writes frames in order, each a guarded send (sender.go).
func (c *conn) send(frames []Frame) error {
	return c.g.sendFrames(frames, func(n int) { c.res.out += n })
}

// recv reads and decodes one frame. io.EOF is a clean end of stream.
func (c *conn) recv() (Frame, error) {
	b, err := c.st.ReadFrame()
	if err != nil {
		// Framing errors (oversize, bad prefix) are the transport's to
		// count: p2p.Host resets and records the misbehaviour itself.
		return nil, err
	}
	c.res.in += len(b)
	f, err := DecodeFrame(b)
	if err != nil {
		return nil, err
	}
	if f.Kind() == KindHello {
		c.g.helloLen = len(b)
	}
	return f, nil
}

// ingest stores one Facts frame: ingress and one merge batch. It returns
// the entries that passed ingress.
func (c *conn) ingest(f Facts) ([]journal.Entry, error) {
	c.s.cfg.Metrics.Facts(len(f.Entries))
	if err := c.g.flush(); err != nil { // admissions before effects (SPEC §6.6)
		return nil, err
	}
	if len(f.Entries) == 0 {
		return nil, nil
	}
	res, err := c.s.j.Add(c.ctx, c.ns, time.Now(), f.Entries...)
	if err != nil {
		return nil, err
	}
	var ok []journal.Entry
	for _, r := range res {
		if r.Outcome != journal.Refused {
			ok = append(ok, r.Entry)
		}
		if r.Outcome == journal.Stored {
			c.res.stored++
		}
	}
	return ok, nil
}

// watch resets the stream when ctx ends (timeout or Close), so blocked
// reads return. The returned stop must be called.
func (c *conn) watch() func() bool {
	return context.AfterFunc(c.ctx, func() { _ = c.st.Reset() })
}

// fail maps err (a timeout or Close shows as a reset) and resets the
// stream.
func (c *conn) fail(err error) error {
	switch {
	case c.s.ctx.Err() != nil:
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	case c.ctx.Err() != nil:
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	c.g.release()
	_ = c.st.Reset()
	return err
}

// runInitiator drives an outbound session on st until R closes.
func (s *Service) runInitiator(ctx context.Context, st *flow.Stream, nv *nsView, mode Mode, announce []journal.EntryID) sessionResult {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	g := &sessionGuard{snd: s.snd, st: st, ctx: ctx, cid: journal.ContextID(nv.keys.NS.ID),
		peer: nv.authors[st.RemotePeer()], initiator: true, mode: mode, nonceI: nonce, authority: nv.authority()}
	c := &conn{s: s, ctx: ctx, st: st, ns: nv.keys.NS, g: g,
		res: &sessionResult{ns: nv.keys.NS, peer: st.RemotePeer(), sync: mode == ModeReconcile,
			start: time.Now()}}
	defer c.watch()()
	in, err := s.newInitiator(ctx, g, nv, announce)
	if err == nil {
		err = c.initiate(in)
	}
	if err != nil {
		err = c.fail(err)
	} else {
		_ = st.Close()
	}
	c.res.err, c.res.outcome, c.res.stats = err, in.outcomeOr(err), in.statsOr()
	return *c.res
}

func (s *Service) newInitiator(ctx context.Context, g *sessionGuard, nv *nsView, announce []journal.EntryID) (*Initiator, error) {
	if _, ok := nv.authors[g.st.RemotePeer()]; !ok {
		return nil, fmt.Errorf("%w: peer has no member authority", ErrConfig)
	}
	var tok [32]byte
	if !g.authority { // authority namespaces carry no token (SPEC §9 step 1)
		var err error
		if tok, err = s.snd.TokenHash(g.cid, g.peer); err != nil {
			return nil, err
		}
	}
	g.token = tok
	set, err := s.snapshot(ctx, nv.keys.NS)
	if err != nil {
		return nil, err
	}
	return NewInitiator(InitiatorConfig{
		Config: s.cfg.Session, S: nv.keys.Secrets[len(nv.keys.Secrets)-1], NonceI: g.nonceI,
		Local: []byte(s.snd.Self()), Remote: []byte(g.st.RemotePeer()), Mode: g.mode, Token: Token{Hash: tok},
		Set: set, Announce: announce, Members: nv.accept,
		Entries: journalEntries{ctx: ctx, j: s.j, ns: nv.keys.NS}, Signer: nv.keys.Signer, Guard: g,
	})
}

// snapshot takes E(ns) for a session (SPEC §9 "Set"), first letting the
// charge signer sign due FlowCharge registers (SPEC §6.4, lazy).
func (s *Service) snapshot(ctx context.Context, ns journal.Namespace) ([]journal.EntryID, error) {
	if s.cfg.Charges != nil {
		if _, err := s.cfg.Charges.AtSnapshot(ctx, ns, time.Now()); err != nil {
			s.cfg.Logger.Warn("sync: signing flow charges failed", "err", err)
		}
	}
	return s.j.EntryIDs(ctx, ns)
}

// outcomeOr is in's outcome, Aborted for a failed or missing session.
func (in *Initiator) outcomeOr(err error) Outcome {
	if in == nil || err != nil {
		return Aborted
	}
	return in.Outcome()
}

func (in *Initiator) statsOr() Stats {
	if in == nil {
		return Stats{}
	}
	return in.Stats()
}

// initiate runs the initiator loop: Hello, then one Step per frame; after
// End it half-closes and drains R's frames until end of stream.
func (c *conn) initiate(in *Initiator) error {
	out, err := in.Start()
	if err != nil {
		return err
	}
	if err := c.send(out); err != nil {
		return err
	}
	closed := false
	for {
		if in.Finished() && !closed {
			if err := c.st.CloseWrite(); err != nil {
				return err
			}
			closed = true
		}
		f, err := c.recv()
		if errors.Is(err, io.EOF) && in.Finished() {
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.g.admitFrame(f, in.credit); err != nil {
			return err
		}
		if out, err = in.Step(f); err != nil {
			return err
		}
		if err := c.initiatorFacts(in, f); err != nil {
			return err
		}
		if err := c.send(out); err != nil {
			return err
		}
	}
}

// initiatorFacts checks that every entry of R's Facts was wanted, then
// ingests them: an unwanted entry resets the session before anything of
// its frame is stored. Undecodable bytes are left to ingress (refused).
func (c *conn) initiatorFacts(in *Initiator, f Frame) error {
	facts, ok := f.(Facts)
	if !ok {
		return nil
	}
	for _, raw := range facts.Entries {
		id, ok := entryIDOf(raw)
		if ok && !in.Wanted(id) {
			return fmt.Errorf("%w: %v", ErrUnwanted, id)
		}
	}
	_, err := c.ingest(facts)
	return err
}

// entryIDOf recomputes the EntryID of raw canonical fact bytes without
// verifying signatures (ingress does that next); false if undecodable.
func entryIDOf(raw []byte) (journal.EntryID, bool) {
	f, err := journal.DecodeFact(raw)
	if err != nil {
		return journal.EntryID{}, false
	}
	e, err := journal.NewEntry(f)
	if err != nil {
		return journal.EntryID{}, false
	}
	return e.ID, true
}

// runResponder serves one inbound stream. rs admits the session once
// the Hello names a namespace (SPEC §9 bounds); the caller releases it.
func (s *Service) runResponder(ctx context.Context, st *flow.Stream, rs *nsResolver) sessionResult {
	rs.g = &sessionGuard{snd: s.snd, st: st, ctx: ctx}
	c := &conn{s: s, ctx: ctx, st: st, g: rs.g, res: &sessionResult{peer: st.RemotePeer(), inbound: true, sync: true,
		start: time.Now()}}
	defer c.watch()()
	r, err := NewResponder(ResponderConfig{Config: s.cfg.Session, Local: []byte(s.snd.Self()), Remote: []byte(st.RemotePeer()), Resolver: rs})
	if err != nil {
		c.res.err, c.res.outcome = c.fail(err), Aborted
		return *c.res
	}
	if err = c.respond(r, rs); err != nil {
		if rs.busy {
			err = fmt.Errorf("%w: %w", ErrBusy, err)
		}
		err = c.fail(err)
	} else {
		_ = st.Close()
	}
	c.res.ns, c.res.err = rs.ns, err
	c.res.outcome, c.res.stats = r.Outcome(), r.Stats()
	if err != nil {
		c.res.outcome = Aborted
	}
	c.res.sync = r.Mode() == ModeReconcile
	return *c.res
}

// respond runs the responder loop until End.
func (c *conn) respond(r *Responder, rs *nsResolver) error {
	for !r.Finished() {
		f, err := c.recv()
		if err != nil {
			return err
		}
		if err := c.g.admitFrame(f, 0); err != nil {
			return err
		}
		out, err := r.Step(f)
		if err != nil {
			return err
		}
		c.ns = rs.ns // known once Hello resolved
		if facts, ok := f.(Facts); ok {
			if _, err := c.ingest(facts); err != nil {
				return err
			}
		}
		if err := c.send(out); err != nil {
			return err
		}
	}
	return nil
}
