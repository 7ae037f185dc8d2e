// Package seal is SPEC §0 Seal(pub, m) = ephPub ‖ ChaCha20-Poly1305(k,
// zero nonce, m) with a fresh X25519 eph and k = HKDF(X25519(eph, pub) ‖
// ephPub ‖ pub, "aura/seal/v1"), and its inverse Open. It seals
// AuthoritySecret_k to each leaf's DHKey (SPEC §4 SealedSecrets) and
// context roots to member DH keys (§7.1).
//
// # Invariants
//
//   - Open(priv, Seal(pub(priv), m)) == m; the output is exactly
//     Overhead bytes longer than m (seal_test.go TestRoundTrip).
//   - Open fails with ErrOpen, never panics, on any other key, any
//     changed byte, a short input or a low-order ephemeral key
//     (TestOpenRejects, FuzzOpen).
//   - Seal refuses a low-order recipient key with ErrBadKey
//     (TestSealLowOrder).
//   - The construction matches journal/journaltest.Seal byte for byte
//     for the same ephemeral key (TestMatchesFixture).
package seal
