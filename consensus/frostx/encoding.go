package frostx

import (
	"encoding/binary"
	"fmt"

	"github.com/bytemare/frost"
)

const (
	// CommitmentSize is the encoded size of a nonce commitment:
	// group ‖ commitment id u64 LE ‖ signer u16 LE ‖ D ‖ E (SPEC §5.4).
	CommitmentSize = 75
	// ShareSize is the encoded size of a signature share:
	// group ‖ signer u16 LE ‖ z_i.
	ShareSize = 35
	// SignatureSize is the size of an aggregate signature R ‖ z.
	SignatureSize = 64
)

// Commitment is one signer's public nonce commitment (D, E). It holds no
// secret; the nonces stay inside the issuing Signer.
type Commitment struct {
	// Signer is the issuing FrostID.
	Signer uint16
	// ID is the library commitment id, unique per Signer.
	ID uint64
	// Bytes is the 75-byte wire encoding.
	Bytes [CommitmentSize]byte
}

// DecodeCommitment parses a 75-byte commitment: Ed25519 group, non-zero
// signer, and two canonical, non-identity, torsion-free points.
func DecodeCommitment(b []byte) (Commitment, error) {
	if len(b) != CommitmentSize {
		return Commitment{}, fmt.Errorf("%w: commitment length %d", ErrBadEncoding, len(b))
	}
	if b[0] != byte(group) {
		return Commitment{}, fmt.Errorf("%w: commitment group %d", ErrBadEncoding, b[0])
	}
	c := Commitment{
		ID:     binary.LittleEndian.Uint64(b[1:9]),
		Signer: binary.LittleEndian.Uint16(b[9:11]),
	}
	if c.Signer == 0 {
		return Commitment{}, fmt.Errorf("%w: commitment signer 0", ErrBadEncoding)
	}
	for _, off := range []int{11, 43} {
		if _, err := decodePoint(b[off : off+32]); err != nil {
			return Commitment{}, err
		}
	}
	copy(c.Bytes[:], b)
	return c, nil
}

// HidingPoint returns D, the hiding nonce commitment point.
func (c Commitment) HidingPoint() [32]byte { return [32]byte(c.Bytes[11:43]) }

// BindingPoint returns E, the binding nonce commitment point.
func (c Commitment) BindingPoint() [32]byte { return [32]byte(c.Bytes[43:75]) }

func (c Commitment) lib() (*frost.Commitment, error) {
	fc := new(frost.Commitment)
	if err := fc.Decode(c.Bytes[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadEncoding, err)
	}
	return fc, nil
}

func commitmentFromLib(fc *frost.Commitment) Commitment {
	return Commitment{Signer: fc.SignerID, ID: fc.CommitmentID, Bytes: [CommitmentSize]byte(fc.Encode())}
}

// Share is one signer's signature share on T for one package.
type Share struct {
	// Signer is the FrostID that produced the share.
	Signer uint16
	// Bytes is the 35-byte wire encoding.
	Bytes [ShareSize]byte
}

// DecodeShare parses a 35-byte share: Ed25519 group, non-zero signer,
// canonical non-zero scalar.
func DecodeShare(b []byte) (Share, error) {
	if len(b) != ShareSize {
		return Share{}, fmt.Errorf("%w: share length %d", ErrBadEncoding, len(b))
	}
	if b[0] != byte(group) {
		return Share{}, fmt.Errorf("%w: share group %d", ErrBadEncoding, b[0])
	}
	s := Share{Signer: binary.LittleEndian.Uint16(b[1:3])}
	if s.Signer == 0 {
		return Share{}, fmt.Errorf("%w: share signer 0", ErrBadEncoding)
	}
	z, err := decodeScalar(b[3:])
	if err != nil {
		return Share{}, err
	}
	if z.IsZero() {
		return Share{}, fmt.Errorf("%w: zero share", ErrBadEncoding)
	}
	copy(s.Bytes[:], b)
	return s, nil
}

func (s Share) lib() (*frost.SignatureShare, error) {
	fs := new(frost.SignatureShare)
	if err := fs.Decode(s.Bytes[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadEncoding, err)
	}
	return fs, nil
}
