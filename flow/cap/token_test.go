package cap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/internal/flowerr"
	"github.com/aura-p2p/aura-p2p/internal/canon"
)

func TestAllNames(t *testing.T) {
	names := AllNames()
	if !strictlySorted(names) || len(names) != 14 {
		t.Fatalf("AllNames not sorted/unique or wrong size: %v", names)
	}
	for _, n := range []string{ConsensusInitiate, ConsensusWitnessNonce, ConsensusAggregateNonces,
		ConsensusWitnessSign, ConsensusFinalize, ConsensusDKG, RendezvousPublish, RendezvousConnect,
		RendezvousRelay, RelayForward, SyncRequestDigest, SyncRequestOps, SyncPushOps, SyncAnnounceOp} {
		if (Frontier{Caps: names}).Has(n) == false {
			t.Fatalf("AllNames lacks %s", n)
		}
	}
}

// TestCanonicalLayout pins the block encoding field by field (SPEC §0).
func TestCanonicalLayout(t *testing.T) {
	b := CapBlock{Context: ctx1, Subject: bob, Caps: []string{"a", "bc"}, FlowLimit: 7,
		FromEpoch: 8, ToEpoch: 9, NextKey: [32]byte{0xee}, Sig: [64]byte{0x55}}
	var want []byte
	want = append(want, ctx1[:]...)
	want = append(want, bob[:]...)
	want = append(want, 2, 1, 'a', 2, 'b', 'c')
	want = binary.BigEndian.AppendUint64(want, 7)
	want = binary.BigEndian.AppendUint64(want, 8)
	want = binary.BigEndian.AppendUint64(want, 9)
	want = append(want, b.NextKey[:]...)
	if !bytes.Equal(b.Unsigned(), want) {
		t.Fatalf("Unsigned =\n%x\nwant\n%x", b.Unsigned(), want)
	}
	if !bytes.Equal(b.Canonical(), append(want, b.Sig[:]...)) {
		t.Fatal("Canonical must be Unsigned ‖ Sig")
	}
	tok := CapToken{Issuer: [32]byte{0x11}, Blocks: []CapBlock{b}}
	var tw []byte
	tw = append(tw, tok.Issuer[:]...)
	tw = append(tw, 1)
	tw = binary.AppendUvarint(tw, uint64(len(b.Canonical())))
	tw = append(tw, b.Canonical()...)
	if !bytes.Equal(tok.Canonical(), tw) {
		t.Fatal("token encoding must be Issuer ‖ count ‖ lp(block)…")
	}
	if tok.Hash() != canon.HPlain(tw) {
		t.Fatal("Hash must be H(token)")
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	k, _ := key(1)
	_, np := key(2)
	tok := issue(t, k, grantBlock(bob, 10_000, 0, 5, np))
	raw := tok.Canonical()
	got, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Canonical(), raw) || got.Hash() != tok.Hash() {
		t.Fatal("decode/encode not the identity")
	}
}

func TestDecodeRejects(t *testing.T) {
	k, _ := key(1)
	_, np := key(2)
	good := issue(t, k, grantBlock(bob, 10_000, 0, 5, np))
	raw := good.Canonical()
	blk := good.Blocks[0]
	mk := func(b CapBlock) []byte {
		return (&CapToken{Issuer: good.Issuer, Blocks: []CapBlock{b}}).Canonical()
	}
	unsorted := blk
	unsorted.Caps = []string{"b", "a"}
	dup := blk
	dup.Caps = []string{"a", "a"}
	empty := blk
	empty.Caps = []string{""}
	long := blk
	long.Caps = []string{string(bytes.Repeat([]byte("x"), MaxCapName+1))}
	badUTF := blk
	badUTF.Caps = []string{"\xff"}
	many := CapToken{Issuer: good.Issuer}
	for range MaxBlocks + 1 {
		many.Blocks = append(many.Blocks, blk)
	}
	nonMinimal := append(append([]byte(nil), raw[:32]...), 0x81, 0x00)
	nonMinimal = append(nonMinimal, raw[33:]...)
	cases := map[string][]byte{
		"empty":       nil,
		"truncated":   raw[:len(raw)-1],
		"trailing":    append(append([]byte(nil), raw...), 0),
		"no blocks":   append(append([]byte(nil), raw[:32]...), 0),
		"unsorted":    mk(unsorted),
		"duplicate":   mk(dup),
		"empty name":  mk(empty),
		"long name":   mk(long),
		"bad utf8":    mk(badUTF),
		"many blocks": many.Canonical(),
		"non-minimal": nonMinimal,
		"huge":        make([]byte, MaxTokenBytes+1),
		"lp too long": append(append([]byte(nil), raw[:33]...), 0xff, 0x7f),
		"inner extra": innerTrailing(good),
	}
	for name, in := range cases {
		if _, err := Decode(in); !errors.Is(err, ErrMalformed) || !errors.Is(err, flowerr.ErrAuthorizationDenied) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// innerTrailing wraps a block with one extra byte inside its lp.
func innerTrailing(tok CapToken) []byte {
	b := append(tok.Blocks[0].Canonical(), 0)
	out := append([]byte(nil), tok.Issuer[:]...)
	out = append(out, 1)
	out = binary.AppendUvarint(out, uint64(len(b)))
	return append(out, b...)
}

// FuzzDecode: Decode never panics, and whatever it accepts re-encodes to
// the same bytes (so H(raw) is the token hash) within the bounds.
func FuzzDecode(f *testing.F) {
	k, _ := key(1)
	_, np := key(2)
	tok, _ := Issue(k, grantBlock(bob, 10_000, 0, 5, np))
	f.Add(tok.Canonical())
	two, _ := Attenuate(tok, mustKey(2), CapBlock{Context: ctx1, Subject: carol,
		Caps: []string{SyncPushOps}, FlowLimit: 6400, FromEpoch: 1, ToEpoch: 2})
	f.Add(two.Canonical())
	f.Add([]byte{})
	f.Add(make([]byte, 33))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Decode(raw)
		if err != nil {
			return
		}
		if !bytes.Equal(got.Canonical(), raw) {
			t.Fatalf("accepted non-canonical input")
		}
		if len(got.Blocks) == 0 || len(got.Blocks) > MaxBlocks {
			t.Fatalf("accepted %d blocks", len(got.Blocks))
		}
		for _, b := range got.Blocks {
			if len(b.Caps) > MaxCaps || !strictlySorted(b.Caps) {
				t.Fatal("accepted bad caps")
			}
		}
	})
}

func mustKey(label byte) []byte {
	k, _ := key(label)
	return k
}
