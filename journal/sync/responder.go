package sync

import (
	"crypto/ed25519"
	"crypto/subtle"
	"fmt"
	"slices"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

// ResponderConfig configures one inbound session.
type ResponderConfig struct {
	Config Config
	// Local and Remote are the libp2p peer-ID bytes pR and pI.
	Local, Remote []byte
	// Resolver maps the Hello's Ref to a served namespace.
	Resolver Resolver
}

type rState uint8

const (
	rHello   rState = iota // awaiting Hello
	rServing               // streaming symbols
	rFetch                 // after Done or Full: Want, Facts, End
	rPush                  // push mode: Facts, End
	rEqual                 // Status equal: End
	rClosed                // End received or aborted
)

// Responder is the pure responder core of SPEC §9. Each Step consumes one
// frame from I and returns the frames to send, in order. A non-nil error
// means: reset the stream and send nothing — for a Hello that fails any
// check (unknown Ref, box, membership, signature, guard) the responder
// has sent nothing at all, so a non-member observes only a reset. A Facts
// frame for which Step returns nil is one merge batch for ingress.
type Responder struct {
	cfg  ResponderConfig
	srv  Served
	keys SessionKeys

	state     rState
	mode      Mode
	enc       *riblt.Encoder
	sym0      riblt.Symbol
	sent, cap uint64
	credit    uint64
	fellBack  bool
	outcome   Outcome
	stats     Stats
}

// NewResponder validates cfg.
func NewResponder(cfg ResponderConfig) (*Responder, error) {
	if err := cfg.Config.Validate(); err != nil {
		return nil, err
	}
	if cfg.Resolver == nil {
		return nil, fmt.Errorf("%w: Resolver is required", ErrConfig)
	}
	return &Responder{cfg: cfg}, nil
}

// Outcome is Pending until End arrives (Aborted after an error).
func (r *Responder) Outcome() Outcome { return r.outcome }

// Finished reports whether the session ended (End or abort).
func (r *Responder) Finished() bool { return r.state == rClosed }

// Stats returns the session counters.
func (r *Responder) Stats() Stats { return r.stats }

// Mode is the Hello's mode once it was accepted (0 before).
func (r *Responder) Mode() Mode { return r.mode }

// Step consumes one frame from I.
func (r *Responder) Step(f Frame) ([]Frame, error) {
	if r.state == rClosed {
		return nil, ErrFinished
	}
	out, err := r.step(f)
	if err != nil {
		r.state, r.outcome = rClosed, Aborted
		return nil, err
	}
	return out, nil
}

func (r *Responder) step(f Frame) ([]Frame, error) {
	switch f := f.(type) {
	case Hello:
		if r.state == rHello {
			return r.onHello(f)
		}
	case More:
		if r.state == rServing {
			return r.onMore(f)
		}
	case Done:
		if r.state == rServing {
			return nil, r.onDone(f)
		}
	case Full:
		if r.state == rServing {
			return r.onFull()
		}
	case Want:
		if r.state == rFetch {
			return r.onWant(f)
		}
	case Facts:
		if r.state == rFetch || r.state == rPush {
			return nil, r.onFacts(f)
		}
	case End:
		if r.state == rFetch || r.state == rPush || r.state == rEqual {
			r.onEnd()
			return nil, nil
		}
	}
	return nil, fmt.Errorf("%w: %v in responder state %d", ErrUnexpectedFrame, f.Kind(), r.state)
}

// onHello is step 2: every check passes or nothing is sent.
func (r *Responder) onHello(h Hello) ([]Frame, error) {
	pI, pR := r.cfg.Remote, r.cfg.Local
	srv, ok := r.cfg.Resolver.Resolve(h.NonceI, h.Ref, pI, pR)
	if !ok {
		return nil, fmt.Errorf("%w: unknown Ref", ErrNotMember)
	}
	keys := DeriveKeys(srv.S, h.NonceI, pI, pR)
	if subtle.ConstantTimeCompare(keys.Ref[:], h.Ref[:]) != 1 {
		return nil, fmt.Errorf("%w: Ref mismatch", ErrNotMember)
	}
	box, err := r.openHello(srv, keys, h)
	if err != nil {
		return nil, err
	}
	r.srv, r.keys, r.mode = srv, keys, box.Mode
	status := StatusDiffer
	if box.Mode == ModeReconcile {
		r.enc = riblt.NewEncoder(keys.Sip, srv.Set)
		if r.sym0 = r.enc.Next(); r.sym0 == box.Sym0 {
			status = StatusEqual
		}
	}
	ack, err := r.helloAck(h.NonceI, status)
	if err != nil {
		return nil, err
	}
	switch {
	case box.Mode == ModePush:
		r.state = rPush
		return []Frame{ack}, nil
	case status == StatusEqual:
		r.state = rEqual
		return []Frame{ack}, nil
	}
	r.state = rServing
	r.cap = r.cfg.Config.Cap(uint64(len(srv.Set)))
	r.credit = uint64(r.cfg.Config.Window)
	return append([]Frame{ack}, r.symbols()...), nil
}

// openHello opens Box_I and checks Author, Sig and the guard.
func (r *Responder) openHello(srv Served, keys SessionKeys, h Hello) (HelloBox, error) {
	body, err := open(keys.BoxI, h.Box, BoxSize, BoxSizeFullToken)
	if err != nil {
		return HelloBox{}, err
	}
	box, err := DecodeHelloBox(body)
	if err != nil {
		return HelloBox{}, fmt.Errorf("%w: %w", ErrNotMember, err)
	}
	d := authDigest("I", keys.Ref, h.NonceI, r.cfg.Remote, r.cfg.Local)
	if pub, ok := srv.Members.MemberKey(box.Author); !ok || !ed25519.Verify(pub, d[:], box.Sig) {
		return HelloBox{}, fmt.Errorf("%w: Hello author", ErrNotMember)
	}
	if srv.Guard != nil {
		ph := payloadHash(h.NonceI, keys.Ref, box.canonical(false))
		if err := srv.Guard.Admit(box.Author, box.Mode, box.Token, box.Receipt, ph); err != nil {
			return HelloBox{}, fmt.Errorf("%w: %w", ErrDenied, err)
		}
	}
	return box, nil
}

// helloAck builds HelloAck with the sealed Box_R.
func (r *Responder) helloAck(nonceI [16]byte, status Status) (Frame, error) {
	d := authDigest("R", r.keys.Ref, nonceI, r.cfg.Remote, r.cfg.Local)
	sig, err := r.srv.Signer.Sign(d[:])
	if err != nil {
		return nil, err
	}
	box := AckBox{Author: r.srv.Signer.Author(), Sig: sig, SetSize: uint64(len(r.srv.Set)), Status: status}
	if g := r.srv.Guard; g != nil {
		if box.Receipt, err = g.Receipt(payloadHash(nonceI, r.keys.Ack, box.canonical(false))); err != nil {
			return nil, err
		}
	}
	sealed, err := seal(r.keys.BoxR, box.canonical(true), BoxSize)
	if err != nil {
		return nil, err
	}
	return HelloAck{Ack: r.keys.Ack, Box: sealed}, nil
}

// symbols emits every symbol the credit allows, up to the cap, in frames
// of ≤ SymbolsPerFrame.
func (r *Responder) symbols() []Frame {
	limit := min(r.credit, r.cap)
	var out []Frame
	for r.sent < limit {
		n := min(limit-r.sent, SymbolsPerFrame)
		f := Symbols{First: uint32(r.sent), Syms: make([]riblt.Symbol, 0, n)}
		for range n {
			if r.sent == 0 {
				f.Syms = append(f.Syms, r.sym0)
			} else {
				f.Syms = append(f.Syms, r.enc.Next())
			}
			r.sent++
		}
		out = append(out, f)
	}
	r.stats.Symbols = r.sent
	return out
}

// onMore raises the credit and emits the grant. A grant larger than
// MaxGrantSymbols cannot be charged (an honest I raises the credit by at
// most its Window), so it is refused before any symbol is computed.
func (r *Responder) onMore(m More) ([]Frame, error) {
	credit := max(r.credit, uint64(m.Credit))
	if g := min(credit, r.cap) - min(r.sent, r.cap); g > MaxGrantSymbols {
		return nil, fmt.Errorf("%w: More{%d} after %d symbols asks a grant of %d > %d",
			ErrSessionLimit, m.Credit, r.sent, g, MaxGrantSymbols)
	}
	r.credit = credit
	return r.symbols(), nil
}

func (r *Responder) onDone(d Done) error {
	if d.Received == 0 || uint64(d.Received) > r.sent {
		return fmt.Errorf("%w: Done{%d} after %d symbols", ErrUnexpectedFrame, d.Received, r.sent)
	}
	r.stats.DecodedAt = uint64(d.Received)
	r.state = rFetch
	return nil
}

// onFull is the step 5 fallback: every id, sorted, ≤ IdsPerFrame each
// (one empty frame for an empty set). R does not insist that I reached
// its own cap: SyncMaxSymbols is a per-node Config value, and a member can
// reach the cap anyway.
func (r *Responder) onFull() ([]Frame, error) {
	ids := slices.Clone(r.srv.Set)
	slices.SortFunc(ids, compareIDs)
	out := []Frame{}
	for chunk := range slices.Chunk(ids, IdsPerFrame) {
		out = append(out, Ids{IDs: chunk})
	}
	if len(out) == 0 {
		out = append(out, Ids{IDs: []journal.EntryID{}})
	}
	r.fellBack, r.state = true, rFetch
	return out, nil
}

func (r *Responder) onWant(w Want) ([]Frame, error) {
	if len(w.IDs) > WantPerFrame {
		return nil, fmt.Errorf("%w: %d ids in one Want", ErrFrameLimit, len(w.IDs))
	}
	if r.stats.Wanted+len(w.IDs) > r.cfg.Config.MaxFactsPerSession {
		return nil, fmt.Errorf("%w: more than %d wanted", ErrSessionLimit, r.cfg.Config.MaxFactsPerSession)
	}
	r.stats.Wanted += len(w.IDs)
	out, n := packFacts(r.srv.Entries, w.IDs)
	r.stats.Served += n
	return out, nil
}

func (r *Responder) onFacts(f Facts) error {
	if err := checkFacts(f); err != nil {
		return err
	}
	limit := r.cfg.Config.MaxFactsPerSession
	if r.state == rPush {
		limit = r.cfg.Config.AnnounceMax
	}
	if r.stats.FactsReceived+len(f.Entries) > limit {
		return fmt.Errorf("%w: more than %d pushed", ErrSessionLimit, limit)
	}
	r.stats.FactsReceived += len(f.Entries)
	return nil
}

// onEnd closes the session; the outcome is from R's view (I's pushes
// were entries R lacked).
func (r *Responder) onEnd() {
	switch {
	case r.state == rEqual:
		r.outcome = Equal
	case r.fellBack:
		r.outcome = FellBack
	default:
		r.outcome = classify(r.stats.FactsReceived, r.stats.Wanted)
	}
	r.state = rClosed
}
