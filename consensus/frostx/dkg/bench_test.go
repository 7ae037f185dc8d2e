package dkg

import "testing"

// BenchmarkDKG3of5 runs a full 3-of-5 DKG (all five members, in memory).
func BenchmarkDKG3of5(b *testing.B) {
	sess, keys := testSession(3, 5, 1)
	for b.Loop() {
		s := newSim(b, sess, keys, 1)
		s.run(b, false)
		s.results(b)
	}
}

// BenchmarkValidateRotation3of5 is the pure validation of one KeyRotation
// at N = 5, t = 3 (SPEC §4 estimates ≈ 1.6 ms).
func BenchmarkValidateRotation3of5(b *testing.B) {
	sess, keys := testSession(3, 5, 1)
	s := newSim(b, sess, keys, 1)
	s.run(b, false)
	rot := rotationOf(sess, s.results(b)[0])
	for b.Loop() {
		if err := ValidateRotation(rot); err != nil {
			b.Fatal(err)
		}
	}
}
