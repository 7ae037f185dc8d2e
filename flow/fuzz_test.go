package flow

import (
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
)

// FuzzParseKeys: the key parsers never panic, accept only what the
// encoders produce, and round-trip.
func FuzzParseKeys(f *testing.F) {
	k := budget.Key{Ctx: journal.ContextID{1}, Dst: journal.AuthorityID{2}, Epoch: 7, Slot: 3}
	f.Add(SpentKey(k).String())
	f.Add(ReceiptLogKey(k, 0xdeadbeef).String())
	f.Add(RecvKey(receipt.WindowKey{Ctx: k.Ctx, Epoch: 9}, 1).String())
	f.Add("/aura/f/spent/zz/00/1/1")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if bk, ok := ParseSpentKey(s); ok && SpentKey(bk).String() != s {
			t.Fatalf("spent key %q does not round-trip", s)
		}
		if bk, n, ok := ParseReceiptLogKey(s); ok && ReceiptLogKey(bk, n).String() != s {
			t.Fatalf("receipt key %q does not round-trip", s)
		}
		_, _ = parseNonce(s)
	})
}

// FuzzDecodeRecords: value decoders never panic and round-trip.
func FuzzDecodeRecords(f *testing.F) {
	f.Add(EncodeSpent(42))
	f.Add(encodeCost(7))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, err := DecodeSpent(b); err == nil && string(EncodeSpent(v)) != string(b) {
			t.Fatal("spent round trip")
		}
		if c, err := decodeCost(b); err == nil && string(encodeCost(c)) != string(b) {
			t.Fatal("cost round trip")
		}
	})
}

// FuzzAdmit: arbitrary inbound frames (receipt bytes, frame, token hash,
// kind) never panic the receive path and are never accepted unless they
// carry alice's genuine receipt for exactly that frame.
func FuzzAdmit(f *testing.F) {
	a := newNode(f, alice, 10_000, memDS())
	b := newNode(f, bob, 10_000, memDS())
	s, _ := a.open(f)
	if err := s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 1))); err != nil {
		f.Fatal(err)
	}
	good, rc, th, err := splitFrame(a.tr.Events()[0].frame)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(budget.MsgNonceCommit), good, rc, th[:])
	f.Add(uint8(budget.MsgEnvelope), good, rc[:100], th[:])
	f.Add(uint8(0), []byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, kind uint8, frame, rcpt, tok []byte) {
		var h [32]byte
		copy(h[:], tok)
		in := Inbound{Kind: budget.Msg(kind), Ctx: ctxA, Frame: frame, Receipt: rcpt, TokenHash: h}
		adm, err, clean := admit(b, in)
		if err != nil {
			if !clean {
				t.Fatal("rejection without a clean reset")
			}
			return
		}
		defer adm.Release()
		if string(frame) != string(good) || string(rcpt) != string(rc) {
			t.Fatal("forged frame accepted")
		}
	})
}
