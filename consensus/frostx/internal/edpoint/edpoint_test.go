package edpoint

import (
	"testing"

	"filippo.io/edwards25519"
)

func TestValid(t *testing.T) {
	g := edwards25519.NewGeneratorPoint()
	if !Valid(g.Bytes()) {
		t.Fatal("generator rejected")
	}
	var s [64]byte
	s[0], s[40] = 9, 3
	k, _ := edwards25519.NewScalar().SetUniformBytes(s[:])
	p := new(edwards25519.Point).ScalarBaseMult(k)
	if !Valid(p.Bytes()) {
		t.Fatal("kB rejected")
	}
	order2 := make([]byte, 32)
	order2[0] = 0xec
	for i := 1; i < 31; i++ {
		order2[i] = 0xff
	}
	order2[31] = 0x7f
	t2, err := new(edwards25519.Point).SetBytes(order2)
	if err != nil {
		t.Fatal(err)
	}
	nonCanon := append([]byte{0xf0}, order2[1:]...) // y = p + 3
	for name, b := range map[string][]byte{
		"identity":      edwards25519.NewIdentityPoint().Bytes(),
		"order 2":       order2,
		"torsion":       new(edwards25519.Point).Add(p, t2).Bytes(),
		"non-canonical": nonCanon,
		"short":         p.Bytes()[:31],
		"off curve":     append([]byte{2}, make([]byte, 31)...),
	} {
		if Valid(b) {
			t.Errorf("%s accepted", name)
		}
	}
}

func BenchmarkValid(b *testing.B) {
	p := edwards25519.NewGeneratorPoint().Bytes()
	for b.Loop() {
		Valid(p)
	}
}

func TestSchnorrHolds(t *testing.T) {
	sc := func(v byte) *edwards25519.Scalar {
		var b [64]byte
		b[0], b[33] = v, v
		s, _ := edwards25519.NewScalar().SetUniformBytes(b[:])
		return s
	}
	a, k, c := sc(3), sc(5), sc(7)
	A := new(edwards25519.Point).ScalarBaseMult(a)
	R := new(edwards25519.Point).ScalarBaseMult(k)
	mu := edwards25519.NewScalar().MultiplyAdd(a, c, k) // k + a·c
	if !SchnorrHolds(R.Bytes(), A.Bytes(), c.Bytes(), mu.Bytes()) {
		t.Fatal("valid proof rejected")
	}
	bad := edwards25519.NewScalar().Add(mu, sc(1))
	if SchnorrHolds(R.Bytes(), A.Bytes(), c.Bytes(), bad.Bytes()) {
		t.Fatal("bad μ accepted")
	}
	hi := mu.Bytes()
	hi[31] |= 0xf0
	if SchnorrHolds(R.Bytes(), A.Bytes(), c.Bytes(), hi) {
		t.Fatal("non-canonical μ accepted")
	}
}
