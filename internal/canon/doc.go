// Package canon holds the hashing and canonical-encoding conventions of
// SPEC §0 shared by every package that hashes or signs: the tagged BLAKE3
// hash H, Trunc16, MAC, and an append-only Encoder for hand-written
// Canonical() methods.
//
// # Scope
//
// Belongs here: H, HPlain, MAC, Trunc16 and Encoder (canon.go). Not here:
// decoders (each package reads its own canonical forms) and any type's
// field order (its Canonical method).
//
// # Concurrency
//
// Every function is safe for concurrent use; H draws BLAKE3 states from a
// sync.Pool and resets each before use. An Encoder is used by one
// goroutine.
//
// # Invariants
//
//   - H(tag, p1…pn) = BLAKE3-256(lp(tag) ‖ lp(p1) ‖ … ‖ lp(pn)) with
//     lp(x) = uvarint(len x) ‖ x (canon.go; canon_test.go TestHVector,
//     TestHFraming); a pooled state never carries over between calls
//     (TestHPooledStateIsolated).
//   - Encoder output is a pure function of the calls made (no maps, no
//     reflection): big-endian fixed-width integers, lp for variable bytes,
//     uvarint counts for lists, u8 0|1 for optionals (TestEncoder).
package canon
