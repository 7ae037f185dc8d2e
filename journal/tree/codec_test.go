package tree

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
)

// sampleRotation is a structurally complete KeyRotation (not a valid DKG).
func sampleRotation() *KeyRotation {
	return &KeyRotation{
		GroupKey: [32]byte{1}, VerShares: map[uint16][32]byte{2: {3}, 1: {2}}, KeyEpoch: 7,
		FrostIDs: map[LeafID]uint16{9: 2, 4: 1}, DKGNonce: [32]byte{5},
		Round1:            [][]byte{slices.Repeat([]byte{1}, 100), slices.Repeat([]byte{2}, 100)},
		DKGTranscriptHash: [32]byte{6}, Confirms: [][64]byte{{7}, {8}},
		SealedSecrets: map[LeafID][]byte{9: sealed(9), 4: sealed(4)},
	}
}

func sampleOp() *TreeOp {
	return &TreeOp{ParentEpoch: 3, ParentRoot: [32]byte{9}, Version: 1, Kind: AddLeaf, Reason: 2,
		Add:       &Leaf{ID: 9, Device: journal.DeviceID{1}, Role: 1, DeviceKey: [32]byte{2}, DHKey: [32]byte{3}, FrostID: 2},
		NewPolicy: &Policy{M: 2, N: 2}, NewKey: sampleRotation()}
}

// TestCodecRoundTrip: decode(Canonical(x)) re-encodes to the same bytes
// for ops, rotations and states.
func TestCodecRoundTrip(t *testing.T) {
	ops := []*TreeOp{sampleOp(), {Version: 1, Kind: RemoveLeaf, Remove: []LeafID{1, 5, 9}},
		{Version: 1, Kind: RotateEpoch}}
	for i, op := range ops {
		b := op.Canonical()
		got, err := DecodeTreeOp(b)
		if err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		if !bytes.Equal(got.Canonical(), b) || got.OpHash() != op.OpHash() {
			t.Fatalf("op %d: round trip differs", i)
		}
	}
	k := sampleRotation()
	got, err := DecodeKeyRotation(k.Canonical())
	if err != nil || !bytes.Equal(got.Canonical(), k.Canonical()) {
		t.Fatalf("rotation round trip: %v", err)
	}
	f := newFixture(t, 3)
	st, err := DecodeTreeState(f.g0.Canonical())
	if err != nil || !bytes.Equal(st.Canonical(), f.g0.Canonical()) || st.ComputeRoot() != f.g0.Root {
		t.Fatalf("state round trip: %v", err)
	}
}

// TestDecodeRejects: non-canonical encodings are ErrMalformed.
func TestDecodeRejects(t *testing.T) {
	good := sampleOp().Canonical()
	unsorted := (&TreeOp{Version: 1, Kind: RemoveLeaf, Remove: []LeafID{5, 1}}).Canonical()
	dup := (&TreeOp{Version: 1, Kind: RemoveLeaf, Remove: []LeafID{5, 5}}).Canonical()
	badOpt := slices.Clone(good)
	badOpt[8+32+2+1] = 2 // Add marker
	cases := map[string][]byte{
		"empty": nil, "truncated": good[:len(good)-1], "trailing": append(slices.Clone(good), 0),
		"unsorted remove": unsorted, "duplicate remove": dup, "bad optional marker": badOpt,
		"huge count": append((&TreeOp{Version: 1}).Canonical()[:43], 0, 0xff, 0xff, 0xff, 0xff, 0x0f),
	}
	for name, b := range cases {
		if _, err := DecodeTreeOp(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", name, err)
		}
	}
}

// TestKeyRotationMatchesJournal: the tree's Leaf, Policy and KeyRotation
// encodings equal the journal's Genesis encoding of the same values.
func TestKeyRotationMatchesJournal(t *testing.T) {
	f := newFixture(t, 4)
	g := f.gen.Body.(*journal.AuthorityGenesis)
	var want []byte
	l := f.g0.Leaves[0]
	want = append(want, l.Canonical()...)
	want = append(want, Policy{1, 1}.Canonical()...)
	want = append(want, rotationFromJournal(&g.KeyRotation).Canonical()...)
	if got := g.Unsigned()[16+32+8:]; !bytes.Equal(got, want) {
		t.Fatalf("encodings differ:\n%x\n%x", got, want)
	}
}

// TestOpHashExcludesSignatures: OpHash ignores DKGRound1 signatures and
// Confirms (SPEC §2) but covers every other field.
func TestOpHashExcludesSignatures(t *testing.T) {
	base := sampleOp()
	h := base.OpHash()
	sig := sampleOp()
	sig.NewKey.Round1[0][99] ^= 1 // inside the trailing Sig
	sig.NewKey.Confirms[1][0] ^= 1
	if sig.OpHash() != h || bytes.Equal(sig.Canonical(), base.Canonical()) {
		t.Fatal("signature bytes changed OpHash or not the encoding")
	}
	for name, mut := range map[string]func(*TreeOp){
		"round1 body":   func(o *TreeOp) { o.NewKey.Round1[0][0] ^= 1 },
		"sealed secret": func(o *TreeOp) { o.NewKey.SealedSecrets[4][0] ^= 1 },
		"reason":        func(o *TreeOp) { o.Reason++ },
		"parent root":   func(o *TreeOp) { o.ParentRoot[0] ^= 1 },
		"policy":        func(o *TreeOp) { o.NewPolicy.M++ },
	} {
		o := sampleOp()
		mut(o)
		if o.OpHash() == h {
			t.Errorf("%s: OpHash unchanged", name)
		}
	}
}

// TestRootCoversFields: every TreeState field but Root changes Root.
func TestRootCoversFields(t *testing.T) {
	f := newFixture(t, 5)
	base := f.g0.ComputeRoot()
	for name, mut := range map[string]func(*TreeState){
		"epoch":     func(s *TreeState) { s.Epoch++ },
		"policy":    func(s *TreeState) { s.Policy.M++ },
		"group key": func(s *TreeState) { s.GroupKey[0] ^= 1 },
		"key epoch": func(s *TreeState) { s.KeyEpoch++ },
		"next leaf": func(s *TreeState) { s.NextLeafId++ },
		"vershares": func(s *TreeState) { s.VerShares = map[uint16][32]byte{1: {1}} },
		"leaf dh":   func(s *TreeState) { s.Leaves[0].DHKey[0] ^= 1 },
		"frost id":  func(s *TreeState) { s.Leaves[0].FrostID++ },
	} {
		s := f.g0.Clone()
		mut(s)
		if s.ComputeRoot() == base {
			t.Errorf("%s: Root unchanged", name)
		}
	}
}
