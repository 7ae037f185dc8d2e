package guard

import (
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Snapshot is step 0 of SPEC §6.4: everything a send decision reads,
// taken before the budget key's lock.
type Snapshot struct {
	Ctx   journal.ContextID
	Dst   journal.AuthorityID // zero for topic budgets
	Epoch uint64              // flow epoch
	// Need is the capability the message needs (Need(msg), or the body
	// type's for envelopes); "" skips CapGuard (topic forwards: local
	// policy, authority scope).
	Need string
	// Cost is cost(msgType, len), in [1, MaxFrameCost].
	Cost uint32
	// Frontier is the selected grant's (cap.SelectGrant); ignored when
	// Need is "".
	Frontier cap.Frontier
	// Slots is the frozen slot table of (Ctx, Dst) for Epoch
	// (budget.Freeze, or budget.Single for per-device budgets).
	Slots budget.SlotTable
	// Receipt, when non-nil, asks for a receipt; nil where none travels
	// (authority scope, topic publishes).
	Receipt *ReceiptParams
}

// ReceiptParams are the sender-side inputs of a receipt.
type ReceiptParams struct {
	Src    journal.AuthorityID // this authority
	Device journal.DeviceID    // this device (enters only the nonce hash)
	// Secret is the authority's current AuthoritySecret.
	Secret      []byte
	Prev        [32]byte // receipt.Root(ctx, payloadHash) for a first hop
	PayloadHash [32]byte
}

// SpentSource reads Spent(bk). budget.Ledger implements it; a store-backed
// source may fail, which denies.
type SpentSource interface {
	Spent(budget.Key) (uint64, error)
}

// Charge is an approved send: the executor commits (Key, Spent) with the
// receipt-log entry in one synced batch, signs Receipt (if any) with the
// member key, then sets Spent(Key) = Spent and writes the frame.
type Charge struct {
	Key   budget.Key
	Spent uint64 // Spent' = Spent(Key) + Cost ≤ Share
	Cost  uint32
	Nonce uint64 // ReceiptNonce(Key, Spent'); 0 without a receipt
	// Receipt is unsigned (Sig zero); nil when the snapshot asked for none.
	Receipt *receipt.Receipt
}

// Key is the budget key a snapshot charges; the executor locks it before
// Decide.
func Key(s *Snapshot) budget.Key { return s.Slots.Key(s.Ctx, s.Dst) }

// Decide runs the pure decisions of SPEC §6.4 steps 0–3 in order:
// snapshot checks (cost > Share denies at once), CapGuard, FlowGuard
// (reading Spent from src), and receipt construction. A refusal is a
// *DenialError wrapping flow.ErrAuthorizationDenied or
// flow.ErrInsufficientBudget; nothing is changed either way.
func Decide(s *Snapshot, src SpentSource) (Charge, error) {
	if err := Precheck(s); err != nil {
		return Charge{}, err
	}
	k := Key(s)
	spent, err := src.Spent(k)
	if err != nil {
		return Charge{}, denial(StageFlow, ErrBudgetLookup)
	}
	return ChargeFrom(s, spent)
}

// Precheck is steps 0 and 1: snapshot sanity, cost ≤ Share, and CapGuard.
func Precheck(s *Snapshot) error {
	if err := checkSnapshot(s); err != nil {
		return denial(StageSnapshot, err)
	}
	if share := s.Slots.Share(); uint64(s.Cost) > share {
		return denial(StageSnapshot, budgetErr(uint64(s.Cost), share))
	}
	if s.Need == "" {
		return nil
	}
	if err := s.Frontier.Permits(s.Need, s.Epoch); err != nil {
		return denial(StageCap, err)
	}
	return nil
}

// ChargeFrom is steps 2–3 given Spent(bk): the FlowGuard decision and the
// unsigned receipt. It assumes Precheck passed.
func ChargeFrom(s *Snapshot, spent uint64) (Charge, error) {
	k := Key(s)
	next, err := budget.Decide(spent, uint64(s.Cost), s.Slots.Share())
	if err != nil {
		return Charge{}, denial(StageFlow, err)
	}
	c := Charge{Key: k, Spent: next, Cost: s.Cost}
	if p := s.Receipt; p != nil {
		c.Nonce = receipt.Nonce(p.Secret, k, p.Device, next)
		c.Receipt = &receipt.Receipt{Ctx: s.Ctx, Src: p.Src, Dst: s.Dst, Epoch: s.Epoch,
			Cost: s.Cost, Nonce: c.Nonce, Prev: p.Prev, PayloadHash: p.PayloadHash}
	}
	return c, nil
}

func checkSnapshot(s *Snapshot) error {
	switch {
	case s.Cost == 0 || s.Cost > budget.MaxFrameCost:
		return ErrBadSnapshot
	case !s.Slots.Valid() || s.Slots.Epoch != s.Epoch:
		return ErrBadSnapshot
	case s.Receipt != nil && len(s.Receipt.Secret) == 0:
		return ErrBadSnapshot
	}
	return nil
}
