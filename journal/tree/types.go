package tree

import (
	"cmp"
	"maps"
	"slices"

	"github.com/aura-p2p/aura-p2p/journal"
)

// LeafID is a leaf's id: the next free id when the leaf was added, never
// reused (SPEC §2).
type LeafID uint32

// Op kinds (SPEC §4).
const (
	AddLeaf      uint8 = 1
	RemoveLeaf   uint8 = 2
	ChangePolicy uint8 = 3
	RotateEpoch  uint8 = 4
)

// Protocol constants.
const (
	// OpVersion is the only TreeOp.Version of v1.
	OpVersion uint16 = 1
	// RoleDevice is the only leaf role of v1 (2, guardian, is reserved).
	RoleDevice uint8 = 1
	// MaxDevices bounds the leaves of one authority (SPEC §10).
	MaxDevices = 64
	// MaxSealedSecret bounds one SealedSecrets value: Seal of a 32-byte
	// secret is 80 bytes; a little slack keeps room for a v2 format.
	MaxSealedSecret = 256
)

// Policy is Threshold{M, N} (SPEC §4). All ≡ {N, N}.
type Policy struct{ M, N uint16 }

// Leaf is one device of an authority's flat tree (SPEC §4).
type Leaf struct {
	ID        LeafID
	Device    journal.DeviceID
	Role      uint8
	DeviceKey [32]byte // Ed25519: DKG and vote signatures
	DHKey     [32]byte // X25519: receives SealedSecrets
	FrostID   uint16   // signer index under the current key: 1..N by ascending ID
}

// TreeState is an authority's reduced ratchet tree (SPEC §4). Leaves are
// sorted by ID. A TreeState produced by this package is never mutated:
// share it freely, Clone it before changing it.
type TreeState struct {
	Epoch      uint64
	Root       [32]byte
	Policy     Policy
	Leaves     []Leaf
	GroupKey   [32]byte
	VerShares  map[uint16][32]byte
	KeyEpoch   uint64
	NextLeafId uint32 // SPEC §4 spelling
}

// TreeOp is a tree update, the op of an authority Commit (SPEC §4).
// Remove is a set, strictly ascending.
type TreeOp struct {
	ParentEpoch uint64
	ParentRoot  [32]byte
	Version     uint16
	Kind        uint8
	Add         *Leaf
	Remove      []LeafID
	Reason      uint8
	NewPolicy   *Policy
	NewKey      *KeyRotation
}

// KeyRotation is a fresh group key (SPEC §4). Round1 holds the N signed
// DKGRound1 encodings and Confirms the N confirm signatures, both by
// FrostID; single-device rotations (M = N = 1) carry neither, and zero
// DKGNonce and DKGTranscriptHash.
type KeyRotation struct {
	GroupKey          [32]byte
	VerShares         map[uint16][32]byte
	KeyEpoch          uint64
	FrostIDs          map[LeafID]uint16
	DKGNonce          [32]byte
	Round1            [][]byte
	DKGTranscriptHash [32]byte
	Confirms          [][64]byte
	SealedSecrets     map[LeafID][]byte // Seal(leaf.DHKey, AuthoritySecret_KeyEpoch)
}

// Clone returns a deep copy of s.
func (s *TreeState) Clone() *TreeState {
	c := *s
	c.Leaves = slices.Clone(s.Leaves)
	c.VerShares = maps.Clone(s.VerShares)
	return &c
}

// Leaf returns the leaf with id.
func (s *TreeState) Leaf(id LeafID) (Leaf, bool) {
	i, ok := slices.BinarySearchFunc(s.Leaves, id, func(l Leaf, id LeafID) int { return cmp.Compare(l.ID, id) })
	if !ok {
		return Leaf{}, false
	}
	return s.Leaves[i], true
}

// LeafByDevice returns the leaf of device d.
func (s *TreeState) LeafByDevice(d journal.DeviceID) (Leaf, bool) {
	for _, l := range s.Leaves {
		if l.Device == d {
			return l, true
		}
	}
	return Leaf{}, false
}
