package treesvc

import (
	"testing"

	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// TestOursAcrossCIDs: when the op applied at our parent is our op under
// another cid (the same op committed twice, SPEC §16.36, or our commit
// stored although the driver call failed), the ceremony succeeded and
// the Report names the applied cid; another op at the parent is not ours.
func TestOursAcrossCIDs(t *testing.T) {
	st := &tree.TreeState{Epoch: 4, Root: [32]byte{9}}
	op := &tree.TreeOp{ParentEpoch: 4, ParentRoot: st.Root, Version: tree.OpVersion, Kind: tree.RotateEpoch}
	other := &tree.TreeOp{ParentEpoch: 4, ParentRoot: st.Root, Version: tree.OpVersion, Kind: tree.RotateEpoch, Reason: 1}
	applied := [32]byte{1}
	mine := [32]byte{2}
	s := &Service{}
	a := &auth{res: &tree.Result{Commits: []tree.CommitReport{
		{CID: mine, OpHash: op.OpHash(), ParentEpoch: 4, Status: tree.StatusSuperseded},
		{CID: applied, OpHash: op.OpHash(), ParentEpoch: 4, Status: tree.StatusApplied},
	}}}
	rep := Report{CID: mine}
	if !s.ours(a, st, op, &rep) || rep.CID != applied {
		t.Fatalf("our op applied under %x: ours=false or rep.CID=%x", applied[:2], rep.CID[:2])
	}
	rep = Report{CID: mine}
	if s.ours(a, st, other, &rep) {
		t.Fatal("another op at the parent counted as ours")
	}
	a.res.Commits[1].ParentEpoch = 5 // applied at a later parent: not at st
	if _, ok := s.appliedOp(a, st, op); ok {
		t.Fatal("a commit at another parent epoch counted")
	}
}
