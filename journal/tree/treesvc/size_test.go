package treesvc

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// fakeState is an n-leaf authority at policy {m, n} with real device
// keys (no journal behind it: buildOp plans from the state alone).
func fakeState(n int, m uint16) *tree.TreeState {
	st := &tree.TreeState{Epoch: 7, Policy: tree.Policy{M: m, N: uint16(n)}, NextLeafId: uint32(n), KeyEpoch: 3}
	for i := range n {
		d := testDevice(77, i)
		st.Leaves = append(st.Leaves, tree.Leaf{ID: tree.LeafID(i), Device: d.ID(), Role: tree.RoleDevice,
			DeviceKey: d.pub(), DHKey: d.dhPub(), FrostID: uint16(i + 1)})
	}
	return st
}

// TestOversizedChangeRefused: buildOp, which attempt runs before any DKG,
// refuses a change whose Commit could not fit (SPEC §10) with
// ErrBadChange wrapping tree.ErrOpTooLarge and naming N, M and the
// limit, and accepts the changes at the same state that fit.
func TestOversizedChangeRefused(t *testing.T) {
	st := fakeState(50, 40)
	joiner := testDevice(78, 0)
	var removed []journal.DeviceID
	for _, l := range st.Leaves[:11] {
		removed = append(removed, l.Device)
	}
	cases := []struct {
		name string
		c    Change
		n, m int // resulting; m = 0: must fit
	}{
		{"add keeps M=40", Change{Kind: tree.AddLeaf, Add: &Candidate{DeviceKey: joiner.pub(), DHKey: joiner.dhPub()}}, 51, 40},
		{"rotate with new key", Change{Kind: tree.RotateEpoch, NewKey: true}, 50, 40},
		{"policy N/2+1 keeps 50 members", Change{Kind: tree.ChangePolicy, Threshold: 26}, 50, 0},
		{"rotate without new key", Change{Kind: tree.RotateEpoch}, 50, 0},
		{"remove 11, M clamps to 39", Change{Kind: tree.RemoveLeaf, Remove: removed}, 39, 0},
		{"policy all of 50", Change{Kind: tree.ChangePolicy, Threshold: 50}, 50, 50},
	}
	for _, tc := range cases {
		op, leaves, pol, err := buildOp(st, tc.c)
		if tc.m == 0 {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.name, err)
			} else if len(leaves) != tc.n {
				t.Errorf("%s: %d resulting leaves, want %d (op kind %d, policy %v)", tc.name, len(leaves), tc.n, op.Kind, pol)
			}
			continue
		}
		if !errors.Is(err, ErrBadChange) || !errors.Is(err, tree.ErrOpTooLarge) {
			t.Fatalf("%s: got %v, want ErrBadChange wrapping tree.ErrOpTooLarge", tc.name, err)
		}
		for _, s := range []string{"N=" + strconv.Itoa(tc.n), "M=" + strconv.Itoa(tc.m), "limit " + strconv.Itoa(journal.MaxFactSize)} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not name %q", tc.name, err, s)
			}
		}
		if r := reasonOf(err); r != "bad_change" {
			t.Errorf("%s: metrics reason %q", tc.name, r)
		}
	}
}
