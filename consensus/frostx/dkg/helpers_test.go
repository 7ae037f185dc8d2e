package dkg

import (
	"io"
	"math/rand/v2"
	"testing"
)

func seededReader(seed uint64) io.Reader { return rand.NewChaCha8(seedBytes(seed, 77)) }

// order2 is (0, −1), a point of order 2.
var order2 = func() [32]byte {
	var b [32]byte
	b[0] = 0xec
	for i := 1; i < 31; i++ {
		b[i] = 0xff
	}
	b[31] = 0x7f
	return b
}()

// addOrder2 returns p + (0, −1): on the curve, with a torsion component.
func addOrder2(tb testing.TB, p [32]byte) [32]byte {
	tb.Helper()
	a, b := g.NewElement(), g.NewElement()
	if a.Decode(p[:]) != nil || b.Decode(order2[:]) != nil {
		tb.Fatal("decode")
	}
	return [32]byte(a.Add(b).Encode())
}
