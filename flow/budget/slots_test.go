package budget

import (
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/internal/flowerr"
)

func leaves(n int) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32(3*n - 2*i) // descending, non-contiguous
	}
	return out
}

func TestFreeze(t *testing.T) {
	st, err := Freeze(7, 10_000, []uint32{9, 2, 5}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if st != (SlotTable{Epoch: 7, Limit: 10_000, N: 3, Slot: 1}) {
		t.Fatalf("table = %+v", st)
	}
	bad := []struct {
		name   string
		limit  uint64
		leaves []uint32
		self   uint32
		err    error
	}{
		{"empty", MinLimit, nil, 1, ErrBadSlotTable},
		{"self missing", MinLimit, []uint32{1, 2}, 3, ErrBadSlotTable},
		{"duplicate", MinLimit, []uint32{1, 1, 2}, 2, ErrBadSlotTable},
		{"too many", MinLimit, leaves(MaxDevices + 1), 3, ErrBadSlotTable},
		{"low limit", MinLimit - 1, []uint32{1}, 1, ErrLimitTooLow},
	}
	for _, c := range bad {
		if _, err := Freeze(0, c.limit, c.leaves, c.self); !errors.Is(err, c.err) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.err)
		}
	}
}

// TestSharesPartitionLimit: shares sum to Limit, slot 0 gets the
// remainder, and at MinLimit every share of every table size up to
// MaxDevices holds a MaxFrameCost frame (SPEC §6.2, L5).
func TestSharesPartitionLimit(t *testing.T) {
	for n := 1; n <= MaxDevices; n++ {
		for _, limit := range []uint64{MinLimit, MinLimit + 63, 10_007} {
			ls := leaves(n)
			st, err := Freeze(0, limit, ls, ls[0])
			if err != nil {
				t.Fatal(err)
			}
			var sum uint64
			for s := range uint16(n) {
				sh := st.ShareOf(s)
				if sh < MaxFrameCost {
					t.Fatalf("n=%d limit=%d slot %d share %d < MaxFrameCost", n, limit, s, sh)
				}
				if s > 0 && sh != limit/uint64(n) {
					t.Fatalf("n=%d slot %d share %d", n, s, sh)
				}
				sum += sh
			}
			if sum != limit {
				t.Fatalf("n=%d limit=%d: shares sum to %d", n, limit, sum)
			}
			if st.ShareOf(uint16(n)) != 0 {
				t.Fatal("slot outside table has a share")
			}
		}
	}
}

func TestWithLimitOnlyRises(t *testing.T) {
	st, _ := Freeze(0, 10_000, []uint32{1, 2}, 2)
	if got := st.WithLimit(8_000); got != st {
		t.Fatalf("lower limit changed the table: %+v", got)
	}
	up := st.WithLimit(20_000)
	if up.Limit != 20_000 || up.Share() != 10_000 || up.N != 2 || up.Slot != 1 {
		t.Fatalf("raised table = %+v share %d", up, up.Share())
	}
}

func TestSingle(t *testing.T) {
	st := Single(3, RendezvousPublishLimit)
	if !st.Valid() || st.Share() != RendezvousPublishLimit || st.Slot != 0 {
		t.Fatalf("Single = %+v", st)
	}
	if (SlotTable{}).Valid() || (SlotTable{}).Share() != 0 {
		t.Fatal("zero table must be invalid with no share")
	}
}

// TestMinLimit64Slots is SPEC §16.39 at the core level: Limit = MinLimit
// split over 64 devices; every slot charges a MaxFrameCost frame in every
// one of several flow epochs.
func TestMinLimit64Slots(t *testing.T) {
	ls := leaves(MaxDevices)
	for epoch := uint64(0); epoch < 3; epoch++ {
		for _, self := range ls {
			st, err := Freeze(epoch, MinLimit, ls, self)
			if err != nil {
				t.Fatal(err)
			}
			var l Ledger
			k := st.Key(ctxA, dstA)
			if _, err := l.Charge(k, MaxFrameCost, st.Share()); err != nil {
				t.Fatalf("epoch %d slot %d: MaxFrameCost frame refused: %v", epoch, st.Slot, err)
			}
		}
	}
}

// TestPartitionedDevicesBounded is SPEC §16.19 at the core level: two
// devices with frozen disjoint slot tables, each charging at full rate,
// never jointly spend more than Limit, also when the limit rises
// mid-epoch; with disagreeing tables (both slot 0) the overspend is at
// most one share.
func TestPartitionedDevicesBounded(t *testing.T) {
	const limit = 10_001
	ls := []uint32{4, 8}
	a, _ := Freeze(1, limit, ls, 4)
	b, _ := Freeze(1, limit, ls, 8)
	if got := drain(t, a, 37) + drain(t, b, 37); got > limit {
		t.Fatalf("disjoint slots spent %d > Limit %d", got, limit)
	}
	const raised = 20_000
	if got := drainRaised(t, a, raised) + drainRaised(t, b, raised); got > raised {
		t.Fatalf("after raise spent %d > Limit %d", got, raised)
	}
	// Disagreeing tables: b thinks it is alone in slot 0 of a 1-device table.
	solo, _ := Freeze(1, limit, []uint32{8}, 8)
	if got := drain(t, a, 37) + drain(t, solo, 37); got > limit+a.Share() {
		t.Fatalf("disagreeing tables spent %d > Limit + one share", got)
	}
}

// drain charges cost until refused and returns Spent; the refusal must be
// a BudgetError with the exact headroom.
func drain(t *testing.T, st SlotTable, cost uint64) uint64 {
	t.Helper()
	var l Ledger
	k := st.Key(ctxA, dstA)
	for {
		s, err := l.Charge(k, cost, st.Share())
		if err != nil {
			var be *flowerr.BudgetError
			sp, _ := l.Spent(k)
			if !errors.As(err, &be) || be.Need != cost || be.Have != st.Share()-sp {
				t.Fatalf("refusal = %v", err)
			}
			return sp
		}
		l.Commit(k, s)
	}
}

// drainRaised spends half the share, raises the limit, spends the rest.
func drainRaised(t *testing.T, st SlotTable, raised uint64) uint64 {
	t.Helper()
	var l Ledger
	k := st.Key(ctxA, dstA)
	half := st.Share() / 2
	s, err := l.Charge(k, half, st.Share())
	if err != nil {
		t.Fatal(err)
	}
	l.Commit(k, s)
	st = st.WithLimit(raised)
	s, err = l.Charge(k, st.Share()-half, st.Share())
	if err != nil {
		t.Fatal(err)
	}
	l.Commit(k, s)
	sp, _ := l.Spent(k)
	return sp
}
