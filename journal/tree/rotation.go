package tree

import (
	"fmt"
	"maps"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/journal"
)

// checkRotation validates op.NewKey for the resulting leaves and policy
// in post (SPEC §4): KeyEpoch = s.KeyEpoch+1; FrostIDs exactly the
// resulting leaves, 1..N by ascending LeafId; SealedSecrets exactly the
// resulting leaves; an added leaf's FrostID as assigned; then either the
// single-device form (M = N = 1) or, if checkDKG, dkg.ValidateRotation
// with the session (authority NS, KeyEpoch, DKGNonce, t = M, the resulting
// DeviceKeys by FrostID).
func checkRotation(auth journal.AuthorityID, s, post *TreeState, op *TreeOp, checkDKG bool) error {
	k := op.NewKey
	if k.KeyEpoch != s.KeyEpoch+1 {
		return fmt.Errorf("%w: key epoch %d after %d", ErrNewKey, k.KeyEpoch, s.KeyEpoch)
	}
	if err := checkMembers(k, post.Leaves); err != nil {
		return err
	}
	if op.Add != nil && op.Add.FrostID != k.FrostIDs[op.Add.ID] {
		return fmt.Errorf("%w: added leaf's FrostID %d, rotation assigns %d", ErrNewKey, op.Add.FrostID, k.FrostIDs[op.Add.ID])
	}
	if post.Policy == (Policy{M: 1, N: 1}) {
		return checkSingle(k, post.Leaves[0].DeviceKey)
	}
	if !checkDKG {
		return nil
	}
	if err := dkg.ValidateRotation(rotationOf(auth, post, k)); err != nil {
		return fmt.Errorf("%w: %w", ErrNewKey, err)
	}
	return nil
}

// checkMembers: FrostIDs and SealedSecrets are keyed by exactly the
// resulting leaves (sorted by ID), FrostIDs 1..N in that order.
func checkMembers(k *KeyRotation, leaves []Leaf) error {
	if len(k.FrostIDs) != len(leaves) || len(k.SealedSecrets) != len(leaves) {
		return fmt.Errorf("%w: %d FrostIDs, %d SealedSecrets for %d leaves", ErrNewKey,
			len(k.FrostIDs), len(k.SealedSecrets), len(leaves))
	}
	for i, l := range leaves {
		if id, ok := k.FrostIDs[l.ID]; !ok || id != uint16(i+1) {
			return fmt.Errorf("%w: FrostIDs not 1..N by ascending LeafId at leaf %d", ErrNewKey, l.ID)
		}
		if len(k.SealedSecrets[l.ID]) == 0 {
			return fmt.Errorf("%w: no sealed secret for leaf %d", ErrNewKey, l.ID)
		}
	}
	return nil
}

// checkSingle enforces the single-device form: GroupKey = the DeviceKey
// (a valid prime-order point), VerShares {1: DeviceKey}, no DKG data.
func checkSingle(k *KeyRotation, deviceKey [32]byte) error {
	switch {
	case k.GroupKey != deviceKey:
		return fmt.Errorf("%w: single-device group key must be the device key", ErrNewKey)
	case len(k.VerShares) != 1 || k.VerShares[1] != deviceKey:
		return fmt.Errorf("%w: single-device VerShares must be {1: device key}", ErrNewKey)
	case k.DKGNonce != [32]byte{} || k.DKGTranscriptHash != [32]byte{}:
		return fmt.Errorf("%w: single-device rotation carries a DKG nonce or transcript", ErrNewKey)
	case len(k.Round1) != 0 || len(k.Confirms) != 0:
		return fmt.Errorf("%w: single-device rotation carries DKG messages", ErrNewKey)
	}
	if err := frostx.CheckPoint(deviceKey); err != nil {
		return fmt.Errorf("%w: device key: %w", ErrNewKey, err)
	}
	return nil
}

// rotationOf is the dkg view of k for the resulting members of post.
func rotationOf(auth journal.AuthorityID, post *TreeState, k *KeyRotation) dkg.Rotation {
	keys := make([][32]byte, len(post.Leaves))
	for i, l := range post.Leaves {
		keys[i] = l.DeviceKey // leaves sorted by ID: index i is FrostID i+1
	}
	return dkg.Rotation{
		Session: dkg.Session{
			Namespace: journal.AuthorityNS(auth).Bytes(), KeyEpoch: k.KeyEpoch,
			Nonce: k.DKGNonce, Threshold: post.Policy.M, SignKeys: keys,
		},
		GroupKey: k.GroupKey, VerShares: k.VerShares, Round1: k.Round1,
		TranscriptHash: k.DKGTranscriptHash, Confirms: k.Confirms,
	}
}

// DKGSession is the DKG session the resulting members of an op must run
// for its NewKey (SPEC §4.1 step 3): leaves and m are the op's resulting
// leaf set (sorted by ID) and threshold, from Plan. Ceremonies use it to
// start dkg.NewParticipant; FrostID i is leaves[i−1].
func DKGSession(auth journal.AuthorityID, leaves []Leaf, m uint16, keyEpoch uint64, nonce [32]byte) dkg.Session {
	post := &TreeState{Leaves: leaves, Policy: Policy{M: m, N: uint16(len(leaves))}}
	return rotationOf(auth, post, &KeyRotation{KeyEpoch: keyEpoch, DKGNonce: nonce}).Session
}

// applyRotation installs k's key in post and renumbers FrostIDs.
func applyRotation(post *TreeState, k *KeyRotation) {
	post.GroupKey, post.VerShares, post.KeyEpoch = k.GroupKey, maps.Clone(k.VerShares), k.KeyEpoch
	for i := range post.Leaves {
		post.Leaves[i].FrostID = k.FrostIDs[post.Leaves[i].ID]
	}
}
