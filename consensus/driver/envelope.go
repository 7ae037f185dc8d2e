package driver

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// FallbackEnvelope layout (SPEC §5.6): Tag [16] ‖ Nonce [12] ‖ Ciphertext,
// exactly one of EnvelopeSizes bytes in total. The plaintext is
// lp(ConsensusFrame) followed by zero padding; the AEAD is
// ChaCha20-Poly1305 under K_fb with AD = H("aura/fb-ad/v1", Tag, Nonce).
const (
	envTagLen   = 16
	envNonceLen = chacha20poly1305.NonceSize
	envHeader   = envTagLen + envNonceLen
	envOverhead = envHeader + chacha20poly1305.Overhead
)

// EnvelopeSizes are the only sizes of a fallback-topic message.
var EnvelopeSizes = [4]int{1 << 10, 4 << 10, 16 << 10, 64 << 10}

// FallbackKeyOf derives K_fb = HKDF(secret, "aura/fallback/v1") from K_e
// (context) or AuthoritySecret_k (authority), SPEC §5.6.
func FallbackKeyOf(secret []byte) ([32]byte, error) {
	k, err := hkdf.Key(sha256.New, secret, nil, "aura/fallback/v1", 32)
	if err != nil {
		return [32]byte{}, err
	}
	return [32]byte(k), nil
}

// EnvelopeTag is Trunc16(H("aura/fb-tag/v1", K_fb)).
func EnvelopeTag(kfb [32]byte) [16]byte { return canon.Trunc16(canon.H("aura/fb-tag/v1", kfb[:])) }

// ValidEnvelopeSize reports whether n is a fallback envelope size; the
// topic validator checks only this (SPEC §5.6).
func ValidEnvelopeSize(n int) bool {
	for _, s := range EnvelopeSizes {
		if n == s {
			return true
		}
	}
	return false
}

// envelopeSize is the smallest size that fits a message of n bytes.
func envelopeSize(n int) (int, bool) {
	need := envOverhead + binary.PutUvarint(make([]byte, binary.MaxVarintLen64), uint64(n)) + n
	for _, s := range EnvelopeSizes {
		if need <= s {
			return s, true
		}
	}
	return 0, false
}

func envAD(tag [16]byte, nonce []byte) []byte {
	h := canon.H("aura/fb-ad/v1", tag[:], nonce)
	return h[:]
}

// SealEnvelope seals frame under kfb in the smallest envelope that fits.
func SealEnvelope(kfb [32]byte, frame []byte) ([]byte, error) {
	size, ok := envelopeSize(len(frame))
	if !ok {
		return nil, fmt.Errorf("%w: %d-byte message exceeds 64 KiB", ErrEnvelope, len(frame))
	}
	aead, err := chacha20poly1305.New(kfb[:])
	if err != nil {
		return nil, err
	}
	tag := EnvelopeTag(kfb)
	out := make([]byte, envHeader, size)
	copy(out, tag[:])
	if _, err := rand.Read(out[envTagLen:envHeader]); err != nil {
		return nil, err
	}
	pt := make([]byte, size-envOverhead)
	n := binary.PutUvarint(pt, uint64(len(frame)))
	copy(pt[n:], frame)
	out = aead.Seal(out, out[envTagLen:envHeader], pt, envAD(tag, out[envTagLen:envHeader]))
	return out, nil
}

// opener opens envelopes of one committee key.
type opener struct {
	tag  [16]byte
	aead cipher.AEAD
}

func newOpener(kfb [32]byte) (*opener, error) {
	aead, err := chacha20poly1305.New(kfb[:])
	if err != nil {
		return nil, err
	}
	return &opener{tag: EnvelopeTag(kfb), aead: aead}, nil
}

// OpenEnvelope returns the frame sealed in env under kfb. A wrong size,
// foreign Tag, failed AEAD or bad padding is ErrEnvelope.
func OpenEnvelope(kfb [32]byte, env []byte) ([]byte, error) {
	o, err := newOpener(kfb)
	if err != nil {
		return nil, err
	}
	return o.open(env)
}

func (o *opener) open(env []byte) ([]byte, error) {
	if !ValidEnvelopeSize(len(env)) {
		return nil, fmt.Errorf("%w: size %d", ErrEnvelope, len(env))
	}
	if [16]byte(env[:envTagLen]) != o.tag {
		return nil, fmt.Errorf("%w: foreign tag", ErrEnvelope)
	}
	nonce := env[envTagLen:envHeader]
	pt, err := o.aead.Open(nil, nonce, env[envHeader:], envAD(o.tag, nonce))
	if err != nil {
		return nil, fmt.Errorf("%w: open", ErrEnvelope)
	}
	l, n := binary.Uvarint(pt)
	if n <= 0 || l > uint64(len(pt)-n) {
		return nil, fmt.Errorf("%w: length prefix", ErrEnvelope)
	}
	for _, b := range pt[n+int(l):] {
		if b != 0 {
			return nil, fmt.Errorf("%w: padding", ErrEnvelope)
		}
	}
	return pt[n : n+int(l)], nil
}
