package frostx

import (
	"fmt"

	"github.com/bytemare/ecc"

	"github.com/aura-p2p/aura-p2p/consensus/frostx/internal/edpoint"
)

// group is the only group frostx uses: FROST(Ed25519, SHA-512).
const group = ecc.Edwards25519Sha512

// decodePoint decodes a 32-byte Ed25519 point and requires it to be the
// canonical encoding, not the identity, and torsion-free
// (P == [8]([8⁻¹ mod L]P), SPEC §4; internal/edpoint). ecc needs no
// lock: it has no shared mutable state.
func decodePoint(b []byte) (*ecc.Element, error) {
	if !edpoint.Valid(b) {
		return nil, fmt.Errorf("%w: not a canonical, non-identity, torsion-free point", ErrBadEncoding)
	}
	e := group.NewElement()
	if err := e.Decode(b); err != nil {
		return nil, fmt.Errorf("%w: point: %w", ErrBadEncoding, err)
	}
	return e, nil
}

// CheckPoint reports whether b is a canonical, non-identity, torsion-free
// Ed25519 point: the rule for every GroupKey and VerShare (SPEC §4, §16.31).
func CheckPoint(b [32]byte) error {
	_, err := decodePoint(b[:])
	return err
}

func decodeScalar(b []byte) (*ecc.Scalar, error) {
	s := group.NewScalar()
	if err := s.Decode(b); err != nil {
		return nil, fmt.Errorf("%w: scalar: %w", ErrBadEncoding, err)
	}
	return s, nil
}
