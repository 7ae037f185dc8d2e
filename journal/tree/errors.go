package tree

import (
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/consensus"
)

// ErrMalformed reports bytes that do not decode to exactly one canonical
// TreeOp, KeyRotation or TreeState.
var ErrMalformed = errors.New("tree: malformed encoding")

// ErrInvalidOp reports an op that is invalid at the parent state (SPEC
// §4 "Op rules"). It wraps consensus.ErrInvalidOp, so Scope.Execute
// errors match the consensus sentinel too; every reason below wraps it.
var ErrInvalidOp = fmt.Errorf("tree: %w", consensus.ErrInvalidOp)

// Reasons an op is invalid; each unwraps to ErrInvalidOp.
var (
	// ErrParent: (ParentEpoch, ParentRoot) is not the state's (Epoch, Root).
	ErrParent = fmt.Errorf("%w: parent epoch or root", ErrInvalidOp)
	// ErrOpShape: unknown Version or Kind, or fields the Kind forbids or
	// lacks (Add, Remove, NewPolicy, NewKey).
	ErrOpShape = fmt.Errorf("%w: op shape", ErrInvalidOp)
	// ErrAddLeaf: Add.ID is not NextLeafId, Role is not 1, the DeviceId
	// does not derive from the DeviceKey, a key repeats an existing leaf's,
	// or MaxDevices would be exceeded.
	ErrAddLeaf = fmt.Errorf("%w: add leaf", ErrInvalidOp)
	// ErrRemoveLeaf: Remove names a missing leaf or would remove them all.
	ErrRemoveLeaf = fmt.Errorf("%w: remove leaf", ErrInvalidOp)
	// ErrPolicy: the resulting policy breaks 2 ≤ M ≤ N (or M = N = 1), or
	// NewPolicy.N is not the resulting leaf count.
	ErrPolicy = fmt.Errorf("%w: policy", ErrInvalidOp)
	// ErrNewKey: NewKey is missing where required, has the wrong KeyEpoch,
	// FrostIDs or SealedSecrets, or its DKG data does not validate
	// (dkg.ValidateRotation) / its single-device form is wrong.
	ErrNewKey = fmt.Errorf("%w: new key", ErrInvalidOp)
)

// ErrInvalidGenesis reports an authority Genesis that is not the
// single-device form of SPEC §4.1 item 1 or whose signature fails.
var ErrInvalidGenesis = errors.New("tree: invalid genesis")
