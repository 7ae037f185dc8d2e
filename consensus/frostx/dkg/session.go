package dkg

import (
	"crypto/ed25519"
	"fmt"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// MaxParticipants bounds N (SPEC §2: a prestate names ≤ 256 members).
const MaxParticipants = 256

// Session is everything the members agree on before round 1 (from
// DKGStart, SPEC §4.1): FrostID i is SignKeys[i−1].
type Session struct {
	// Namespace is the canonical Namespace encoding (u8 Kind ‖ ID).
	Namespace []byte
	// KeyEpoch is the key epoch the DKG creates.
	KeyEpoch uint64
	// Nonce is DKGNonce, drawn by the proposer.
	Nonce [32]byte
	// Threshold is the resulting t.
	Threshold uint16
	// SignKeys are the Ed25519 keys that sign each member's DKG messages,
	// by FrostID; N = len(SignKeys).
	SignKeys [][32]byte
}

// N returns the number of participants.
func (s Session) N() uint16 { return uint16(len(s.SignKeys)) }

// SID is sid = H("aura/dkg-session/v1", NS, u64 KeyEpoch, DKGNonce), the
// context string Φ of every proof.
func (s Session) SID() [32]byte {
	var e canon.Encoder
	e.U64(s.KeyEpoch)
	return canon.H("aura/dkg-session/v1", s.Namespace, e.Bytes(), s.Nonce[:])
}

// Validate checks 2 ≤ t ≤ N ≤ MaxParticipants, a namespace, and distinct
// sign keys. It never mutates s.
func (s Session) Validate() error {
	n := len(s.SignKeys)
	if n > MaxParticipants || s.Threshold < 2 || int(s.Threshold) > n {
		return fmt.Errorf("%w: t=%d N=%d", ErrSession, s.Threshold, n)
	}
	if len(s.Namespace) == 0 {
		return fmt.Errorf("%w: empty namespace", ErrSession)
	}
	seen := make(map[[32]byte]bool, n)
	for i, k := range s.SignKeys {
		if seen[k] {
			return fmt.Errorf("%w: FrostID %d repeats a sign key", ErrSession, i+1)
		}
		seen[k] = true
	}
	return nil
}

func (s Session) signKey(id uint16) ed25519.PublicKey {
	k := s.SignKeys[id-1]
	return ed25519.PublicKey(k[:])
}

// TranscriptHash is H("aura/dkg-transcript/v1", u64 KeyEpoch, list of the N
// round-1 encodings by FrostID). The list elements are the encodings
// without Sig: signatures are validated, never hashed (as in OpHash, SPEC
// §2); Ed25519 is deterministic, so honest members agree either way.
func TranscriptHash(keyEpoch uint64, round1 []Round1) [32]byte {
	var ep, list canon.Encoder
	ep.U64(keyEpoch)
	list.Count(len(round1))
	for i := range round1 {
		list.LP(round1[i].body())
	}
	return canon.H("aura/dkg-transcript/v1", ep.Bytes(), list.Bytes())
}
