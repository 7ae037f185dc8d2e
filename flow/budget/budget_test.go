package budget

import (
	"errors"
	"math"
	"os"
	"testing"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// seeds is the number of seeded cases a property test runs: a sample by
// default, 10⁴ with AURA_LONG=1.
func seeds() int {
	if os.Getenv("AURA_LONG") == "1" {
		return 10_000
	}
	return 200
}

func TestConstants(t *testing.T) {
	if MinLimit != 6400 || MaxFrameCost != 100 || MaxDevices != 64 {
		t.Fatalf("protocol constants changed: MinLimit=%d MaxFrameCost=%d MaxDevices=%d",
			MinLimit, MaxFrameCost, MaxDevices)
	}
	if c, _ := SizeCost(MaxSizePricedBytes); c > MaxFrameCost {
		t.Fatalf("largest size-priced frame costs %d > MaxFrameCost", c)
	}
}

func TestCostTable(t *testing.T) {
	fixed := map[Msg]uint32{
		MsgExecute: 100, MsgNonceCommit: 50, MsgCommitmentAnnounce: 50, MsgSignRequest: 75,
		MsgSignShare: 50, MsgStateMismatch: 50, MsgConflict: 50, MsgCommitDirect: 100,
		MsgDKG: 50, MsgRendezvousPublish: 1, MsgRendezvousForward: 1,
		MsgConnectDirect: 2, MsgConnectRelayed: 3,
	}
	for m := MsgInvalid + 1; m < msgEnd; m++ {
		for _, n := range []int{0, 1, 1024, 1025, 4096, MaxSizePricedBytes} {
			c, err := Cost(m, n)
			if err != nil {
				t.Fatalf("Cost(%d, %d): %v", m, n, err)
			}
			if want, ok := fixed[m]; ok && c != want {
				t.Fatalf("Cost(%d) = %d, want fixed %d", m, c, want)
			}
			if c < 1 || c > MaxFrameCost {
				t.Fatalf("Cost(%d, %d) = %d outside [1, MaxFrameCost]", m, n, c)
			}
		}
		if _, ok := fixed[m]; ok == m.SizePriced() {
			t.Fatalf("msg %d: SizePriced = %v disagrees with the table", m, m.SizePriced())
		}
	}
	if _, err := Cost(MsgInvalid, 0); !errors.Is(err, ErrUnknownMessage) {
		t.Fatalf("Cost(MsgInvalid) err = %v", err)
	}
	if _, err := Cost(msgEnd, 0); !errors.Is(err, ErrUnknownMessage) {
		t.Fatalf("Cost(msgEnd) err = %v", err)
	}
}

func TestSizeCost(t *testing.T) {
	cases := []struct {
		bytes int
		want  uint32
		err   error
	}{
		{0, 1, nil}, {1, 2, nil}, {1024, 2, nil}, {1025, 3, nil}, {2048, 3, nil},
		{MaxSizePricedBytes, 66, nil},
		{MaxSizePricedBytes + 1, 0, ErrFrameTooLarge}, {-1, 0, ErrFrameTooLarge},
	}
	for _, c := range cases {
		got, err := SizeCost(c.bytes)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("SizeCost(%d) = %d, %v; want %d, %v", c.bytes, got, err, c.want, c.err)
		}
	}
	if _, err := Cost(MsgEnvelope, MaxSizePricedBytes+1); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversize envelope err = %v", err)
	}
}

func TestCreditCost(t *testing.T) {
	cases := []struct {
		g    uint32
		want uint32
		err  error
	}{
		{0, 1, nil}, {1, 2, nil}, {24, 2, nil}, {25, 3, nil}, {256, 12, nil},
		{2413, 100, nil}, {2414, 0, ErrCostTooHigh}, {math.MaxUint32, 0, ErrCostTooHigh},
	}
	for _, c := range cases {
		got, err := CreditCost(c.g)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("CreditCost(%d) = %d, %v; want %d, %v", c.g, got, err, c.want, c.err)
		}
	}
}

func TestLimits(t *testing.T) {
	if err := ValidLimit(MinLimit - 1); !errors.Is(err, ErrLimitTooLow) {
		t.Fatalf("ValidLimit(MinLimit-1) = %v", err)
	}
	if err := ValidLimit(MinLimit); err != nil {
		t.Fatalf("ValidLimit(MinLimit) = %v", err)
	}
	cases := []struct {
		granted, max, want uint64
		err                error
	}{
		{10_000, 0, 10_000, nil},
		{10_000, 8_000, 8_000, nil},
		{10_000, 20_000, 10_000, nil},
		{10_000, 100, 0, ErrLimitTooLow},
		{100, 0, 0, ErrLimitTooLow},
	}
	for _, c := range cases {
		got, err := CapLimit(c.granted, c.max)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("CapLimit(%d, %d) = %d, %v; want %d, %v", c.granted, c.max, got, err, c.want, c.err)
		}
	}
}

func TestTopicCtx(t *testing.T) {
	a, b := TopicCtx("/aura/rdv/1/x"), TopicCtx("/aura/fb/1/x")
	if a == b {
		t.Fatal("distinct topics share a budget context")
	}
	want := journal.ContextID(canon.Trunc16(canon.H("aura/topic-ctx/v1", []byte("/aura/rdv/1/x"))))
	if a != want {
		t.Fatalf("TopicCtx = %x, want %x", a, want)
	}
}

func TestSchedule(t *testing.T) {
	s := ContextSchedule(1_000, 300_000)
	if s.Start(0) != 1_000 || s.Start(2) != 601_000 {
		t.Fatalf("Start: %d %d", s.Start(0), s.Start(2))
	}
	for _, c := range []struct{ now, want uint64 }{{0, 0}, {999, 0}, {1_000, 0}, {300_999, 0}, {301_000, 1}} {
		if got := s.EpochAt(c.now); got != c.want {
			t.Errorf("EpochAt(%d) = %d, want %d", c.now, got, c.want)
		}
	}
	if s.Start(math.MaxUint64) != math.MaxUint64 {
		t.Fatal("Start must saturate")
	}
	d := DeviceSchedule()
	if d.GenesisMs != 0 || d.EpochMs != DeviceEpochMs || d.EpochAt(600_000) != 2 {
		t.Fatalf("DeviceSchedule = %+v", d)
	}
	if (Schedule{}).EpochAt(5) != 0 {
		t.Fatal("zero schedule must give epoch 0")
	}
}
