package dkg

import (
	"bytes"
	"cmp"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
)

var (
	goodOnce sync.Once
	goodSess Session
	goodRes  Result
)

// goodRotation runs one 3-of-5 DKG per test binary.
func goodRotation(t *testing.T) Rotation {
	t.Helper()
	goodOnce.Do(func() {
		sess, keys := testSession(3, 5, 11)
		s := newSim(t, sess, keys, 11)
		s.run(t, false)
		goodSess, goodRes = sess, s.results(t)[0]
	})
	r := rotationOf(goodSess, goodRes)
	r.VerShares = maps.Clone(r.VerShares)
	r.Round1 = slices.Clone(r.Round1)
	r.Confirms = slices.Clone(r.Confirms)
	return r
}

// TestValidateRotationRejects covers SPEC §16.31's invalid KeyRotations:
// torsion in GroupKey or a VerShare, altered keys, transcript, confirms or
// round-1 data.
func TestValidateRotationRejects(t *testing.T) {
	if err := ValidateRotation(goodRotation(t)); err != nil {
		t.Fatalf("valid rotation: %v", err)
	}
	cases := map[string]func(r *Rotation){
		"torsion GroupKey":  func(r *Rotation) { r.GroupKey = addOrder2(t, r.GroupKey) },
		"torsion VerShare":  func(r *Rotation) { r.VerShares[2] = addOrder2(t, r.VerShares[2]) },
		"swapped VerShares": func(r *Rotation) { r.VerShares[1], r.VerShares[2] = r.VerShares[2], r.VerShares[1] },
		"VerShare id 6":     func(r *Rotation) { r.VerShares[6] = r.VerShares[5]; delete(r.VerShares, 5) },
		"GroupKey other":    func(r *Rotation) { r.GroupKey = r.VerShares[1] },
		"transcript hash":   func(r *Rotation) { r.TranscriptHash[0] ^= 1 },
		"confirm swapped":   func(r *Rotation) { r.Confirms[0], r.Confirms[1] = r.Confirms[1], r.Confirms[0] },
		"confirm missing":   func(r *Rotation) { r.Confirms = r.Confirms[:4] },
		"round1 reordered":  func(r *Rotation) { r.Round1[0], r.Round1[1] = r.Round1[1], r.Round1[0] },
		"round1 missing":    func(r *Rotation) { r.Round1 = r.Round1[:4] },
		"round1 corrupt":    func(r *Rotation) { r.Round1[2] = r.Round1[2][:len(r.Round1[2])-1] },
		"other epoch":       func(r *Rotation) { r.Session.KeyEpoch++ },
		"other signer key": func(r *Rotation) {
			r.Session.SignKeys = slices.Clone(r.Session.SignKeys)
			r.Session.SignKeys[4][0] ^= 1
		},
		"other threshold": func(r *Rotation) { r.Session.Threshold = 2 },
	}
	for name, mutate := range cases {
		r := goodRotation(t)
		mutate(&r)
		if err := ValidateRotation(r); !errors.Is(err, ErrInvalidKeyRotation) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestValidateRotationBadProofNamesCulprit: a round-1 message with a bad
// proof, even correctly signed, is ErrDKGBadProof naming its sender.
func TestValidateRotationBadProofNamesCulprit(t *testing.T) {
	r := goodRotation(t)
	_, keys := testSession(3, 5, 11)
	m, err := DecodeRound1(r.Round1[3])
	if err != nil {
		t.Fatal(err)
	}
	m.Mu[1] ^= 1
	r.Round1[3] = resign1(&m, keys[3])
	err = ValidateRotation(r)
	var ce *CulpritError
	if !errors.Is(err, ErrInvalidKeyRotation) || !errors.Is(err, ErrDKGBadProof) || !errors.As(err, &ce) || ce.Culprit != 4 {
		t.Fatalf("got %v", err)
	}
}

func TestCheckFrostIDs(t *testing.T) {
	for _, ok := range [][]uint16{{1}, {1, 2, 3}, {1, 2, 3, 4, 5}} {
		if err := CheckFrostIDs(ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range [][]uint16{{0}, {2}, {1, 3}, {2, 1}, {1, 1}, {1, 2, 4}, {0, 1, 2}} {
		if err := CheckFrostIDs(bad); !errors.Is(err, ErrInvalidKeyRotation) {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestCheckFrostIDMap(t *testing.T) {
	byLeaf := func(a, b uint32) int { return cmp.Compare(a, b) }
	if err := CheckFrostIDMap(map[uint32]uint16{4: 1, 9: 2, 11: 3}, byLeaf); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []map[uint32]uint16{{4: 2, 9: 1}, {4: 1, 9: 3}, {0: 0}} {
		if err := CheckFrostIDMap(bad, byLeaf); !errors.Is(err, ErrInvalidKeyRotation) {
			t.Errorf("%v accepted", bad)
		}
	}
	byAuth := func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) }
	if err := CheckFrostIDMap(map[[16]byte]uint16{{2}: 2, {1}: 1}, byAuth); err != nil {
		t.Fatal(err)
	}
}
