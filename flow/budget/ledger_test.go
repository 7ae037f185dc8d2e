package budget

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/internal/flowerr"
)

var (
	ctxA = [16]byte{1}
	dstA = [16]byte{2}
)

// TestExactCharge is SPEC §16.15 at the core: charging exactly the
// headroom leaves Spent == Share; one more unit is a BudgetError{1, 0}
// matching flow.ErrInsufficientBudget, and the refusal changes nothing.
func TestExactCharge(t *testing.T) {
	st, _ := Freeze(0, 10_000, []uint32{1}, 1)
	var l Ledger
	k := st.Key(ctxA, dstA)
	s, err := l.Charge(k, 9_900, st.Share())
	if err != nil {
		t.Fatal(err)
	}
	l.Commit(k, s)
	s, err = l.Charge(k, Headroom(s, st.Share()), st.Share())
	if err != nil || s != st.Share() {
		t.Fatalf("exact headroom: spent %d, err %v; want %d", s, err, st.Share())
	}
	l.Commit(k, s)
	_, err = l.Charge(k, 1, st.Share())
	var be *flowerr.BudgetError
	if !errors.Is(err, flowerr.ErrInsufficientBudget) || !errors.As(err, &be) || be.Need != 1 || be.Have != 0 {
		t.Fatalf("over-charge err = %v", err)
	}
	if got, _ := l.Spent(k); got != st.Share() {
		t.Fatalf("refusal changed Spent to %d", got)
	}
}

func TestDecideOverflow(t *testing.T) {
	if _, err := Decide(math.MaxUint64-1, 5, math.MaxUint64); !errors.Is(err, flowerr.ErrInsufficientBudget) {
		t.Fatalf("overflowing charge err = %v", err)
	}
	if s, err := Decide(math.MaxUint64-5, 5, math.MaxUint64); err != nil || s != math.MaxUint64 {
		t.Fatalf("charge to MaxUint64: %d %v", s, err)
	}
	if _, err := Decide(200, 1, 100); err == nil {
		t.Fatal("spent above share must refuse")
	}
}

// TestChargeProperties: over seeded random charge sequences headroom never
// rises (monotonic_decrease), Spent ≤ Share (InvariantFlowBudgetNonNegative)
// and Spent' = Spent + cost exactly when accepted.
func TestChargeProperties(t *testing.T) {
	for seed := range seeds() {
		r := rand.New(rand.NewPCG(uint64(seed), 0xf10))
		share := MinLimit/64 + r.Uint64N(200_000)
		var spent uint64
		prevHead := Headroom(spent, share)
		for range 200 {
			cost := 1 + r.Uint64N(MaxFrameCost)
			next, err := Decide(spent, cost, share)
			switch {
			case err == nil && next != spent+cost:
				t.Fatalf("seed %d: Spent' = %d, want %d", seed, next, spent+cost)
			case err != nil && spent+cost <= share:
				t.Fatalf("seed %d: refused a fitting charge", seed)
			case err == nil:
				spent = next
			}
			if spent > share {
				t.Fatalf("seed %d: Spent %d > Share %d", seed, spent, share)
			}
			h := Headroom(spent, share)
			if h > prevHead {
				t.Fatalf("seed %d: headroom rose %d → %d", seed, prevHead, h)
			}
			prevHead = h
		}
	}
}

func TestLedgerCommitMonotonic(t *testing.T) {
	var l Ledger
	k := Key{Ctx: ctxA, Dst: dstA, Epoch: 4}
	l.Commit(k, 50)
	l.Commit(k, 20)
	if s, _ := l.Spent(k); s != 50 {
		t.Fatalf("a lower record replaced a higher one: %d", s)
	}
	old := Key{Ctx: ctxA, Dst: dstA, Epoch: 3}
	l.Commit(old, 10)
	l.Rollover(4)
	if s, _ := l.Spent(old); s != 0 || l.Len() != 1 {
		t.Fatalf("rollover kept epoch 3 (%d) or dropped epoch 4 (len %d)", s, l.Len())
	}
}

func BenchmarkDecide(b *testing.B) {
	var l Ledger
	k := Key{Ctx: ctxA, Dst: dstA}
	for b.Loop() {
		s, err := l.Charge(k, 1, math.MaxUint64)
		if err != nil {
			b.Fatal(err)
		}
		l.Commit(k, s)
	}
}
