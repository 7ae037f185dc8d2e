package cap

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Decoder bounds. A token travels inside a CapGrant fact (≤ 64 KiB).
const (
	MaxBlocks     = 8
	MaxCaps       = 32
	MaxCapName    = 64
	MaxTokenBytes = 16 << 10
	sigTag        = "aura/cap/v1"
)

// CapToken is the native capability token (SPEC §6.1). Issuer is the
// grantor's context member key (Ed25519 public key).
type CapToken struct {
	Issuer [32]byte
	Blocks []CapBlock
}

// CapBlock is one link of a token. Block 0 is signed by Issuer, block k by
// Blocks[k-1].NextKey, each over H("aura/cap/v1", prevSig, block without
// Sig), prevSig of block 0 being 64 zero bytes. Caps is sorted, no
// duplicates.
type CapBlock struct {
	Context   journal.ContextID
	Subject   journal.AuthorityID
	Caps      []string
	FlowLimit uint64
	FromEpoch uint64
	ToEpoch   uint64
	NextKey   [32]byte
	Sig       [64]byte
}

// Canonical is the block's canonical encoding (SPEC §0): Context, Subject
// raw; Caps as uvarint count then lp(name)…; FlowLimit, FromEpoch, ToEpoch
// u64 big-endian; NextKey, Sig raw.
func (b *CapBlock) Canonical() []byte {
	var e canon.Encoder
	b.encode(&e, true)
	return e.Bytes()
}

// Unsigned is Canonical without the trailing Sig.
func (b *CapBlock) Unsigned() []byte {
	var e canon.Encoder
	b.encode(&e, false)
	return e.Bytes()
}

func (b *CapBlock) encode(e *canon.Encoder, withSig bool) {
	e.Raw(b.Context[:]).Raw(b.Subject[:]).Count(len(b.Caps))
	for _, c := range b.Caps {
		e.String(c)
	}
	e.U64(b.FlowLimit).U64(b.FromEpoch).U64(b.ToEpoch).Raw(b.NextKey[:])
	if withSig {
		e.Raw(b.Sig[:])
	}
}

// Canonical is Issuer raw, uvarint block count, then lp(block.Canonical())
// per block (variable-size list elements are lp-wrapped, SPEC §0).
func (t CapToken) Canonical() []byte {
	var e canon.Encoder
	e.Raw(t.Issuer[:]).Count(len(t.Blocks))
	for i := range t.Blocks {
		e.LP(t.Blocks[i].Canonical())
	}
	return e.Bytes()
}

// Hash is H(token) = H("aura/h/v1", Canonical()), the TokenHash guarded
// frames carry and the CapGrant fact identity.
func (t CapToken) Hash() [32]byte { return canon.HPlain(t.Canonical()) }

// Last is the frontier block (the zero block for an empty token).
func (t CapToken) Last() CapBlock {
	if len(t.Blocks) == 0 {
		return CapBlock{}
	}
	return t.Blocks[len(t.Blocks)-1]
}

// signingHash is H("aura/cap/v1", prevSig, block without Sig).
func signingHash(prevSig [64]byte, b *CapBlock) [32]byte {
	return canon.H(sigTag, prevSig[:], b.Unsigned())
}

// Decode parses a canonical token. It accepts exactly the bytes
// Canonical produces (so H(raw) = Hash()), enforces the decoder bounds,
// and returns ErrMalformed (wrapping flow.ErrAuthorizationDenied) on any
// other input. It never panics.
func Decode(raw []byte) (CapToken, error) {
	if len(raw) > MaxTokenBytes {
		return CapToken{}, ErrMalformed
	}
	r := reader{b: raw, ok: true}
	var t CapToken
	r.fixed(t.Issuer[:])
	n := r.count(MaxBlocks)
	if n == 0 {
		r.fail()
	}
	for i := 0; i < n && r.ok; i++ {
		br := reader{b: r.lp(), ok: r.ok}
		b := decodeBlock(&br)
		if !br.ok || len(br.b) != 0 {
			r.fail()
		}
		t.Blocks = append(t.Blocks, b)
	}
	if !r.ok || len(r.b) != 0 {
		return CapToken{}, ErrMalformed
	}
	return t, nil
}

func decodeBlock(r *reader) CapBlock {
	var b CapBlock
	r.fixed(b.Context[:])
	r.fixed(b.Subject[:])
	n := r.count(MaxCaps)
	for i := 0; i < n && r.ok; i++ {
		name := r.lp()
		if len(name) == 0 || len(name) > MaxCapName || !utf8.Valid(name) {
			r.fail()
		}
		b.Caps = append(b.Caps, string(name))
	}
	if !strictlySorted(b.Caps) {
		r.fail()
	}
	b.FlowLimit = r.u64()
	b.FromEpoch = r.u64()
	b.ToEpoch = r.u64()
	r.fixed(b.NextKey[:])
	r.fixed(b.Sig[:])
	return b
}

func strictlySorted(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

// reader is a bounds-checked cursor; after the first failure every read
// returns zero values and ok stays false.
type reader struct {
	b  []byte
	ok bool
}

func (r *reader) fail() { r.ok, r.b = false, nil }

func (r *reader) take(n int) []byte {
	if !r.ok {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail()
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) fixed(dst []byte) { copy(dst, r.take(len(dst))) }

func (r *reader) u64() uint64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// uvarint reads a minimal uvarint (non-minimal forms are not canonical).
func (r *reader) uvarint() uint64 {
	if !r.ok {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) count(max int) int {
	v := r.uvarint()
	if v > uint64(max) {
		r.fail()
		return 0
	}
	return int(v)
}

func (r *reader) lp() []byte {
	v := r.uvarint()
	if v > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	return r.take(int(v))
}
