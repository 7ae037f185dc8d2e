// Package quorum holds the pure counting rules of consensus (SPEC §5.1,
// §5.8): which (t, n) are valid committee configurations, when a set of
// distinct signers reaches t, and when a commit's Signers list is
// well-formed. It imports nothing but the standard library and holds no
// state beyond the values callers create.
//
// Scope: counting only. Whether a signer's share, vote or signature is
// valid belongs to consensus/frostx and consensus; equivocation exclusion
// to consensus (SPEC §5.7).
//
// Invariants (each checked by a table test in quorum_test.go):
//   - ValidConfig accepts exactly 2 ≤ t ≤ n and t = n = 1
//     (TestValidConfig).
//   - CheckSigners accepts exactly lists that are strictly ascending (so
//     sorted and duplicate-free), made of ids in 1..n, at least t long
//     (TestCheckSigners).
//   - Tally counts each id once, whatever the order or repetition of Add
//     calls, and Reached(t) is Len() ≥ t (TestTally, TestDistinct).
package quorum
