package sync

import (
	"context"
	"fmt"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// sessionGuard is one session's view of the guard chain (SPEC §9
// "Guards"): it implements Guard for the cores (the Hello and HelloAck
// receipts inside the boxes) and prices, charges, attaches and admits
// every other frame through the node's flow.Sender. Used by the
// session's one goroutine.
type sessionGuard struct {
	snd       *flow.Sender
	st        *flow.Stream
	ctx       context.Context
	cid       journal.ContextID
	peer      journal.AuthorityID // I: from the DevicePeer map; R: the verified Hello Author
	initiator bool
	// authority: an authority namespace — every frame is a per-device
	// budget send (flow.ScopeAuthority: Ctx the AuthorityId, Dst the
	// peer's DeviceId) with no receipt and no token (SPEC §9 "Guards").
	authority bool
	mode      Mode
	nonceI    [16]byte
	helloLen  int      // encoded Hello length (R: as received)
	token     [32]byte // the session's token hash (Box_I)

	box     *flow.Prepaid     // Hello/HelloAck charge, taken by Receipt
	pending []*flow.Admission // admitted, not yet committed (SPEC §6.6)
	grants  uint32            // credit grants charged (R) or admitted (I)
	covered uint64            // I: symbols the admitted grants pay for (the credit at the last grant)
}

// boxFrameLen is the encoded length of a Hello or HelloAck whose box is
// BoxSize bytes: the §6.2 size of the frame (its receipt is inside the
// fixed-size box).
func boxFrameLen(k FrameKind) int {
	var f Frame = HelloAck{Box: make([]byte, BoxSize)}
	if k == KindHello {
		f = Hello{Box: make([]byte, BoxSize)}
	}
	b, err := EncodeFrame(f)
	if err != nil {
		return protocols.MaxSyncFrame
	}
	return len(b)
}

// kind is the §6.2 row of a frame this side sends (out) or receives
// (!out): I's frames need their capability, R's are answers.
func (g *sessionGuard) kind(f Frame, out bool) (budget.Msg, bool) {
	fromI := out == g.initiator
	if !fromI {
		return budget.MsgSyncRequestDigest, true
	}
	switch {
	case f.Kind() == KindWant:
		return budget.MsgSyncRequestOps, false
	case f.Kind() == KindFacts && g.mode == ModeReconcile:
		return budget.MsgSyncPushOps, false
	case g.mode == ModePush:
		return budget.MsgSyncAnnounceOp, false
	}
	return budget.MsgSyncRequestDigest, false
}

// Receipt implements Guard: it charges the box's frame now and keeps the
// charge for send, staging the pending admissions (R: the Hello's).
func (g *sessionGuard) Receipt(ph [32]byte) ([]byte, error) {
	if g.authority {
		return nil, nil // no receipt; the frame is charged when written (sendAuthority)
	}
	k, answer := budget.MsgSyncRequestDigest, true
	fk := KindHelloAck
	if g.initiator {
		k, answer, fk = budget.MsgSyncRequestDigest, false, KindHello
		if g.mode == ModePush {
			k = budget.MsgSyncAnnounceOp
		}
	}
	cost, err := budget.SizeCost(boxFrameLen(fk))
	if err != nil {
		return nil, err
	}
	p, err := g.st.Prepay(g.ctx, flow.Msg{Kind: k, Scope: flow.ScopeContext, Ctx: g.cid, Dst: g.peer,
		Stage: g.takePending(), Override: flow.Override{PayloadHash: ph, Cost: cost, Answer: answer}}, 1)
	if err != nil {
		return nil, err
	}
	g.box = p
	return p.Receipt, nil
}

// Admit implements Guard: the box's receipt passes SPEC §6.6 for
// payloadHash, its Src is the box's Author, and (Hello) the token
// permits the mode's capability.
func (g *sessionGuard) Admit(author [16]byte, mode Mode, tok Token, rcpt []byte, ph [32]byte) error {
	if g.authority {
		return g.admitDevice(author, mode, tok, rcpt)
	}
	k, answer := budget.MsgSyncRequestDigest, true
	if !g.initiator {
		g.mode, answer = mode, false
		if mode == ModePush {
			k = budget.MsgSyncAnnounceOp
		}
		g.token = tok.Hash
		if tok.Full != nil {
			g.token = canon.HPlain(tok.Full)
		}
		g.peer = author
	} else if author != g.peer {
		return fmt.Errorf("%w: HelloAck author is not the peer's authority", ErrNotMember)
	}
	n := boxFrameLen(KindHelloAck)
	if !g.initiator {
		n = g.helloLen // as received: 512 B or 1536 B box
	}
	cost, err := budget.SizeCost(n)
	if err != nil {
		return err
	}
	return g.admit(flow.Inbound{Kind: k, Ctx: g.cid, Receipt: rcpt, TokenHash: g.token,
		Override: flow.Override{PayloadHash: ph, Cost: cost, Answer: answer}}, author)
}

// admit runs the flow Receiver and keeps the admission pending.
func (g *sessionGuard) admit(in flow.Inbound, src journal.AuthorityID) error {
	a, err := g.snd.Receiver().Admit(g.ctx, g.st, in)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDenied, err)
	}
	if a.Receipt.Src != src {
		a.Release()
		_ = g.st.Reset()
		return fmt.Errorf("%w: receipt source is not the session's peer", ErrDenied)
	}
	g.pending = append(g.pending, a)
	return nil
}

// takePending hands the pending admissions to a batch.
func (g *sessionGuard) takePending() []flow.Stager {
	out := make([]flow.Stager, len(g.pending))
	for i, a := range g.pending {
		out[i] = a
	}
	g.pending = nil
	return out
}

// flush commits pending admissions in a batch of their own (before a
// frame's effects are stored, or when a step sends nothing).
func (g *sessionGuard) flush() error {
	if len(g.pending) == 0 {
		return nil
	}
	return g.snd.Executor().CommitStaged(g.ctx, g.takePending()...)
}

// release drops uncommitted admissions (the session failed).
func (g *sessionGuard) release() {
	for _, a := range g.pending {
		a.Release()
	}
	g.pending = nil
}

// grantHash is H("aura/sync-block/v1", NonceI, u32 grantNo).
func grantHash(nonceI [16]byte, n uint32) [32]byte {
	var e canon.Encoder
	return canon.H("aura/sync-block/v1", nonceI[:], e.U32(n).Bytes())
}

// withReceipt returns f with its Receipt field set (Hello and HelloAck
// carry theirs in the box and are returned unchanged).
func withReceipt(f Frame, r []byte) Frame {
	switch f := f.(type) {
	case Symbols:
		f.Receipt = r
		return f
	case More:
		f.Receipt = r
		return f
	case Done:
		f.Receipt = r
		return f
	case Full:
		f.Receipt = r
		return f
	case Ids:
		f.Receipt = r
		return f
	case Want:
		f.Receipt = r
		return f
	case Facts:
		f.Receipt = r
		return f
	case End:
		f.Receipt = r
		return f
	}
	return f
}

// receiptOf is f's Receipt field.
func receiptOf(f Frame) []byte {
	switch f := f.(type) {
	case Symbols:
		return f.Receipt
	case More:
		return f.Receipt
	case Done:
		return f.Receipt
	case Full:
		return f.Receipt
	case Ids:
		return f.Receipt
	case Want:
		return f.Receipt
	case Facts:
		return f.Receipt
	case End:
		return f.Receipt
	}
	return nil
}

// attach is the flow.AttachFunc of f: re-encode f with the receipt set.
func attach(f Frame) flow.AttachFunc {
	return func(frame, rcpt []byte, _ [32]byte) []byte {
		m, err := toPB(withReceipt(f, rcpt))
		if err != nil {
			return frame
		}
		b, err := protocols.Marshal(m, protocols.MaxSyncFrame)
		if err != nil {
			return frame
		}
		return b
	}
}

// sendFrames writes one Step's frames, each a guarded send (SPEC §9
// "Guards"): boxes through their Prepaid charge, R's Symbols frames as one
// credit grant charged before the first, every other frame charged with
// its receipt attached. Pending admissions join the first charge.
func (g *sessionGuard) sendFrames(frames []Frame, sent func(int)) error {
	if g.authority {
		return g.sendAuthority(frames, sent)
	}
	var grant *flow.Prepaid
	for i, f := range frames {
		b, err := EncodeFrame(f)
		if err != nil {
			return err
		}
		switch f.Kind() {
		case KindHello, KindHelloAck:
			if g.box == nil {
				return fmt.Errorf("%w: box frame without its charge", ErrConfig)
			}
			err, g.box = g.box.Write(b), nil
		case KindSymbols:
			if grant == nil {
				if grant, err = g.chargeGrant(frames[i:]); err != nil {
					return err
				}
				if b, err = EncodeFrame(withReceipt(f, grant.Receipt)); err != nil {
					return err
				}
			}
			err = grant.Write(b)
		default:
			k, answer := g.kind(f, true)
			err = g.st.WriteFrame(g.ctx, flow.Msg{Kind: k, Scope: flow.ScopeContext, Ctx: g.cid, Dst: g.peer,
				Frame: b, Attach: attach(f), Stage: g.takePending(), Override: flow.Override{Answer: answer}})
			b = attach(f)(b, make([]byte, receipt.Size), [32]byte{}) // wire size (receipts are fixed-size)
		}
		if err != nil {
			return err
		}
		sent(len(b))
	}
	return g.flush()
}

// chargeGrant charges the credit grant made of the Symbols frames at the
// head of rest: 1 + ⌈42·g/1024⌉ for g symbols, once.
func (g *sessionGuard) chargeGrant(rest []Frame) (*flow.Prepaid, error) {
	n, syms := 0, 0
	for _, f := range rest {
		s, ok := f.(Symbols)
		if !ok {
			break
		}
		n, syms = n+1, syms+len(s.Syms)
	}
	cost, err := budget.CreditCost(uint32(syms))
	if err != nil {
		return nil, err
	}
	ph := grantHash(g.nonceI, g.grants)
	g.grants++
	return g.st.Prepay(g.ctx, flow.Msg{Kind: budget.MsgSyncRequestDigest, Scope: flow.ScopeContext, Ctx: g.cid,
		Dst: g.peer, Stage: g.takePending(), Override: flow.Override{PayloadHash: ph, Cost: cost, Answer: true}}, n)
}

// admitFrame is the receive path for one decoded frame other than Hello
// and HelloAck (whose receipts the cores check through Admit). credit is
// I's current credit, bounding a grant's price.
func (g *sessionGuard) admitFrame(f Frame, credit uint64) error {
	switch f.Kind() {
	case KindHello, KindHelloAck:
		return nil
	}
	if g.authority {
		return g.admitDeviceFrame(f)
	}
	rcpt := receiptOf(f)
	if len(rcpt) == 0 {
		if g.coveredByGrant(f) {
			return nil // a later frame of an admitted grant
		}
		_ = g.st.Reset()
		return errNoReceipt
	}
	if s, ok := f.(Symbols); ok {
		return g.admitGrant(s, rcpt, credit)
	}
	b, err := EncodeFrame(withReceipt(f, nil))
	if err != nil {
		return err
	}
	k, answer := g.kind(f, false)
	return g.admit(flow.Inbound{Kind: k, Ctx: g.cid, Frame: b, Receipt: rcpt, TokenHash: g.token,
		Override: flow.Override{Answer: answer}}, g.peer)
}

// coveredByGrant reports whether f is a receipt-less Symbols frame at I
// that lies wholly within the credit an admitted grant paid for. A
// symbol past it belongs to a later grant, whose first frame must carry
// that grant's receipt.
func (g *sessionGuard) coveredByGrant(f Frame) bool {
	s, ok := f.(Symbols)
	return ok && g.initiator && g.grants > 0 && uint64(s.First)+uint64(len(s.Syms)) <= g.covered
}

// admitGrant admits a credit grant's receipt at I: its cost may not
// exceed the price of the whole outstanding credit.
func (g *sessionGuard) admitGrant(s Symbols, rcpt []byte, credit uint64) error {
	rc, err := receipt.Decode(rcpt)
	if err != nil || credit < uint64(s.First) {
		_ = g.st.Reset()
		return fmt.Errorf("%w: bad grant receipt", ErrDenied)
	}
	most, err := budget.CreditCost(uint32(min(credit-uint64(s.First), 1<<20)))
	if err != nil {
		most = budget.MaxFrameCost
	}
	if rc.Cost == 0 || rc.Cost > most {
		_ = g.st.Reset()
		return fmt.Errorf("%w: grant priced above its credit", ErrDenied)
	}
	ph := grantHash(g.nonceI, g.grants)
	if err := g.admit(flow.Inbound{Kind: budget.MsgSyncRequestDigest, Ctx: g.cid, Receipt: rcpt,
		Override: flow.Override{PayloadHash: ph, Cost: rc.Cost, Answer: true}}, g.peer); err != nil {
		return err
	}
	g.grants++
	g.covered = credit
	return nil
}

// sendAuthority writes one Step's frames of an authority-namespace
// session: each is a guarded send on the per-device budget toward the
// peer device (flow.ScopeAuthority, cost 1 + ⌈bytes/1024⌉ of the frame,
// no receipt), charged before it is written (SPEC §6.4, §9 "Guards").
// Symbols frames are charged one by one: the per-device path has no
// Prepay, and a frame's size price is at least its share of a grant's.
func (g *sessionGuard) sendAuthority(frames []Frame, sent func(int)) error {
	for _, f := range frames {
		b, err := EncodeFrame(f)
		if err != nil {
			return err
		}
		k, _ := g.kind(f, true)
		if err := g.st.WriteFrame(g.ctx, flow.Msg{Kind: k, Scope: flow.ScopeAuthority, Ctx: g.cid, Dst: g.peer,
			Frame: b}); err != nil {
			return err
		}
		sent(len(b))
	}
	return nil
}

// admitDevice checks a box of an authority-namespace session: it carries
// no receipt and no token; I's peer device must be the box's Author, and
// R binds the session's budget Dst to the verified Hello Author.
func (g *sessionGuard) admitDevice(author [16]byte, mode Mode, tok Token, rcpt []byte) error {
	if len(rcpt) != 0 || tok.Full != nil || tok.Hash != ([32]byte{}) {
		return fmt.Errorf("%w: receipt or token in an authority namespace", ErrDenied)
	}
	if g.initiator {
		if author != g.peer {
			return fmt.Errorf("%w: HelloAck author is not the peer's device", ErrNotMember)
		}
		return nil
	}
	g.mode, g.peer = mode, author
	return nil
}

// admitDeviceFrame is the receive path of an authority-namespace frame:
// own devices' frames carry no receipt (SPEC §6.6 applies to context
// receipts), so one that carries a receipt is refused.
func (g *sessionGuard) admitDeviceFrame(f Frame) error {
	if len(receiptOf(f)) != 0 {
		_ = g.st.Reset()
		return fmt.Errorf("%w: receipt in an authority namespace", ErrDenied)
	}
	return nil
}
