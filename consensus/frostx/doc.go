// Package frostx is the only door to threshold signing: a typed,
// serialised wrapper around github.com/bytemare/frost for FROST(Ed25519,
// SHA-512), RFC 9591 (SPEC §0, §5.4). Validators and handlers call frostx,
// never the library.
//
// # Usage
//
//	c, err := frostx.NewCommittee(frostx.Config{Threshold: t, MaxSigners: n, GroupKey: gk, VerShares: vs})
//	s, err := frostx.NewSigner(c, keyShare)        // keyShare from dkg.Result.KeyShare (or opened with ShareSealer)
//	cm, err := s.Commit()                          // before T exists; cm.Bytes is the 75-byte wire form
//	sh, err := s.Sign(T, pkg)                      // pkg: the t commitments, ascending FrostID; consumes cm
//	err = c.VerifyShare(T, sh, pkg)                // initiator, per share
//	sig, err := c.Aggregate(T, shares, pkg)        // verifies every share, then the aggregate
//	err = frostx.Verify(gk, T, sig)                // every replica, every commit (SPEC §5.8)
//
// # Scope
//
// Belongs: committee configuration, nonce commitments, signature shares,
// aggregation, verification, point validation (CheckPoint), sealing a
// device's own share at rest (ShareSealer). Does not belong: which
// commitments go to which initiator, the ≤ 64 outstanding policy, votes,
// packages' PackageID, persistence — all in consensus. Key generation is
// consensus/frostx/dkg; test committees come from frostxtest.
//
// # Invariants
//
//   - Every call into bytemare/frost (Configuration.Init, Signer, Commit,
//     Sign, VerifySignatureShare, AggregateSignatures, VerifySignature) runs
//     under the one process-wide mutex libMu (committee.go, signer.go,
//     package.go); the library's shared hash state corrupts nonces
//     otherwise. TestConcurrentCommitSignVerify (8 goroutines, 3 committees,
//     -race; 10 s with AURA_LONG=1) finds no race and no repeated
//     commitment point.
//   - Aggregate always verifies the aggregate signature after aggregating
//     (the library verifies only shares): TestTMinusOneSharesNeverVerify
//     shows t−1 shares never give a valid signature, even bypassing the
//     share-count check.
//   - The first Sign naming a commitment consumes it; a later Sign naming
//     it gets ErrCommitmentUsed, an evicted or foreign one
//     ErrUnknownCommitment, a package whose points differ from the issued
//     ones is refused: TestSignConsumesCommitment,
//     TestSignRefusesForeignCommitment.
//   - Shares combine only inside their own package and T:
//     TestBadSharesRejected.
//   - Aggregates are 64-byte R ‖ z RFC 8032 signatures:
//     crypto/ed25519.Verify accepts them (TestSignAggregateVerify), and
//     Verify accepts crypto/ed25519.Sign signatures of t = 1 commits
//     (TestVerifySingleSignerEd25519). Verify rejects a torsion component in
//     R or the key, a non-canonical z, an identity R.
//   - Every point frostx accepts (GroupKey, VerShares, commitment D and E,
//     R) is canonical, not the identity and torsion-free (CheckPoint;
//     TestCheckPoint, TestConfigValidation, FuzzDecodeCommitment).
//   - A Config's VerShares are exactly FrostIDs 1..n and lie on one
//     polynomial of degree t−1 whose value at 0 is GroupKey
//     (TestConfigValidation).
//   - Nonces live only in Signer memory: Signer has no encoder, commitments
//     and shares carry no secret. A NonceRecorder (test-only, nil in
//     production) sees every generated nonce and commitment point so tests
//     can prove no datastore value holds one (SPEC §16.7(c);
//     TestNonceRecorder).
//   - ShareSealer output is Nonce[12] ‖ ChaCha20-Poly1305 under
//     HKDF-SHA256(DeviceKey seed, "aura/share-at-rest/v1") with a fresh
//     random nonce; any tampering or another key fails Open
//     (TestShareSealer, TestShareSealerVector).
//   - Decoders never panic and accepted encodings round-trip
//     (FuzzDecodeCommitment, FuzzDecodeShare, FuzzVerify).
package frostx
