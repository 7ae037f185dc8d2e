package riblt

import (
	"encoding/binary"
	"math/bits"
)

// Key is a SipHash-2-4 key (k₀, k₁). SPEC §9 derives it from the session
// key k: k₀, k₁ are the little-endian u64s of k[0:8] and k[8:16].
type Key struct{ K0, K1 uint64 }

// KeyFromBytes splits a 16-byte key into its two little-endian halves.
func KeyFromBytes(k [16]byte) Key {
	return Key{K0: binary.LittleEndian.Uint64(k[0:8]), K1: binary.LittleEndian.Uint64(k[8:16])}
}

// sipState is the four-word SipHash state.
type sipState struct{ v0, v1, v2, v3 uint64 }

func newSipState(k Key) sipState {
	return sipState{
		v0: k.K0 ^ 0x736f6d6570736575,
		v1: k.K1 ^ 0x646f72616e646f6d,
		v2: k.K0 ^ 0x6c7967656e657261,
		v3: k.K1 ^ 0x7465646279746573,
	}
}

func (s *sipState) round() {
	s.v0 += s.v1
	s.v1 = bits.RotateLeft64(s.v1, 13)
	s.v1 ^= s.v0
	s.v0 = bits.RotateLeft64(s.v0, 32)
	s.v2 += s.v3
	s.v3 = bits.RotateLeft64(s.v3, 16)
	s.v3 ^= s.v2
	s.v0 += s.v3
	s.v3 = bits.RotateLeft64(s.v3, 21)
	s.v3 ^= s.v0
	s.v2 += s.v1
	s.v1 = bits.RotateLeft64(s.v1, 17)
	s.v1 ^= s.v2
	s.v2 = bits.RotateLeft64(s.v2, 32)
}

// compress absorbs one 8-byte block with two SipRounds (the "2" of 2-4).
func (s *sipState) compress(m uint64) {
	s.v3 ^= m
	s.round()
	s.round()
	s.v0 ^= m
}

// finish runs the four finalisation rounds (the "4" of 2-4).
func (s *sipState) finish() uint64 {
	s.v2 ^= 0xff
	s.round()
	s.round()
	s.round()
	s.round()
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3
}

// SipHash24 is SipHash-2-4 (Aumasson and Bernstein, 2012) of msg under k.
func SipHash24(k Key, msg []byte) uint64 {
	s := newSipState(k)
	n := len(msg)
	for len(msg) >= 8 {
		s.compress(binary.LittleEndian.Uint64(msg))
		msg = msg[8:]
	}
	last := uint64(n) << 56
	for i, b := range msg {
		last |= uint64(b) << (8 * uint(i))
	}
	s.compress(last)
	return s.finish()
}

// Chk is chk(x) of SPEC §9: SipHash-2-4 of the 32-byte element x. It is
// SipHash24(k, x[:]) unrolled for the fixed length.
func (k Key) Chk(x *[32]byte) uint64 {
	s := newSipState(k)
	s.compress(binary.LittleEndian.Uint64(x[0:8]))
	s.compress(binary.LittleEndian.Uint64(x[8:16]))
	s.compress(binary.LittleEndian.Uint64(x[16:24]))
	s.compress(binary.LittleEndian.Uint64(x[24:32]))
	s.compress(32 << 56)
	return s.finish()
}
