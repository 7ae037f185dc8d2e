package tree

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Scope is the authority consensus scope (SPEC §5.1) over one reduced
// TreeState snapshot. It is immutable and safe for concurrent use.
type Scope struct {
	auth journal.AuthorityID
	s    *TreeState
	pre  [32]byte
}

var (
	_ consensus.Scope    = (*Scope)(nil)
	_ consensus.OpHasher = (*Scope)(nil)
)

// NewScope snapshots s (which must not be modified afterwards; states
// from this package never are) as authority auth's scope.
func NewScope(auth journal.AuthorityID, s *TreeState) *Scope {
	return &Scope{auth: auth, s: s, pre: PrestateHash(auth, s.Root)}
}

// State returns the snapshotted state (do not modify it).
func (sc *Scope) State() *TreeState { return sc.s }

// Committee is the authority committee (SPEC §5.1): Witness = DeviceId,
// FrostID = Leaf.FrostID, VoteKey = Leaf.DeviceKey, t = Policy.M, key =
// GroupKey; members sorted by Witness.
func (sc *Scope) Committee() consensus.Committee {
	return CommitteeOf(sc.auth, sc.s)
}

// CommitteeOf is the committee of state s of authority auth.
func CommitteeOf(auth journal.AuthorityID, s *TreeState) consensus.Committee {
	ms := make([]consensus.Member, len(s.Leaves))
	for i, l := range s.Leaves {
		ms[i] = consensus.Member{Witness: consensus.WitnessID(l.Device), FrostID: l.FrostID, VoteKey: l.DeviceKey}
	}
	slices.SortFunc(ms, func(a, b consensus.Member) int { return bytes.Compare(a.Witness[:], b.Witness[:]) })
	return consensus.Committee{Scope: journal.AuthorityNS(auth), KeyEpoch: s.KeyEpoch,
		Threshold: s.Policy.M, GroupKey: s.GroupKey, Members: ms}
}

// PrestateHash is PrestateHash(auth, Root) (SPEC §2).
func (sc *Scope) PrestateHash() [32]byte { return sc.pre }

// OpHash decodes op and returns H("aura/op/v1", op without signatures).
// Undecodable bytes give an error wrapping ErrInvalidOp and ErrMalformed.
func (sc *Scope) OpHash(op []byte) ([32]byte, error) {
	o, err := decodeOp(op)
	if err != nil {
		return [32]byte{}, err
	}
	return o.OpHash(), nil
}

// Execute decodes op, applies it at the snapshot and returns the new Root
// (the post-state commitment bound in rid). Errors wrap ErrInvalidOp.
func (sc *Scope) Execute(op []byte) ([32]byte, error) {
	post, err := sc.execute(op, true)
	if err != nil {
		return [32]byte{}, err
	}
	return post.Root, nil
}

func (sc *Scope) execute(op []byte, checkDKG bool) (*TreeState, error) {
	o, err := decodeOp(op)
	if err != nil {
		return nil, err
	}
	return execute(sc.auth, sc.s, o, checkDKG)
}

// decodeOp is DecodeTreeOp with errors that also match ErrInvalidOp.
func decodeOp(op []byte) (*TreeOp, error) {
	o, err := DecodeTreeOp(op)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOp, err)
	}
	return o, nil
}
