package tree

import (
	"fmt"
	"slices"

	"github.com/aura-p2p/aura-p2p/journal"
)

// Execute applies op at parent state s of authority auth (SPEC §4 "Op
// rules") and returns the new state; s is not modified. It is a pure
// function of (auth, s, op): every field it reads is covered by s.Root
// (SPEC §5.9). Errors wrap ErrInvalidOp.
func Execute(auth journal.AuthorityID, s *TreeState, op *TreeOp) (*TreeState, error) {
	return execute(auth, s, op, true)
}

// execute is Execute; checkDKG=false skips only the DKG cryptography of
// NewKey (dkg.ValidateRotation), for ops whose commit validity is cached.
func execute(auth journal.AuthorityID, s *TreeState, op *TreeOp, checkDKG bool) (*TreeState, error) {
	if op.ParentEpoch != s.Epoch || op.ParentRoot != s.Root {
		return nil, ErrParent
	}
	if err := checkShape(op); err != nil {
		return nil, err
	}
	leaves, next, err := resultingLeaves(s, op)
	if err != nil {
		return nil, err
	}
	pol, err := resultingPolicy(s, op, len(leaves))
	if err != nil {
		return nil, err
	}
	post := &TreeState{
		Epoch: op.ParentEpoch + 1, Policy: pol, Leaves: leaves, NextLeafId: next,
		GroupKey: s.GroupKey, VerShares: s.VerShares, KeyEpoch: s.KeyEpoch,
	}
	if op.NewKey != nil {
		if err := checkRotation(auth, s, post, op, checkDKG); err != nil {
			return nil, err
		}
		applyRotation(post, op.NewKey)
	}
	post.Root = post.ComputeRoot()
	return post, nil
}

// checkShape enforces Version and which optional fields each Kind has.
// Membership and policy ops MUST carry NewKey; RotateEpoch MAY.
func checkShape(op *TreeOp) error {
	if op.Version != OpVersion {
		return fmt.Errorf("%w: version %d", ErrOpShape, op.Version)
	}
	var ok bool
	switch op.Kind {
	case AddLeaf:
		ok = op.Add != nil && len(op.Remove) == 0 && op.NewKey != nil
	case RemoveLeaf:
		ok = op.Add == nil && len(op.Remove) > 0 && op.NewKey != nil
	case ChangePolicy:
		ok = op.Add == nil && len(op.Remove) == 0 && op.NewPolicy != nil && op.NewKey != nil
	case RotateEpoch:
		ok = op.Add == nil && len(op.Remove) == 0 && op.NewPolicy == nil
	default:
		return fmt.Errorf("%w: kind %d", ErrOpShape, op.Kind)
	}
	if !ok {
		return fmt.Errorf("%w: fields for kind %d", ErrOpShape, op.Kind)
	}
	return nil
}

// resultingLeaves returns a fresh copy of the leaf set after op (sorted
// by ID) and the next free leaf id.
func resultingLeaves(s *TreeState, op *TreeOp) ([]Leaf, uint32, error) {
	leaves := slices.Clone(s.Leaves)
	switch op.Kind {
	case AddLeaf:
		if err := checkAdd(s, op.Add); err != nil {
			return nil, 0, err
		}
		return append(leaves, *op.Add), s.NextLeafId + 1, nil
	case RemoveLeaf:
		for _, id := range op.Remove {
			if _, ok := s.Leaf(id); !ok {
				return nil, 0, fmt.Errorf("%w: leaf %d not in tree", ErrRemoveLeaf, id)
			}
		}
		if len(op.Remove) >= len(leaves) {
			return nil, 0, fmt.Errorf("%w: no leaf would remain", ErrRemoveLeaf)
		}
		leaves = slices.DeleteFunc(leaves, func(l Leaf) bool {
			_, found := slices.BinarySearch(op.Remove, l.ID)
			return found
		})
	}
	return leaves, s.NextLeafId, nil
}

func checkAdd(s *TreeState, add *Leaf) error {
	switch {
	case uint32(add.ID) != s.NextLeafId:
		return fmt.Errorf("%w: id %d, next free is %d", ErrAddLeaf, add.ID, s.NextLeafId)
	case add.Role != RoleDevice:
		return fmt.Errorf("%w: role %d", ErrAddLeaf, add.Role)
	case add.Device != DeviceIDOf(add.DeviceKey):
		return fmt.Errorf("%w: device id does not derive from device key", ErrAddLeaf)
	case len(s.Leaves) >= MaxDevices:
		return fmt.Errorf("%w: %d leaves already", ErrAddLeaf, len(s.Leaves))
	}
	for _, l := range s.Leaves {
		if l.DeviceKey == add.DeviceKey || l.DHKey == add.DHKey {
			return fmt.Errorf("%w: key of leaf %d reused", ErrAddLeaf, l.ID)
		}
	}
	return nil
}

// resultingPolicy: N is the leaf count; M is kept unless NewPolicy (whose
// N must equal the count); the result must be 2 ≤ M ≤ N or M = N = 1.
func resultingPolicy(s *TreeState, op *TreeOp, n int) (Policy, error) {
	p := Policy{M: s.Policy.M, N: uint16(n)}
	if op.NewPolicy != nil {
		if int(op.NewPolicy.N) != n {
			return Policy{}, fmt.Errorf("%w: NewPolicy.N %d for %d leaves", ErrPolicy, op.NewPolicy.N, n)
		}
		p = *op.NewPolicy
	}
	if !validPolicy(p) {
		return Policy{}, fmt.Errorf("%w: {%d,%d}", ErrPolicy, p.M, p.N)
	}
	return p, nil
}

func validPolicy(p Policy) bool {
	return (p.M >= 2 && p.M <= p.N) || (p.M == 1 && p.N == 1)
}

// Plan returns the leaves (sorted by ID, FrostIDs renumbered 1..N by
// ascending LeafId) and the policy op would produce at s, checking every
// op rule except the parent and NewKey: what a ceremony needs to run the
// DKG before NewKey exists (SPEC §4.1 step 3).
func Plan(s *TreeState, op *TreeOp) ([]Leaf, Policy, error) {
	shape := *op
	if shape.NewKey == nil {
		shape.NewKey = &KeyRotation{}
	}
	if err := checkShape(&shape); err != nil {
		return nil, Policy{}, err
	}
	leaves, _, err := resultingLeaves(s, op)
	if err != nil {
		return nil, Policy{}, err
	}
	pol, err := resultingPolicy(s, op, len(leaves))
	if err != nil {
		return nil, Policy{}, err
	}
	for i := range leaves {
		leaves[i].FrostID = uint16(i + 1)
	}
	return leaves, pol, nil
}
