package guard_test

import (
	"crypto/ed25519"
	"errors"
	"math"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/guard"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
)

var (
	ctx    = journal.ContextID{0xc1}
	self   = journal.AuthorityID{0xa1}
	dst    = journal.AuthorityID{0xd1}
	device = journal.DeviceID{0xde}
	secret = []byte("authority-secret")
)

// failing is a SpentSource whose lookup fails.
type failing struct{}

func (failing) Spent(budget.Key) (uint64, error) { return 0, errors.New("store down") }

// fixed returns the same Spent for every key.
type fixed uint64

func (f fixed) Spent(budget.Key) (uint64, error) { return uint64(f), nil }

func frontier(caps ...string) cap.Frontier {
	return cap.Frontier{Caps: caps, Limit: 10_000, FromEpoch: 2, ToEpoch: 8}
}

// snap is a valid 2-device snapshot: slot 1, share 5 000, cost 50,
// needing consensus:witness_nonce, with a receipt.
func snap() *guard.Snapshot {
	st, _ := budget.Freeze(5, 10_000, []uint32{3, 7}, 7)
	ph := receipt.PayloadHash("/aura/consensus/1.0.0", []byte("frame"))
	return &guard.Snapshot{Ctx: ctx, Dst: dst, Epoch: 5, Need: cap.ConsensusWitnessNonce, Cost: 50,
		Frontier: frontier(cap.ConsensusInitiate, cap.ConsensusWitnessNonce), Slots: st,
		Receipt: &guard.ReceiptParams{Src: self, Device: device, Secret: secret,
			Prev: receipt.Root(ctx, ph), PayloadHash: ph}}
}

func TestDecideTable(t *testing.T) {
	type tc struct {
		name  string
		mod   func(s *guard.Snapshot)
		src   guard.SpentSource
		stage guard.Stage
		want  error // nil: approved
		need  uint64
		have  uint64
	}
	cases := []tc{
		{name: "approved", src: fixed(100)},
		{name: "exact headroom", src: fixed(4_950)},
		{name: "no receipt (authority scope)", mod: func(s *guard.Snapshot) { s.Receipt = nil }, src: fixed(0)},
		{name: "policy-only forward", mod: func(s *guard.Snapshot) {
			s.Need, s.Frontier = "", cap.Frontier{}
			s.Slots, s.Receipt = budget.Single(5, budget.RendezvousForwardLimit), nil
			s.Cost = 1
		}, src: fixed(0)},
		{name: "cost over share at once", mod: func(s *guard.Snapshot) {
			s.Slots = budget.Single(5, 40)
		}, src: fixed(0), stage: guard.StageSnapshot, want: flow.ErrInsufficientBudget, need: 50, have: 40},
		{name: "step 0 before step 1", mod: func(s *guard.Snapshot) {
			s.Slots, s.Need = budget.Single(5, 40), cap.ConsensusDKG
		}, src: fixed(0), stage: guard.StageSnapshot, want: flow.ErrInsufficientBudget, need: 50, have: 40},
		{name: "cost zero", mod: func(s *guard.Snapshot) { s.Cost = 0 }, src: fixed(0),
			stage: guard.StageSnapshot, want: guard.ErrBadSnapshot},
		{name: "cost over MaxFrameCost", mod: func(s *guard.Snapshot) { s.Cost = 101 }, src: fixed(0),
			stage: guard.StageSnapshot, want: guard.ErrBadSnapshot},
		{name: "missing slot table", mod: func(s *guard.Snapshot) { s.Slots = budget.SlotTable{} }, src: fixed(0),
			stage: guard.StageSnapshot, want: guard.ErrBadSnapshot},
		{name: "slot table of another epoch", mod: func(s *guard.Snapshot) { s.Slots.Epoch = 4 }, src: fixed(0),
			stage: guard.StageSnapshot, want: guard.ErrBadSnapshot},
		{name: "receipt without secret", mod: func(s *guard.Snapshot) { s.Receipt.Secret = nil }, src: fixed(0),
			stage: guard.StageSnapshot, want: guard.ErrBadSnapshot},
		{name: "capability missing", mod: func(s *guard.Snapshot) { s.Need = cap.ConsensusDKG }, src: fixed(0),
			stage: guard.StageCap, want: cap.ErrNotPermitted},
		{name: "epoch outside window", mod: func(s *guard.Snapshot) {
			s.Frontier.ToEpoch = 4
		}, src: fixed(0), stage: guard.StageCap, want: cap.ErrEpochWindow},
		{name: "empty frontier", mod: func(s *guard.Snapshot) { s.Frontier = cap.Frontier{} }, src: fixed(0),
			stage: guard.StageCap, want: flow.ErrAuthorizationDenied},
		{name: "step 1 before step 2", mod: func(s *guard.Snapshot) { s.Need = cap.ConsensusDKG }, src: fixed(5_000),
			stage: guard.StageCap, want: flow.ErrAuthorizationDenied},
		{name: "over share", src: fixed(4_951), stage: guard.StageFlow, want: flow.ErrInsufficientBudget, need: 50, have: 49},
		{name: "spent above share", src: fixed(6_000), stage: guard.StageFlow, want: flow.ErrInsufficientBudget, need: 50, have: 0},
		{name: "spent near overflow", src: fixed(math.MaxUint64 - 10), stage: guard.StageFlow,
			want: flow.ErrInsufficientBudget, need: 50, have: 0},
		{name: "lookup error denies", src: failing{}, stage: guard.StageFlow, want: guard.ErrBudgetLookup},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := snap()
			if c.mod != nil {
				c.mod(s)
			}
			before := *s
			ch, err := guard.Decide(s, c.src)
			if c.want == nil {
				checkApproved(t, s, c.src, ch, err)
				return
			}
			checkDenied(t, err, c.stage, c.want, c.need, c.have)
			if ch != (guard.Charge{}) {
				t.Fatalf("denial returned a charge %+v", ch)
			}
			if s.Cost != before.Cost || s.Slots != before.Slots {
				t.Fatal("Decide modified the snapshot")
			}
		})
	}
}

func checkApproved(t *testing.T, s *guard.Snapshot, src guard.SpentSource, ch guard.Charge, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("denied: %v", err)
	}
	spent, _ := src.Spent(guard.Key(s))
	if ch.Key != guard.Key(s) || ch.Spent != spent+uint64(s.Cost) || ch.Cost != s.Cost || ch.Spent > s.Slots.Share() {
		t.Fatalf("charge %+v (spent before %d, share %d)", ch, spent, s.Slots.Share())
	}
	if s.Receipt == nil {
		if ch.Receipt != nil || ch.Nonce != 0 {
			t.Fatal("receipt built where none travels")
		}
		return
	}
	if ch.Nonce != receipt.Nonce(secret, ch.Key, device, ch.Spent) {
		t.Fatal("nonce is not ReceiptNonce(bk, Spent')")
	}
	r := ch.Receipt
	if r.Ctx != ctx || r.Src != self || r.Dst != dst || r.Epoch != 5 || r.Cost != s.Cost ||
		r.Nonce != ch.Nonce || r.Prev != s.Receipt.Prev || r.PayloadHash != s.Receipt.PayloadHash || r.Sig != [64]byte{} {
		t.Fatalf("receipt %+v", r)
	}
}

func checkDenied(t *testing.T, err error, stage guard.Stage, want error, need, have uint64) {
	t.Helper()
	var de *guard.DenialError
	if !errors.As(err, &de) || de.Stage != stage || !errors.Is(err, want) || !errors.Is(err, guard.ErrDenied) {
		t.Fatalf("err = %v, want stage %s wrapping %v", err, stage, want)
	}
	isCap := errors.Is(err, flow.ErrAuthorizationDenied)
	isBudget := errors.Is(err, flow.ErrInsufficientBudget)
	if isCap == isBudget {
		t.Fatalf("err %v must wrap exactly one guard sentinel", err)
	}
	if need != 0 {
		var be *flow.BudgetError
		if !errors.As(err, &be) || be.Need != need || be.Have != have {
			t.Fatalf("budget error = %v, want {%d %d}", err, need, have)
		}
	}
}

// TestChargeLoopExactHeadroom runs Decide against a Ledger the way the
// executor will (decide, commit, apply): the share is spent exactly, the
// next send is refused, refusals leave Spent unchanged, Spent rises
// strictly per approved send and nonces never repeat (SPEC §16.15 at the
// decision level).
func TestChargeLoopExactHeadroom(t *testing.T) {
	var l budget.Ledger
	s := snap()
	share := s.Slots.Share()
	nonces := map[uint64]bool{}
	var last uint64
	for i := 0; ; i++ {
		ch, err := guard.Decide(s, &l)
		if err != nil {
			checkDenied(t, err, guard.StageFlow, flow.ErrInsufficientBudget, 50, 0)
			break
		}
		if ch.Spent <= last || nonces[ch.Nonce] {
			t.Fatalf("send %d: Spent %d after %d, nonce repeat %v", i, ch.Spent, last, nonces[ch.Nonce])
		}
		nonces[ch.Nonce], last = true, ch.Spent
		l.Commit(ch.Key, ch.Spent)
	}
	if got, _ := l.Spent(guard.Key(s)); got != share {
		t.Fatalf("Spent %d, want exactly Share %d", got, share)
	}
}

// TestReceiptRoundTrip: the receipt a Charge carries, once signed, is
// accepted by the receiver's verifier.
func TestReceiptRoundTrip(t *testing.T) {
	var seed [32]byte
	k := ed25519.NewKeyFromSeed(seed[:])
	var pub [32]byte
	copy(pub[:], k.Public().(ed25519.PublicKey))
	s := snap()
	ch, err := guard.Decide(s, fixed(0))
	if err != nil {
		t.Fatal(err)
	}
	ch.Receipt.Sign(k)
	x := receipt.Direct(ctx, dst, pub, s.Cost, s.Receipt.PayloadHash)
	clk := receipt.Clock{Current: 5, Schedule: budget.ContextSchedule(0, 300_000), NowMs: 5*300_000 + 1}
	v := receipt.NewVerifier(receipt.DefaultConfig())
	if o, _ := v.Verify(ch.Receipt, x, clk, &receipt.MemWindow{}, 10_000); o != receipt.Accepted {
		t.Fatalf("receiver: %s", o)
	}
}

func TestNeed(t *testing.T) {
	all := cap.Frontier{Caps: cap.AllNames()}
	for m := budget.MsgInvalid + 1; m.Valid(); m++ {
		name, ok := guard.Need(m)
		if m == budget.MsgEnvelope {
			if ok {
				t.Fatal("envelopes need per body type, not a fixed cap")
			}
			continue
		}
		if !ok {
			t.Fatalf("msg %d has no need", m)
		}
		if name != "" && !all.Has(name) {
			t.Fatalf("msg %d needs unknown cap %q", m, name)
		}
	}
	for m, want := range map[budget.Msg]string{
		budget.MsgExecute: cap.ConsensusInitiate, budget.MsgFallbackCommit: cap.ConsensusFinalize,
		budget.MsgDKG: cap.ConsensusDKG, budget.MsgRelayHop: cap.RelayForward,
		budget.MsgFallbackForward: "", budget.MsgRendezvousForward: "",
	} {
		if got, _ := guard.Need(m); got != want {
			t.Fatalf("Need(%d) = %q, want %q", m, got, want)
		}
	}
	if _, ok := guard.Need(budget.MsgInvalid); ok {
		t.Fatal("invalid msg has a need")
	}
}

func TestStageLabels(t *testing.T) {
	for s, want := range map[guard.Stage]string{guard.StageSnapshot: "snapshot", guard.StageCap: "cap", guard.StageFlow: "flow", 9: "unknown"} {
		if s.String() != want {
			t.Fatalf("stage %d label %q", s, s)
		}
	}
}

func BenchmarkDecideWithReceipt(b *testing.B) {
	var l budget.Ledger
	s := snap()
	s.Slots = budget.Single(5, math.MaxUint64)
	for b.Loop() {
		ch, err := guard.Decide(s, &l)
		if err != nil {
			b.Fatal(err)
		}
		l.Commit(ch.Key, ch.Spent)
	}
}

func BenchmarkDecideNoReceipt(b *testing.B) {
	var l budget.Ledger
	s := snap()
	s.Slots, s.Receipt = budget.Single(5, math.MaxUint64), nil
	for b.Loop() {
		ch, err := guard.Decide(s, &l)
		if err != nil {
			b.Fatal(err)
		}
		l.Commit(ch.Key, ch.Spent)
	}
}

func BenchmarkDecideSign(b *testing.B) {
	var seed [32]byte
	k := ed25519.NewKeyFromSeed(seed[:])
	var l budget.Ledger
	s := snap()
	s.Slots = budget.Single(5, math.MaxUint64)
	for b.Loop() {
		ch, err := guard.Decide(s, &l)
		if err != nil {
			b.Fatal(err)
		}
		ch.Receipt.Sign(k)
		l.Commit(ch.Key, ch.Spent)
	}
}
