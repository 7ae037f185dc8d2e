package riblt

import "math"

// indexLimit ends a mapping: indices are u32 on the wire (SPEC §9 "stop
// once idx ≥ 2^32").
const indexLimit = 1 << 32

// mapMul is the multiplier of the mapping's 64-bit LCG step.
const mapMul = 0xda942042e4dd58b5

// Mapping walks the coded-symbol indices i₀ = 0 < i₁ < … that one element
// is added to (SPEC §9). The zero Mapping is not valid; use NewMapping.
type Mapping struct {
	prng uint64
	idx  uint64
	done bool
}

// NewMapping starts the walk of an element whose checksum is chk; its
// current index is 0.
func NewMapping(chk uint64) Mapping { return Mapping{prng: chk} }

// Index is the current index.
func (m *Mapping) Index() uint64 { return m.idx }

// Next advances to the next index. It returns false, and stays put, once
// the next index would reach 2^32.
//
// The arithmetic is IEEE-754 binary64 and every intermediate is an
// explicit float64 conversion, which forbids fused multiply-add (Go spec:
// "an explicit floating-point type conversion rounds to the precision of
// the target type").
func (m *Mapping) Next() bool {
	if m.done {
		return false
	}
	m.prng *= mapMul
	scale := float64(float64(1<<32)/math.Sqrt(float64(m.prng)+1) - 1)
	g := math.Ceil(float64(float64(float64(m.idx)+1.5) * scale))
	// g ≥ 0 always (scale ≥ 0); compare as float before converting, so
	// no out-of-range float→uint conversion happens.
	if g >= float64(indexLimit-m.idx) {
		m.done = true
		return false
	}
	m.idx += max(1, uint64(g))
	if m.idx >= indexLimit {
		m.done = true
		return false
	}
	return true
}

// Indices returns the first n indices (fewer if the walk ends) of the
// element with checksum chk. Meant for tests and diagnostics.
func Indices(chk uint64, n int) []uint64 {
	m := NewMapping(chk)
	out := []uint64{0}
	for len(out) < n && m.Next() {
		out = append(out, m.Index())
	}
	return out
}
