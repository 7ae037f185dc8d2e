// Package frostxtest builds FROST committees for tests of packages above
// consensus/frostx (consensus, journal/tree). Keys come from a complete
// in-memory run of the real DKG (consensus/frostx/dkg) with seeded
// randomness, so no test needs a trusted dealer or imports bytemare/frost.
// Test-only: production code never imports it.
//
//	c, signers := frostxtest.Committee(t, 3, 5, seed, nil)   // signers[i] is FrostID i+1
//	cfg, shares, err := frostxtest.Keygen(3, 5, seed)        // raw Config and key shares
//
// Invariants:
//   - Keygen is a function of (t, n, seed) (TestKeygenDeterministic).
//   - Its committees sign and verify (TestCommitteeSigns).
package frostxtest
