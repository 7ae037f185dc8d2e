// Package edpoint holds the public-point checks shared by frostx and dkg,
// on filippo.io/edwards25519 (variable time: every input is public).
//
// Invariants:
//   - Valid accepts exactly canonical encodings of non-identity points with
//     no torsion component, P == [8]([8⁻¹ mod L]P) (SPEC §4): TestValid
//     rejects the identity, an order-2 point, kB plus a torsion point, a
//     non-canonical y, short and off-curve input.
//   - SchnorrHolds(R, A, c, μ) is μ·B == R + c·A with canonical μ
//     (TestSchnorrHolds).
package edpoint
