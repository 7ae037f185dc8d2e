package guard_test

import (
	"crypto/ed25519"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/guard"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
)

// sender is one device of a 2-device authority.
type sender struct {
	dev    journal.DeviceID
	slots  budget.SlotTable
	ledger budget.Ledger
}

// sendAll charges frames of random cost until the share is spent and
// returns the signed receipts; after half the frames the limit rises to
// raised (0: no raise).
func (s *sender) sendAll(t *testing.T, r *rand.Rand, k ed25519.PrivateKey, raised uint64) []receipt.Receipt {
	t.Helper()
	var out []receipt.Receipt
	for i := 0; ; i++ {
		if raised != 0 && i == 20 {
			s.slots = s.slots.WithLimit(raised)
		}
		ph := receipt.PayloadHash("/aura/ctx/1.0.0", []byte{byte(i), byte(i >> 8)})
		snap := &guard.Snapshot{Ctx: ctx, Dst: dst, Epoch: 5, Need: cap.SyncPushOps,
			Cost: uint32(20 + r.IntN(81)), Frontier: cap.Frontier{Caps: cap.AllNames(), ToEpoch: 9},
			Slots: s.slots, Receipt: &guard.ReceiptParams{Src: self, Device: s.dev, Secret: secret,
				Prev: receipt.Root(ctx, ph), PayloadHash: ph}}
		ch, err := guard.Decide(snap, &s.ledger)
		if err != nil {
			sp, _ := s.ledger.Spent(guard.Key(snap))
			if budget.Headroom(sp, s.slots.Share()) >= uint64(snap.Cost) {
				t.Fatalf("refused with headroom left: %v", err)
			}
			return out
		}
		s.ledger.Commit(ch.Key, ch.Spent)
		ch.Receipt.Sign(k)
		out = append(out, *ch.Receipt)
	}
}

// TestPartitionedDevicesReceiverBound is SPEC §16.19 at the core level:
// two devices of one authority, partitioned for a flow epoch, both send to
// dst at full rate, once with agreeing slot tables and a mid-epoch limit
// raise, once with disagreeing tables (both slot 0). dst, enforcing the
// limit it granted, accepts ≤ Limit units, never a nonce twice, and drops
// no genuine frame as replay.
func TestPartitionedDevicesReceiverBound(t *testing.T) {
	runs := 3
	if os.Getenv("AURA_LONG") == "1" {
		runs = 100
	}
	var seed [32]byte
	k := ed25519.NewKeyFromSeed(seed[:])
	var pub [32]byte
	copy(pub[:], k.Public().(ed25519.PublicKey))
	for run := range runs {
		for _, c := range []struct {
			name          string
			agree         bool
			limit, raised uint64
		}{{"agreeing, raised", true, 10_000, 14_000}, {"disagreeing", false, 10_000, 0}} {
			r := rand.New(rand.NewPCG(uint64(run), 0x19))
			devs := []*sender{{dev: journal.DeviceID{0xa}}, {dev: journal.DeviceID{0xb}}}
			for i, d := range devs {
				leaves := []uint32{3, 7}
				if !c.agree {
					leaves = leaves[i : i+1] // each believes it is alone: slot 0
				}
				d.slots, _ = budget.Freeze(5, c.limit, leaves, leaves[min(i, len(leaves)-1)])
			}
			frames := append(devs[0].sendAll(t, r, k, c.raised), devs[1].sendAll(t, r, k, c.raised)...)
			r.Shuffle(len(frames), func(i, j int) { frames[i], frames[j] = frames[j], frames[i] })
			granted := max(c.limit, c.raised)
			checkReceiver(t, c.name, frames, pub, granted)
		}
	}
}

func checkReceiver(t *testing.T, name string, frames []receipt.Receipt, pub [32]byte, limit uint64) {
	t.Helper()
	v := receipt.NewVerifier(receipt.DefaultConfig())
	clk := receipt.Clock{Current: 5, Schedule: budget.ContextSchedule(0, 300_000), NowMs: 5*300_000 + 1}
	var book receipt.Book
	var accepted, offered uint64
	for i := range frames {
		f := &frames[i]
		offered += uint64(f.Cost)
		x := receipt.Direct(ctx, dst, pub, f.Cost, f.PayloadHash)
		o, d := book.Verify(v, f, x, clk, limit)
		switch o {
		case receipt.Accepted:
			book.Apply(d)
			accepted += uint64(f.Cost)
		case receipt.OverLimit:
		default:
			t.Fatalf("%s: genuine frame %d refused as %s", name, i, o)
		}
	}
	w := book.Window(receipt.WindowKey{Ctx: ctx, Src: self, Epoch: 5})
	if accepted > limit || w.Accepted() != accepted {
		t.Fatalf("%s: accepted %d (window %d) > Limit %d", name, accepted, w.Accepted(), limit)
	}
	if offered > limit && limit-accepted >= 100 {
		t.Fatalf("%s: offered %d but accepted only %d of %d", name, offered, accepted, limit)
	}
}
