package receipt

import (
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Config holds the receive-side clock tolerances (SPEC §10).
type Config struct {
	// EpochGraceMs: a receipt of the previous flow epoch is accepted until
	// the current epoch's start + EpochGraceMs. Default 30 000.
	EpochGraceMs uint64
	// MaxClockSkewMs: a receipt of the next epoch is accepted if that epoch
	// starts ≤ now + MaxClockSkewMs. Default 30 000.
	MaxClockSkewMs uint64
}

// DefaultConfig is the SPEC §10 default.
func DefaultConfig() Config { return Config{EpochGraceMs: 30_000, MaxClockSkewMs: 30_000} }

// Expect is what the receiver knows independently of the receipt.
type Expect struct {
	// Ctx is the context the frame resolved to (envelope Tag, sync Ref,
	// relay hop); Receipt.Ctx must equal it.
	Ctx journal.ContextID
	// Self is this authority; Receipt.Dst must equal it.
	Self journal.AuthorityID
	// SrcKey is Receipt.Src's member key in Ctx, looked up by the caller
	// (a zero key — Src unknown — fails as bad_sig).
	SrcKey [32]byte
	// Cost is the cost recomputed from the frame (SPEC §6.2).
	Cost uint32
	// PayloadHash is recomputed from the frame.
	PayloadHash [32]byte
	// Prev is the expected Prev when CheckPrev is set: Root(Ctx,
	// PayloadHash) for a first hop, H(previous receipt) when the receiver
	// holds it. A relay hop's Prev is hop-local and unchecked (SPEC §7.3).
	Prev      [32]byte
	CheckPrev bool
}

// Direct is the Expect of a single-hop frame: Prev must be the origin
// binding Root(ctx, payloadHash).
func Direct(ctx journal.ContextID, self journal.AuthorityID, srcKey [32]byte,
	cost uint32, payloadHash [32]byte) Expect {
	return Expect{Ctx: ctx, Self: self, SrcKey: srcKey, Cost: cost, PayloadHash: payloadHash,
		Prev: Root(ctx, payloadHash), CheckPrev: true}
}

// Clock is the receiver's view of the context's flow epochs.
type Clock struct {
	// Current is the effective flow epoch (max valid FlowEpochAdvance).
	Current uint64
	// Schedule is the context's nominal schedule (Genesis fields).
	Schedule budget.Schedule
	// NowMs is the caller's clock reading, Unix ms.
	NowMs uint64
}

// WindowKey names one replay/limit window: (ctx, src, flowEpoch).
type WindowKey struct {
	Ctx   journal.ContextID
	Src   journal.AuthorityID
	Epoch uint64
}

// Window is the receiver's replay and limit state for one WindowKey: the
// nonces accepted and the sum of their costs.
type Window interface {
	Seen(nonce uint64) bool
	Accepted() uint64
}

// Delta is what an accepted receipt adds to its window. The caller
// persists it with the handler's first synced batch (SPEC §6.6), then
// applies it (Book.Apply). Advance asks the caller to write
// FlowEpochAdvance for Key.Epoch.
type Delta struct {
	Key     WindowKey
	Nonce   uint64
	Cost    uint32
	Advance bool
}

// Verifier is the pure receive-side receipt check of SPEC §6.6. It holds
// only configuration; state comes in as a Window and leaves as a Delta.
type Verifier struct{ cfg Config }

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg Config) Verifier { return Verifier{cfg: cfg} }

// Verify runs CheckChain then Admit. limit is the Limit this node granted
// Src in Ctx; w is the window of r's (Ctx, Src, Epoch).
func (v Verifier) Verify(r *Receipt, x Expect, clk Clock, w Window, limit uint64) (Outcome, Delta) {
	o, adv := v.CheckChain(r, x, clk)
	if o != Accepted {
		return o, Delta{}
	}
	o, d := Admit(r, w, limit)
	d.Advance = adv
	return o, d
}

// CheckChain checks context, signature, destination, chain binding
// (Prev, PayloadHash, Cost) and epoch, in that order. advance reports an
// accepted next-epoch receipt. The caller runs its capability check
// between CheckChain and Admit (SPEC §6.6 order).
func (v Verifier) CheckChain(r *Receipt, x Expect, clk Clock) (o Outcome, advance bool) {
	switch {
	case r.Ctx != x.Ctx:
		return ForeignCtx, false
	case x.SrcKey == [32]byte{} || !r.VerifySig(x.SrcKey):
		return BadSig, false
	case r.Dst != x.Self:
		return WrongDst, false
	case r.Cost != x.Cost || r.PayloadHash != x.PayloadHash || (x.CheckPrev && r.Prev != x.Prev):
		return BadChain, false
	}
	return v.checkEpoch(r.Epoch, clk)
}

func (v Verifier) checkEpoch(e uint64, clk Clock) (Outcome, bool) {
	switch {
	case e == clk.Current:
		return Accepted, false
	case clk.Current > 0 && e == clk.Current-1:
		if clk.NowMs < sat(clk.Schedule.Start(clk.Current), v.cfg.EpochGraceMs) {
			return Accepted, false
		}
	case clk.Current < ^uint64(0) && e == clk.Current+1:
		if clk.Schedule.Start(e) <= sat(clk.NowMs, v.cfg.MaxClockSkewMs) {
			return Accepted, true
		}
	}
	return StaleEpoch, false
}

// sat is a + b saturating at MaxUint64.
func sat(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}

// Admit is the replay and limit check: the nonce is new in w and
// w.Accepted() + Cost ≤ limit (overflow-checked). On Accepted the Delta
// names the window and what to add.
func Admit(r *Receipt, w Window, limit uint64) (Outcome, Delta) {
	if w.Seen(r.Nonce) {
		return Replay, Delta{}
	}
	if budget.Headroom(w.Accepted(), limit) < uint64(r.Cost) {
		return OverLimit, Delta{}
	}
	k := WindowKey{Ctx: r.Ctx, Src: r.Src, Epoch: r.Epoch}
	return Accepted, Delta{Key: k, Nonce: r.Nonce, Cost: r.Cost}
}
