package seal

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"
)

// Overhead is the sealed size minus the plaintext size: ephPub (32) and
// the Poly1305 tag (16).
const Overhead = 32 + chacha20poly1305.Overhead

var (
	// ErrOpen: the sealed bytes do not open under this key.
	ErrOpen = errors.New("seal: cannot open")
	// ErrBadKey: the recipient key is not a usable X25519 public key.
	ErrBadKey = errors.New("seal: bad recipient key")
)

// Seal seals m to the X25519 public key pub with an ephemeral key drawn
// from rnd (crypto/rand.Reader in production).
func Seal(rnd io.Reader, pub [32]byte, m []byte) ([]byte, error) {
	eph, err := ecdh.X25519().GenerateKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("seal: ephemeral key: %w", err)
	}
	return SealWith(eph, pub, m)
}

// SealWith is Seal with a given ephemeral key (deterministic tests).
func SealWith(eph *ecdh.PrivateKey, pub [32]byte, m []byte) ([]byte, error) {
	aead, ephPub, err := keyFor(eph, pub[:], eph.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	return aead.Seal(ephPub, make([]byte, chacha20poly1305.NonceSize), m, nil), nil
}

// Open opens a Seal output with the recipient's private key.
func Open(priv *ecdh.PrivateKey, sealed []byte) ([]byte, error) {
	if priv == nil || len(sealed) < Overhead {
		return nil, ErrOpen
	}
	ephPub := sealed[:32]
	peer, err := ecdh.X25519().NewPublicKey(ephPub)
	if err != nil {
		return nil, ErrOpen
	}
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, ErrOpen // low-order ephemeral key
	}
	aead, err := aeadOf(shared, ephPub, priv.PublicKey().Bytes())
	if err != nil {
		return nil, ErrOpen
	}
	m, err := aead.Open(nil, make([]byte, chacha20poly1305.NonceSize), sealed[32:], nil)
	if err != nil {
		return nil, ErrOpen
	}
	return m, nil
}

func keyFor(eph *ecdh.PrivateKey, pub, ephPub []byte) (cipherAEAD, []byte, error) {
	peer, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	shared, err := eph.ECDH(peer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: low-order point", ErrBadKey)
	}
	aead, err := aeadOf(shared, ephPub, pub)
	if err != nil {
		return nil, nil, err
	}
	return aead, slices.Clone(ephPub), nil
}

type cipherAEAD interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}

func aeadOf(shared, ephPub, pub []byte) (cipherAEAD, error) {
	k, err := hkdf.Key(sha256.New, slices.Concat(shared, ephPub, pub), nil, "aura/seal/v1", 32)
	if err != nil {
		return nil, fmt.Errorf("seal: hkdf: %w", err)
	}
	return chacha20poly1305.New(k)
}
