package flow

import (
	"context"

	"github.com/aura-p2p/aura-p2p/flow/guard"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// Prepaid is a committed charge whose frames are written afterwards: the
// SPEC §9 frames whose receipt travels inside the frame's own sealed box
// (sync Hello and HelloAck) and the sync credit grant, one charge covering
// up to n Symbols frames. Its Write sends at most n frames; every byte it
// writes follows the committed charge (SPEC §6.4 "no byte before its
// charge"). It is used by one goroutine.
type Prepaid struct {
	raw p2p.Stream
	// Receipt is the canonical signed receipt (nil in authority scope).
	Receipt []byte
	// TokenHash is the selected grant's H(token) (zero: Genesis default).
	TokenHash [32]byte
	left      int
}

// Prepay runs SPEC §6.4 steps 0–5 for m now and returns the charge's
// receipt without writing m.Frame (which only sizes the charge unless
// m.Override.Cost is set); n ≥ 1 frames may then be written with
// Prepaid.Write. A refusal resets the stream, as WriteFrame does.
func (st *Stream) Prepay(ctx context.Context, m Msg, n int) (*Prepaid, error) {
	p, err := st.snd.prepay(ctx, st.s, m, n)
	if err != nil {
		_ = st.s.Reset()
	}
	return p, err
}

func (s *Sender) prepay(ctx context.Context, raw p2p.Stream, m Msg, n int) (*Prepaid, error) {
	if n < 1 || m.Scope != ScopeContext {
		return nil, s.exec.refuse(m.Stage, &guard.DenialError{Stage: guard.StageSnapshot, Err: ErrBadMessage})
	}
	proto := raw.Protocol()
	snap, sp, err := s.contextSnapshot(m, proto)
	if err != nil {
		return nil, s.exec.refuse(m.Stage, err)
	}
	p := &Prepaid{raw: raw, TokenHash: sp.tokenHash, left: n}
	_, err = s.exec.Charge(ctx, snap, sp.signer, m.Stage, func(c guard.Charge) error {
		if c.Receipt != nil {
			p.Receipt = c.Receipt.Canonical()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Write sends one frame covered by the charge. After n frames it resets
// the stream and returns ErrPrepaidSpent.
func (p *Prepaid) Write(frame []byte) error {
	if p.left <= 0 {
		_ = p.raw.Reset()
		return ErrPrepaidSpent
	}
	p.left--
	return p.raw.WriteFrame(frame)
}
