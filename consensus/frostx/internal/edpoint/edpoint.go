package edpoint

import (
	"bytes"

	"filippo.io/edwards25519"
)

var (
	inv8     = mustScalar(8)
	zero     = edwards25519.NewScalar()
	identity = edwards25519.NewIdentityPoint()
)

// mustScalar returns (1/k) mod L for a small k.
func mustScalar(k byte) *edwards25519.Scalar {
	var b [32]byte
	b[0] = k
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	if err != nil {
		panic(err) // unreachable: k < L
	}
	return s.Invert(s)
}

// Valid reports whether b is the canonical encoding of a non-identity point
// with no torsion component: P == [8]([8⁻¹ mod L]P) (SPEC §4).
func Valid(b []byte) bool {
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil || !bytes.Equal(p.Bytes(), b) || p.Equal(identity) == 1 {
		return false
	}
	q := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(inv8, p, zero)
	return q.MultByCofactor(q).Equal(p) == 1
}

// SchnorrHolds reports whether [mu]B == R + [c]A, i.e. R == [mu]B − [c]A,
// for canonical encodings of points R, A and scalars c, mu (variable time:
// all inputs are public).
func SchnorrHolds(r, a, c, mu []byte) bool {
	rp, err1 := new(edwards25519.Point).SetBytes(r)
	ap, err2 := new(edwards25519.Point).SetBytes(a)
	cs, err3 := edwards25519.NewScalar().SetCanonicalBytes(c)
	ms, err4 := edwards25519.NewScalar().SetCanonicalBytes(mu)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return false
	}
	cs.Negate(cs)
	q := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(cs, ap, ms)
	return q.Equal(rp) == 1
}
