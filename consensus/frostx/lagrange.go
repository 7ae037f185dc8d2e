package frostx

import "github.com/bytemare/ecc"

// onPolynomial reports whether pts[i] = F(i+1) and gk = F(0) for one
// polynomial F of degree t−1 in the exponent: it interpolates from the
// first t points and checks gk and the remaining n−t points.
func onPolynomial(gk *ecc.Element, pts []*ecc.Element, t uint16) bool {
	if !interpolate(pts[:t], 0).Equal(gk) {
		return false
	}
	for m := int(t); m < len(pts); m++ {
		if !interpolate(pts[:t], uint64(m+1)).Equal(pts[m]) {
			return false
		}
	}
	return true
}

// interpolate evaluates at x the polynomial through (i+1, base[i]).
func interpolate(base []*ecc.Element, x uint64) *ecc.Element {
	acc := group.NewElement()
	for i := range base {
		acc.Add(base[i].Copy().Multiply(lagrange(len(base), i, x)))
	}
	return acc
}

// lagrange is λ_i(x) = Π_{j≠i} (x − x_j)/(x_i − x_j) over x_k = k+1.
func lagrange(k, i int, x uint64) *ecc.Scalar {
	num := group.NewScalar().One()
	den := group.NewScalar().One()
	xs := group.NewScalar().SetUInt64(x)
	xi := group.NewScalar().SetUInt64(uint64(i + 1))
	for j := range k {
		if j == i {
			continue
		}
		xj := group.NewScalar().SetUInt64(uint64(j + 1))
		num.Multiply(xs.Copy().Subtract(xj))
		den.Multiply(xi.Copy().Subtract(xj))
	}
	return num.Multiply(den.Invert())
}
