package riblt

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/dchest/siphash"
)

func paperKey() Key {
	var k [16]byte
	for i := range k {
		k[i] = byte(i)
	}
	return KeyFromBytes(k)
}

// TestSipHashPaperVector checks the SipHash paper's Appendix A vector:
// key 00…0f, message 00…0e ⇒ a129ca6149be45e5.
func TestSipHashPaperVector(t *testing.T) {
	msg := make([]byte, 15)
	for i := range msg {
		msg[i] = byte(i)
	}
	if got, want := SipHash24(paperKey(), msg), uint64(0xa129ca6149be45e5); got != want {
		t.Fatalf("SipHash24 = %#x, want %#x", got, want)
	}
}

// TestSipHashMatchesDchest cross-checks every length 0..64 and random
// keys against github.com/dchest/siphash, and Chk against SipHash24.
func TestSipHashMatchesDchest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 64; n++ {
		for trial := 0; trial < 8; trial++ {
			k := Key{K0: r.Uint64(), K1: r.Uint64()}
			msg := make([]byte, n)
			for i := range msg {
				msg[i] = byte(r.Uint32())
			}
			if got, want := SipHash24(k, msg), siphash.Hash(k.K0, k.K1, msg); got != want {
				t.Fatalf("len %d: %#x != dchest %#x", n, got, want)
			}
			if n == 32 {
				x := [32]byte(msg)
				if got := k.Chk(&x); got != siphash.Hash(k.K0, k.K1, msg) {
					t.Fatalf("Chk = %#x, want %#x", got, siphash.Hash(k.K0, k.K1, msg))
				}
			}
		}
	}
}

// TestKeyFromBytesLittleEndian pins k₀, k₁ as little-endian halves.
func TestKeyFromBytesLittleEndian(t *testing.T) {
	var b [16]byte
	for i := range b {
		b[i] = byte(i)
	}
	k := KeyFromBytes(b)
	if k.K0 != binary.LittleEndian.Uint64(b[:8]) || k.K0 != 0x0706050403020100 || k.K1 != 0x0f0e0d0c0b0a0908 {
		t.Fatalf("KeyFromBytes = %#x %#x", k.K0, k.K1)
	}
}
