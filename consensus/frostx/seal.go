package frostx

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// shareAtRestInfo is the HKDF info of the share-at-rest key (SPEC §5.4).
const shareAtRestInfo = "aura/share-at-rest/v1"

// ShareSealer seals a device's own key share for storage at
// /aura/k/<kind>/<ns>/<keyEpoch>: Nonce[12] ‖ ChaCha20-Poly1305(k, Nonce,
// share), k = HKDF-SHA256(DeviceKey seed, "aura/share-at-rest/v1"), empty
// salt, random nonce, no associated data (SPEC §5.4, §17.29).
type ShareSealer struct {
	aead cipher.AEAD
	rand io.Reader
}

// NewShareSealer derives the sealing key from the 32-byte Ed25519 seed of
// the DeviceKey (ed25519.PrivateKey.Seed()).
func NewShareSealer(deviceSeed []byte) (*ShareSealer, error) {
	return newShareSealer(deviceSeed, rand.Reader)
}

func newShareSealer(deviceSeed []byte, r io.Reader) (*ShareSealer, error) {
	if len(deviceSeed) != 32 {
		return nil, fmt.Errorf("%w: device seed length %d", ErrBadKeyShare, len(deviceSeed))
	}
	k := make([]byte, chacha20poly1305.KeySize)
	if _, err := io.ReadFull(hkdf.New(sha256.New, deviceSeed, nil, []byte(shareAtRestInfo)), k); err != nil {
		return nil, fmt.Errorf("frostx: hkdf: %w", err)
	}
	aead, err := chacha20poly1305.New(k)
	if err != nil {
		return nil, fmt.Errorf("frostx: aead: %w", err)
	}
	return &ShareSealer{aead: aead, rand: r}, nil
}

// Seal returns Nonce ‖ ciphertext of share under a fresh random nonce.
func (s *ShareSealer) Seal(share []byte) ([]byte, error) {
	out := make([]byte, chacha20poly1305.NonceSize, chacha20poly1305.NonceSize+len(share)+s.aead.Overhead())
	if _, err := io.ReadFull(s.rand, out); err != nil {
		return nil, fmt.Errorf("frostx: nonce: %w", err)
	}
	return s.aead.Seal(out, out[:chacha20poly1305.NonceSize], share, nil), nil
}

// Open reverses Seal; any tampering or a wrong device key gives
// ErrSealedShare.
func (s *ShareSealer) Open(sealed []byte) ([]byte, error) {
	if len(sealed) < chacha20poly1305.NonceSize+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: %d bytes", ErrSealedShare, len(sealed))
	}
	n := sealed[:chacha20poly1305.NonceSize]
	pt, err := s.aead.Open(nil, n, sealed[chacha20poly1305.NonceSize:], nil)
	if err != nil {
		return nil, ErrSealedShare
	}
	return pt, nil
}
