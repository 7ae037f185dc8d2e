package sync

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
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
	in, out int // frame bytes received / sent
}

// conn is one session's stream with the service's send and ingest paths.
// It is used by exactly one goroutine.
type conn struct {
	s   *Service
	ctx context.Context
	st  p2p.Stream
	ns  journal.Namespace
	res *sessionResult
}

// send encodes and sends frames through the guarded Sender, in order.
func (c *conn) send(frames []Frame) error {
	for _, f := range frames {
		b, err := EncodeFrame(f)
		if err != nil {
			return err
		}
		out := Outbound{NS: c.ns, Peer: c.st.RemotePeer(), Frame: f, Bytes: b}
		if err := c.s.cfg.Sender.SendFrame(c.ctx, c.st, out); err != nil {
			return err
		}
		c.res.out += len(b)
	}
	return nil
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
	return DecodeFrame(b)
}

// ingest stores one Facts frame: ingress and one merge batch. It returns
// the entries that passed ingress.
func (c *conn) ingest(f Facts) ([]journal.Entry, error) {
	c.s.cfg.Metrics.Facts(len(f.Entries))
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
	_ = c.st.Reset()
	return err
}

// runInitiator drives an outbound session on st until R closes.
func (s *Service) runInitiator(ctx context.Context, st p2p.Stream, nv *nsView, mode Mode, announce []journal.EntryID) sessionResult {
	c := &conn{s: s, ctx: ctx, st: st, ns: nv.keys.NS, res: &sessionResult{ns: nv.keys.NS, peer: st.RemotePeer(), sync: mode == ModeReconcile}}
	defer c.watch()()
	in, err := s.newInitiator(ctx, st, nv, mode, announce)
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

func (s *Service) newInitiator(ctx context.Context, st p2p.Stream, nv *nsView, mode Mode, announce []journal.EntryID) (*Initiator, error) {
	set, err := s.j.EntryIDs(ctx, nv.keys.NS)
	if err != nil {
		return nil, err
	}
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	return NewInitiator(InitiatorConfig{
		Config: s.cfg.Session, S: nv.keys.Secrets[len(nv.keys.Secrets)-1], NonceI: nonce,
		Local: []byte(s.tr.Self()), Remote: []byte(st.RemotePeer()), Mode: mode,
		Set: set, Announce: announce, Members: nv.members,
		Entries: journalEntries{ctx: ctx, j: s.j, ns: nv.keys.NS}, Signer: nv.keys.Signer,
	})
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

// initiatorFacts ingests R's Facts and checks each was wanted.
func (c *conn) initiatorFacts(in *Initiator, f Frame) error {
	facts, ok := f.(Facts)
	if !ok {
		return nil
	}
	entries, err := c.ingest(facts)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !in.Wanted(e.ID) {
			return fmt.Errorf("%w: %v", ErrUnwanted, e.ID)
		}
	}
	return nil
}

// runResponder serves one inbound stream. rs admits the session once
// the Hello names a namespace (SPEC §9 bounds); the caller releases it.
func (s *Service) runResponder(ctx context.Context, st p2p.Stream, rs *nsResolver) sessionResult {
	c := &conn{s: s, ctx: ctx, st: st, res: &sessionResult{peer: st.RemotePeer(), inbound: true, sync: true}}
	defer c.watch()()
	r, err := NewResponder(ResponderConfig{Config: s.cfg.Session, Local: []byte(s.tr.Self()), Remote: []byte(st.RemotePeer()), Resolver: rs})
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
