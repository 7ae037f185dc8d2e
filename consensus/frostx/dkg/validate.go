package dkg

import (
	"fmt"
	"maps"
	"slices"

	"github.com/bytemare/ecc"
)

// Public is what the N round-1 messages determine.
type Public struct {
	GroupKey       [32]byte
	VerShares      map[uint16][32]byte
	TranscriptHash [32]byte
}

// Recompute validates the N signed round-1 encodings (by FrostID) of s —
// signature, sid, From, len(C) = t, every point, every proof — and derives
// Ĉ, GroupKey, every VerShare and the transcript hash. Pure.
func Recompute(s Session, round1 [][]byte) (Public, error) {
	if err := s.Validate(); err != nil {
		return Public{}, err
	}
	if len(round1) != len(s.SignKeys) {
		return Public{}, fmt.Errorf("%w: %d round-1 messages for N=%d", ErrDKGInconsistent, len(round1), len(s.SignKeys))
	}
	sid := s.SID()
	msgs := make([]Round1, len(round1))
	coms := make([][]*ecc.Element, len(round1))
	for i, b := range round1 {
		id := uint16(i + 1)
		m, err := DecodeRound1(b)
		if err != nil {
			return Public{}, badProof(id, "round 1: %v", err)
		}
		if m.From != id || !verifySig(s.signKey(id), m.body(), m.Sig) {
			return Public{}, badProof(id, "round 1 sender or signature")
		}
		if coms[i], err = checkRound1(&m, sid, s.Threshold); err != nil {
			return Public{}, err
		}
		msgs[i] = m
	}
	gk, vs, err := publicKeys(combine(coms), s.N())
	if err != nil {
		return Public{}, err
	}
	return Public{GroupKey: gk, VerShares: vs, TranscriptHash: TranscriptHash(s.KeyEpoch, msgs)}, nil
}

// VerifyConfirms checks the N confirm signatures (by FrostID) on
// (sid, hash) under the session's sign keys.
func VerifyConfirms(s Session, hash [32]byte, confirms [][64]byte) error {
	if len(confirms) != len(s.SignKeys) {
		return fmt.Errorf("%w: %d confirms for N=%d", ErrDKGInconsistent, len(confirms), len(s.SignKeys))
	}
	for i, sig := range confirms {
		id := uint16(i + 1)
		c := Confirm{SID: s.SID(), TranscriptHash: hash}
		if !verifySig(s.signKey(id), c.body(), sig) {
			return inconsistent(id, "confirm signature")
		}
	}
	return nil
}

// Rotation is the DKG part of a KeyRotation (SPEC §4) with the session it
// claims: Session.SignKeys are the resulting members' keys by FrostID.
type Rotation struct {
	Session        Session
	GroupKey       [32]byte
	VerShares      map[uint16][32]byte
	Round1         [][]byte
	TranscriptHash [32]byte
	Confirms       [][64]byte
}

// ValidateRotation is the pure validation of a KeyRotation's DKG data:
// GroupKey and every VerShare canonical and torsion-free, VerShares exactly
// FrostIDs 1..N, and equal to what Recompute derives from Round1; the
// transcript hash recomputes; all N confirms verify. Errors wrap
// ErrInvalidKeyRotation (and the culprit's CulpritError where one exists).
func ValidateRotation(r Rotation) error {
	pub, err := Recompute(r.Session, r.Round1)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidKeyRotation, err)
	}
	// Recomputed keys are canonical and torsion-free (sums of checked
	// points), so byte equality implies the point rules; checkKeys runs only
	// to name the failure.
	if pub.GroupKey != r.GroupKey || !maps.Equal(pub.VerShares, r.VerShares) {
		if err := checkKeys(r.GroupKey, r.VerShares, r.Session.N()); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidKeyRotation, err)
		}
		return fmt.Errorf("%w: GroupKey or VerShares do not recompute", ErrInvalidKeyRotation)
	}
	if pub.TranscriptHash != r.TranscriptHash {
		return fmt.Errorf("%w: transcript hash does not recompute", ErrInvalidKeyRotation)
	}
	if err := VerifyConfirms(r.Session, r.TranscriptHash, r.Confirms); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidKeyRotation, err)
	}
	return nil
}

// checkKeys requires valid points and VerShares keyed exactly 1..n.
func checkKeys(gk [32]byte, vs map[uint16][32]byte, n uint16) error {
	if _, err := decodePoint(gk); err != nil {
		return fmt.Errorf("GroupKey: %w", err)
	}
	if len(vs) != int(n) {
		return fmt.Errorf("%d VerShares for N=%d", len(vs), n)
	}
	for j := uint16(1); j <= n; j++ {
		v, ok := vs[j]
		if !ok {
			return fmt.Errorf("VerShares lack FrostID %d", j)
		}
		if _, err := decodePoint(v); err != nil {
			return fmt.Errorf("VerShare %d: %w", j, err)
		}
	}
	return nil
}

// CheckFrostIDs requires the FrostIDs listed in ascending member-key order
// (LeafId for authorities, AuthorityId for contexts) to be exactly 1..N
// (SPEC §2, §4).
func CheckFrostIDs(byAscendingKey []uint16) error {
	for i, id := range byAscendingKey {
		if id != uint16(i+1) || i >= MaxParticipants {
			return fmt.Errorf("%w: FrostID %d at position %d, want 1..N by ascending key", ErrInvalidKeyRotation, id, i+1)
		}
	}
	return nil
}

// CheckFrostIDMap applies CheckFrostIDs to a KeyRotation's FrostIDs map,
// ordering members by cmp (LeafId order for authorities, AuthorityId
// bytes for contexts).
func CheckFrostIDMap[K comparable](ids map[K]uint16, cmp func(a, b K) int) error {
	keys := slices.SortedFunc(maps.Keys(ids), cmp)
	list := make([]uint16, len(keys))
	for i, k := range keys {
		list[i] = ids[k]
	}
	return CheckFrostIDs(list)
}
