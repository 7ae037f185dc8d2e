package tree

import (
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/consensus"
)

func cloneOp(t *testing.T, op *TreeOp) *TreeOp {
	t.Helper()
	o, err := DecodeTreeOp(op.Canonical())
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	return o
}

// TestOpRules: each §4 op rule rejects with its typed error, which also
// matches ErrInvalidOp and consensus.ErrInvalidOp; the valid op applies
// with Epoch = ParentEpoch+1 and KeyEpoch+1.
func TestOpRules(t *testing.T) {
	f := newFixture(t, 10)
	_, s2 := f.grow(10, 2, 2) // 2-of-2
	add := f.op(s2, AddLeaf, f.device(10, 5), nil, nil, true)
	rem := f.op(s2, RemoveLeaf, nil, []LeafID{1}, &Policy{1, 1}, true)
	cases := []struct {
		name string
		base *TreeOp
		mut  func(*TreeOp)
		want error
	}{
		{"parent epoch", add, func(o *TreeOp) { o.ParentEpoch++ }, ErrParent},
		{"parent root", add, func(o *TreeOp) { o.ParentRoot[0] ^= 1 }, ErrParent},
		{"version", add, func(o *TreeOp) { o.Version = 2 }, ErrOpShape},
		{"kind", add, func(o *TreeOp) { o.Kind = 9 }, ErrOpShape},
		{"add without key", add, func(o *TreeOp) { o.NewKey = nil }, ErrOpShape},
		{"rotate with add", add, func(o *TreeOp) { o.Kind = RotateEpoch }, ErrOpShape},
		{"add id", add, func(o *TreeOp) { o.Add.ID++ }, ErrAddLeaf},
		{"add role", add, func(o *TreeOp) { o.Add.Role = 2 }, ErrAddLeaf},
		{"add device id", add, func(o *TreeOp) { o.Add.Device[0] ^= 1 }, ErrAddLeaf},
		{"add reused key", add, func(o *TreeOp) { o.Add.DeviceKey = s2.Leaves[0].DeviceKey; o.Add.Device = s2.Leaves[0].Device }, ErrAddLeaf},
		{"add frost id", add, func(o *TreeOp) { o.Add.FrostID = 1 }, ErrNewKey},
		{"policy n", add, func(o *TreeOp) { o.NewPolicy = &Policy{2, 2} }, ErrPolicy},
		{"policy m", add, func(o *TreeOp) { o.NewPolicy = &Policy{1, 3} }, ErrPolicy},
		{"key epoch", add, func(o *TreeOp) { o.NewKey.KeyEpoch++ }, ErrNewKey},
		{"frost ids", add, func(o *TreeOp) { o.NewKey.FrostIDs[0], o.NewKey.FrostIDs[1] = 2, 1 }, ErrNewKey},
		{"sealed secret missing", add, func(o *TreeOp) { delete(o.NewKey.SealedSecrets, 0) }, ErrNewKey},
		{"ver share", add, func(o *TreeOp) { o.NewKey.VerShares[1] = o.NewKey.VerShares[2] }, ErrNewKey},
		{"round1 sig", add, func(o *TreeOp) { o.NewKey.Round1[0][len(o.NewKey.Round1[0])-1] ^= 1 }, ErrNewKey},
		{"confirm", add, func(o *TreeOp) { o.NewKey.Confirms[2][0] ^= 1 }, ErrNewKey},
		{"transcript", add, func(o *TreeOp) { o.NewKey.DKGTranscriptHash[0] ^= 1 }, ErrNewKey},
		{"remove missing", rem, func(o *TreeOp) { o.Remove = []LeafID{7} }, ErrRemoveLeaf},
		{"remove all", rem, func(o *TreeOp) { o.Remove = []LeafID{0, 1} }, ErrRemoveLeaf},
		{"single group key", rem, func(o *TreeOp) { o.NewKey.GroupKey[0] ^= 1 }, ErrNewKey},
		{"single dkg data", rem, func(o *TreeOp) { o.NewKey.DKGNonce[0] = 1 }, ErrNewKey},
		{"remove keeps M=2 of 1", rem, func(o *TreeOp) { o.NewPolicy = nil }, ErrPolicy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := cloneOp(t, c.base)
			c.mut(o)
			_, err := Execute(f.auth, s2, o)
			if !errors.Is(err, c.want) || !errors.Is(err, ErrInvalidOp) || !errors.Is(err, consensus.ErrInvalidOp) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
	for _, op := range []*TreeOp{add, rem, rotate(s2, 0)} {
		post, err := Execute(f.auth, s2, op)
		if err != nil {
			t.Fatalf("valid op kind %d: %v", op.Kind, err)
		}
		if post.Epoch != s2.Epoch+1 || post.Root != post.ComputeRoot() || post.Root == s2.Root {
			t.Fatalf("kind %d: epoch %d root", op.Kind, post.Epoch)
		}
		if (op.NewKey != nil) != (post.KeyEpoch == s2.KeyEpoch+1) {
			t.Fatalf("kind %d: key epoch %d", op.Kind, post.KeyEpoch)
		}
	}
}

// TestMaxDevices: AddLeaf beyond MaxDevices leaves is ErrAddLeaf.
func TestMaxDevices(t *testing.T) {
	s := &TreeState{Policy: Policy{2, MaxDevices}, NextLeafId: MaxDevices}
	for i := range MaxDevices {
		s.Leaves = append(s.Leaves, Leaf{ID: LeafID(i), Role: 1, FrostID: uint16(i + 1), DeviceKey: [32]byte{byte(i), 1}, DHKey: [32]byte{byte(i), 2}})
	}
	s.Root = s.ComputeRoot()
	d := newDevice(11, 0)
	d.leaf.ID = MaxDevices
	op := &TreeOp{ParentEpoch: s.Epoch, ParentRoot: s.Root, Version: 1, Kind: AddLeaf, Add: &d.leaf, NewKey: &KeyRotation{}}
	if _, err := Execute(journalAuth(), s, op); !errors.Is(err, ErrAddLeaf) {
		t.Fatalf("err %v, want ErrAddLeaf", err)
	}
}

// TestPlanRenumbers: Plan gives the resulting leaves with FrostIDs 1..N
// by ascending LeafId, and the policy.
func TestPlanRenumbers(t *testing.T) {
	f := newFixture(t, 12)
	_, s3 := f.grow(12, 3, 2)
	leaves, pol, err := Plan(s3, &TreeOp{Version: 1, Kind: RemoveLeaf, Remove: []LeafID{0}})
	if err != nil || pol != (Policy{2, 2}) || len(leaves) != 2 || leaves[0].ID != 1 || leaves[0].FrostID != 1 || leaves[1].FrostID != 2 {
		t.Fatalf("Plan: %v %v %+v", err, pol, leaves)
	}
}
