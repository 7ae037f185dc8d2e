package dkg

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// Message kinds: the first byte of every encoding.
const (
	KindRound1  uint8 = 1
	KindRound2  uint8 = 2
	KindConfirm uint8 = 3
)

// Round1 is DKGRound1{sid, i, C_i, R_i, μ_i, Sig}, broadcast to every member.
type Round1 struct {
	SID  [32]byte
	From uint16
	C    [][32]byte // t Feldman commitments to f_i's coefficients
	R    [32]byte   // k·G
	Mu   [32]byte   // k + a_i0·c_i
	Sig  [64]byte
}

// Round2 is DKGRound2{sid, i, ℓ, f_i(ℓ)}: secret, sent only to ℓ.
type Round2 struct {
	SID   [32]byte
	From  uint16
	To    uint16
	Share [32]byte
	Sig   [64]byte
}

// Confirm is DKGConfirm{sid, DKGTranscriptHash, Sig}; the sender is the
// member whose SignKey verifies Sig.
type Confirm struct {
	SID            [32]byte
	TranscriptHash [32]byte
	Sig            [64]byte
}

// body is the canonical encoding without Sig.
func (m *Round1) body() []byte {
	var e canon.Encoder
	e.U8(KindRound1).Raw(m.SID[:]).U16(m.From).Count(len(m.C))
	for i := range m.C {
		e.Raw(m.C[i][:])
	}
	return e.Raw(m.R[:]).Raw(m.Mu[:]).Bytes()
}

// Encode returns the canonical encoding with Sig.
func (m *Round1) Encode() []byte { return append(m.body(), m.Sig[:]...) }

func (m *Round2) body() []byte {
	var e canon.Encoder
	return e.U8(KindRound2).Raw(m.SID[:]).U16(m.From).U16(m.To).Raw(m.Share[:]).Bytes()
}

// Encode returns the canonical encoding with Sig.
func (m *Round2) Encode() []byte { return append(m.body(), m.Sig[:]...) }

func (m *Confirm) body() []byte {
	var e canon.Encoder
	return e.U8(KindConfirm).Raw(m.SID[:]).Raw(m.TranscriptHash[:]).Bytes()
}

// Encode returns the canonical encoding with Sig.
func (m *Confirm) Encode() []byte { return append(m.body(), m.Sig[:]...) }

// sigDigest is H("aura/dkg-msg/v1", message without Sig), the signed bytes.
func sigDigest(body []byte) []byte {
	h := canon.H("aura/dkg-msg/v1", body)
	return h[:]
}

func sign(key ed25519.PrivateKey, body []byte) [64]byte {
	return [64]byte(ed25519.Sign(key, sigDigest(body)))
}

func verifySig(pub ed25519.PublicKey, body []byte, sig [64]byte) bool {
	return ed25519.Verify(pub, sigDigest(body), sig[:])
}

// reader decodes canonical encodings; the first failure sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		r.fail("truncated")
		return make([]byte, max(n, 0))
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) fail(why string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrBadMessage, why)
	}
}

func (r *reader) u8() uint8   { return r.take(1)[0] }
func (r *reader) u16() uint16 { return binary.BigEndian.Uint16(r.take(2)) }
func (r *reader) b32() (o [32]byte) {
	copy(o[:], r.take(32))
	return o
}

func (r *reader) b64() (o [64]byte) {
	copy(o[:], r.take(64))
	return o
}

// count reads a minimal uvarint list count ≤ limit.
func (r *reader) count(limit int) int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) || v > uint64(limit) {
		r.fail("bad count")
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *reader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
	return r.err
}

// DecodeRound1 parses a Round1 encoding (shape only: no signature or
// curve checks).
func DecodeRound1(b []byte) (Round1, error) {
	r := reader{b: b}
	if r.u8() != KindRound1 {
		r.fail("not round 1")
	}
	m := Round1{SID: r.b32(), From: r.u16()}
	m.C = make([][32]byte, r.count(MaxParticipants))
	for i := range m.C {
		m.C[i] = r.b32()
	}
	m.R, m.Mu, m.Sig = r.b32(), r.b32(), r.b64()
	return m, r.end()
}

// DecodeRound2 parses a Round2 encoding.
func DecodeRound2(b []byte) (Round2, error) {
	r := reader{b: b}
	if r.u8() != KindRound2 {
		r.fail("not round 2")
	}
	m := Round2{SID: r.b32(), From: r.u16(), To: r.u16(), Share: r.b32(), Sig: r.b64()}
	return m, r.end()
}

// DecodeConfirm parses a Confirm encoding.
func DecodeConfirm(b []byte) (Confirm, error) {
	r := reader{b: b}
	if r.u8() != KindConfirm {
		r.fail("not a confirm")
	}
	m := Confirm{SID: r.b32(), TranscriptHash: r.b32(), Sig: r.b64()}
	return m, r.end()
}

// Unsigned returns the canonical encoding without Sig (what Sig signs,
// under H("aura/dkg-msg/v1", ·), and what OpHash and the transcript hash
// cover).
func (m *Round1) Unsigned() []byte { return m.body() }

// Unsigned returns the canonical encoding without Sig.
func (m *Round2) Unsigned() []byte { return m.body() }

// Unsigned returns the canonical encoding without Sig.
func (m *Confirm) Unsigned() []byte { return m.body() }
