package tree

import (
	"fmt"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/journal"
)

// GenesisState validates an authority Genesis body for namespace ns
// (SPEC §4.1 item 1: single device, leaf 0, policy {1,1}, key epoch 0,
// AuthorityId = Trunc16(H(GroupKey, Nonce)), Sig by the group key checked
// with frostx.Verify) and returns the tree it founds: Epoch 0,
// NextLeafId 1. Errors wrap ErrInvalidGenesis.
func GenesisState(ns journal.Namespace, g *journal.AuthorityGenesis) (*TreeState, error) {
	k := rotationFromJournal(&g.KeyRotation)
	leaf := Leaf{ID: LeafID(g.Leaf.ID), Device: g.Leaf.Device, Role: g.Leaf.Role,
		DeviceKey: g.Leaf.DeviceKey, DHKey: g.Leaf.DHKey, FrostID: g.Leaf.FrostID}
	if err := checkGenesis(ns, g, &leaf, k); err != nil {
		return nil, err
	}
	s := &TreeState{Policy: Policy{M: 1, N: 1}, Leaves: []Leaf{leaf}, GroupKey: k.GroupKey,
		VerShares: k.VerShares, KeyEpoch: 0, NextLeafId: 1}
	s.Root = s.ComputeRoot()
	return s, nil
}

func checkGenesis(ns journal.Namespace, g *journal.AuthorityGenesis, leaf *Leaf, k *KeyRotation) error {
	switch {
	case ns.Kind != journal.KindAuthority || ns.ID != [16]byte(g.AuthorityID):
		return fmt.Errorf("%w: namespace", ErrInvalidGenesis)
	case AuthorityIDOf(k.GroupKey, g.Nonce) != g.AuthorityID:
		return fmt.Errorf("%w: authority id does not derive from group key and nonce", ErrInvalidGenesis)
	case leaf.ID != 0 || leaf.Role != RoleDevice || leaf.FrostID != 1 || leaf.Device != DeviceIDOf(leaf.DeviceKey):
		return fmt.Errorf("%w: leaf", ErrInvalidGenesis)
	case g.Policy != journal.Policy{M: 1, N: 1} || k.KeyEpoch != 0:
		return fmt.Errorf("%w: policy or key epoch", ErrInvalidGenesis)
	}
	if err := checkMembers(k, []Leaf{*leaf}); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidGenesis, err)
	}
	if err := checkSingle(k, leaf.DeviceKey); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidGenesis, err)
	}
	h := journal.SigHash(ns, journal.TypeGenesis, journal.SchemaV1, g.Unsigned())
	if err := frostx.Verify(k.GroupKey, h[:], g.Sig); err != nil {
		return fmt.Errorf("%w: signature: %w", ErrInvalidGenesis, err)
	}
	return nil
}

// rotationFromJournal converts the journal's Genesis KeyRotation (same
// canonical encoding, uint32 leaf ids).
func rotationFromJournal(j *journal.KeyRotation) *KeyRotation {
	k := &KeyRotation{GroupKey: j.GroupKey, VerShares: j.VerShares, KeyEpoch: j.KeyEpoch,
		DKGNonce: j.DKGNonce, Round1: j.Round1, DKGTranscriptHash: j.DKGTranscriptHash, Confirms: j.Confirms}
	if j.FrostIDs != nil {
		k.FrostIDs = make(map[LeafID]uint16, len(j.FrostIDs))
		for l, f := range j.FrostIDs {
			k.FrostIDs[LeafID(l)] = f
		}
	}
	if j.SealedSecrets != nil {
		k.SealedSecrets = make(map[LeafID][]byte, len(j.SealedSecrets))
		for l, b := range j.SealedSecrets {
			k.SealedSecrets[LeafID(l)] = b
		}
	}
	return k
}
