// Package dkg is the 2-round Pedersen DKG with Schnorr proofs of knowledge
// (Komlo & Goldberg 2020, Fig. 1) that creates every FROST committee key
// (SPEC §4 "DKG", §17.19), on github.com/bytemare/ecc (Edwards25519Sha512)
// and github.com/bytemare/secret-sharing. It never imports bytemare/dkg.
//
// # Usage
//
// The driver (journal/tree ceremonies, later) owns one Participant per DKG
// and its goroutine:
//
//	p, err := dkg.NewParticipant(sess, self, signKey, crypto/rand.Reader)
//	send(p.Start())                               // round 1 to every member
//	for each received (from, data) {              // from: the stream's member
//	    out, err := p.Handle(from, data)          // ErrBadMessage: reset stream; other err: abort
//	    send(out)
//	    if p.Done() { res, _ := p.Result() ... }  // GroupKey, VerShares, KeyShare, Round1, Confirms
//	}
//	on DKGTimeout: err := p.Timeout()             // TimeoutError naming the silent members
//
// Validators of a KeyRotation call the pure ValidateRotation (and
// CheckFrostIDs on the FrostIDs by ascending LeafId / AuthorityId).
//
// # Scope
//
// Belongs: session id, message encodings and signatures, the round
// checks, key assembly, transcript hash and confirms, and the pure
// recomputation of a finished DKG. Does not belong: streams, timers,
// DKGStart, sealing AuthoritySecret or the share, consensus on the op.
//
// # Invariants
//
//   - Deterministic core: a Participant does no I/O, reads no clock and
//     draws randomness only from its reader; the same seeds and delivery
//     order give the same messages (sim_test.go drives it; TestDKGThenSign
//     over seeded random delivery orders).
//   - A 3-of-5 run ends with every member holding the same GroupKey,
//     VerShares, transcript hash and confirms; each VerShare recomputes from
//     round-1 data (Recompute); each key share is accepted by
//     frostx.NewSigner (s_ℓ·G == VerShare_ℓ); members 1, 3, 5 sign T and
//     both frostx.Verify and crypto/ed25519.Verify accept (TestDKGThenSign).
//   - A round-1 message with a bad signature, len(C) ≠ t, a point that is
//     non-canonical, the identity or has torsion, or a failed proof aborts
//     every receiver with ErrDKGBadProof (errors.Is ErrDKGInconsistent),
//     CulpritError naming the sender (TestDKGBadProof).
//   - A round-2 share off its commitment aborts its recipient with
//     ErrDKGInconsistent naming the sender (TestDKGBadRound2Share).
//   - Different round-1 data sent to different members makes the transcript
//     hashes differ, so every honest member aborts at the confirm step with
//     ErrDKGInconsistent and no key is used (TestDKGEquivocatingRound1).
//   - Timeout names exactly the members still silent, wrapping
//     ErrDKGTimeout; an aborted participant stays aborted
//     (TestDKGTimeoutNamesSilent).
//   - Undecodable, misaddressed or other-session input is ErrBadMessage and
//     leaves the state unchanged; duplicates are idempotent
//     (TestDKGBadMessagesDoNotAbort).
//   - ValidateRotation is a pure function of the rotation: it rejects a
//     torsion component in GroupKey or a VerShare, VerShares not exactly
//     1..N, keys or transcript hash that do not recompute, bad or missing
//     confirms, and any bad round-1 proof (TestValidateRotationRejects,
//     TestValidateRotationBadProofNamesCulprit); CheckFrostIDs accepts only
//     1..N (TestCheckFrostIDs).
//   - Decoders are canonical (accepted bytes re-encode identically) and no
//     input panics a Participant or Recompute (FuzzDecode, FuzzHandle,
//     FuzzRecompute).
//
// # Encodings
//
// Every message starts with its kind byte (1 Round1, 2 Round2, 3 Confirm),
// then the fields in declared order (canon conventions: big-endian u16,
// raw 32-byte points and scalars, uvarint count for C), then Sig =
// Ed25519(SignKey, H("aura/dkg-msg/v1", encoding without Sig)). The
// transcript hash covers the round-1 encodings without Sig.
package dkg
