package canon

import (
	"encoding/binary"
	"sync"

	"lukechampine.com/blake3"
)

// hashers pools BLAKE3 states: a fresh one costs ~3 KiB, and H sits on the
// per-send path (receipts, nonces, capability checks).
var hashers = sync.Pool{New: func() any { return blake3.New(32, nil) }}

// Hash is a 32-byte BLAKE3-256 digest.
type Hash = [32]byte

// H is the tagged hash of SPEC §0. Each part is length-prefixed, so
// ("ab","c") and ("a","bc") never collide.
func H(tag string, parts ...[]byte) Hash {
	h := hashers.Get().(*blake3.Hasher)
	defer hashers.Put(h)
	h.Reset()
	var pre [binary.MaxVarintLen64]byte
	write := func(b []byte) {
		n := binary.PutUvarint(pre[:], uint64(len(b)))
		h.Write(pre[:n])
		h.Write(b)
	}
	write([]byte(tag))
	for _, p := range parts {
		write(p)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}

// HPlain is the untagged H(x) of SPEC §0: H("aura/h/v1", x).
func HPlain(x []byte) Hash { return H("aura/h/v1", x) }

// MAC is H("aura/mac/v1", k, x…).
func MAC(k []byte, parts ...[]byte) Hash {
	return H("aura/mac/v1", append([][]byte{k}, parts...)...)
}

// Trunc16 returns the first 16 bytes of h.
func Trunc16(h Hash) [16]byte {
	var out [16]byte
	copy(out[:], h[:16])
	return out
}

// Encoder builds canonical bytes. The zero value is ready to use.
type Encoder struct{ b []byte }

// Bytes returns the encoding so far (aliased, not copied).
func (e *Encoder) Bytes() []byte { return e.b }

// U8 appends one byte.
func (e *Encoder) U8(v uint8) *Encoder { e.b = append(e.b, v); return e }

// U16 appends v big-endian.
func (e *Encoder) U16(v uint16) *Encoder { e.b = binary.BigEndian.AppendUint16(e.b, v); return e }

// U32 appends v big-endian.
func (e *Encoder) U32(v uint32) *Encoder { e.b = binary.BigEndian.AppendUint32(e.b, v); return e }

// U64 appends v big-endian.
func (e *Encoder) U64(v uint64) *Encoder { e.b = binary.BigEndian.AppendUint64(e.b, v); return e }

// Raw appends a fixed-size array's bytes without a length.
func (e *Encoder) Raw(b []byte) *Encoder { e.b = append(e.b, b...); return e }

// LP appends lp(b) = uvarint(len b) ‖ b (variable-size bytes, strings).
func (e *Encoder) LP(b []byte) *Encoder {
	e.b = binary.AppendUvarint(e.b, uint64(len(b)))
	e.b = append(e.b, b...)
	return e
}

// String appends lp(UTF-8 s).
func (e *Encoder) String(s string) *Encoder { return e.LP([]byte(s)) }

// Count appends a list's uvarint element count.
func (e *Encoder) Count(n int) *Encoder { e.b = binary.AppendUvarint(e.b, uint64(n)); return e }

// Bool appends u8 0 or 1.
func (e *Encoder) Bool(v bool) *Encoder {
	if v {
		return e.U8(1)
	}
	return e.U8(0)
}

// Opt appends the optional marker: u8 0 when absent, u8 1 when present
// (the caller then appends the value).
func (e *Encoder) Opt(present bool) *Encoder { return e.Bool(present) }
