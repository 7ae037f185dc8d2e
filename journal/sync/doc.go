// Package sync is the anti-entropy protocol of SPEC §9 (/aura/sync/1.0.0):
// one session reconciles one namespace's entry set between an initiator I
// and a responder R with a rateless invertible Bloom lookup table
// (package riblt), then fetches and pushes the differing entries.
//
// This package currently holds the pure session cores; the driver (stream
// loop, scheduling, guarded sends, ingress) comes later.
//
// # Usage
//
// Initiator (the driver owns the stream and calls from one goroutine):
//
//	in, err := sync.NewInitiator(cfg)       // cfg.Set = E_I snapshot, NonceI from crypto/rand
//	out, err := in.Start()                  // [Hello]
//	send(out)
//	for !eof {
//		f := recv()                         // decoded, size-capped frame
//		out, err := in.Step(f)
//		if err != nil { stream.Reset(); break } // Aborted; nothing sent
//		if facts, ok := f.(sync.Facts); ok { ingest(facts.Entries) } // one merge batch
//		send(out)                           // each a guarded send (SPEC §6.4)
//	}
//	metrics.Round(sync.ResultLabel(in.Outcome(), err))
//
// Responder: NewResponder with a Resolver (MatchRef over every key epoch
// held, then a snapshot of E(ns)); feed each received frame to Step and
// send what it returns; a Step error means reset the stream and send
// nothing. Credit grants: the Symbols frames returned by one Step are one
// grant (Hello: the initial W; each More: the increase), charged once
// before the first of them (SPEC §9 "Guards").
//
// Frames are Go structs (frames.go). Their mapping to the generated
// protobuf types of protocols/ is to live in a separate thin file
// (wire.go) once those types exist; riblt.AppendSymbols/DecodeSymbols and
// AppendPackedIDs/DecodePackedIDs are the packed byte forms of Syms and
// Ids/Want.
//
// # Scope
//
// Belongs here: key derivation (keys.go), sealed Hello/HelloAck boxes
// (box.go), the initiator and responder state machines (initiator.go,
// responder.go), frame limits (frames.go, config.go). Not here: reading
// clocks or randomness, I/O beyond the read-only Entries snapshot, fact
// decoding and EntryID recomputation (journal ingress), capability and
// receipt checks (the flow layer, plugged in through Guard), membership
// (the journal's reduced state, through Members).
//
// # Invariants
//
//   - Keys: Ref, Ack, k and Kb_X are exactly the SPEC §9 derivations;
//     S = HKDF-SHA256(K, "aura/sync/v1") — keys_test.go TestDeriveKeys,
//     TestDeriveSecretMatchesStdlibHKDF; R matches Ref under every key
//     epoch it holds — TestMatchRef, TestSessionOldKeyEpoch.
//   - Boxes are 512 B (1536 B with a full token), ChaCha20-Poly1305 under
//     Kb_X with a zero nonce, zero-padded; anything else fails to open —
//     box_test.go TestBoxSealOpen, FuzzOpenBox, FuzzDecodeHelloBox,
//     FuzzDecodeAckBox.
//   - A Hello that fails any check (unknown Ref, box, non-member or
//     removed Author, bad signature) yields an error and zero frames: the
//     non-member sees only a reset — session_test.go TestSessionNonMember;
//     a guard refusal likewise — guard_test.go TestSessionGuard. I verifies
//     Ack and Box_R before sending anything else —
//     TestInitiatorRejectsBadHelloAck.
//   - Equal sets cost Hello, HelloAck, End — TestSessionEqual.
//   - After a successful session both entry sets are identical, with the
//     outcome naming the direction; a difference that fits the first
//     credit window is learned in one round trip — TestSessionDifferences.
//   - R never sends beyond the credit (W, then each More) or the cap; I
//     treats a gap, symbols beyond credit, a Count outside [0, SetSize] or
//     an initiator-only id not in E_I as bad_symbols (errors wrap
//     ErrBadSymbols) — TestSessionBadSymbols.
//   - Past Cap = min(SyncMaxSymbols, ⌈SetSize/2⌉+64) the session falls
//     back to Full/Ids and still ends with identical sets (outcome
//     FellBack) — TestSessionFallback.
//   - Want ≤ 128 ids, Facts ≤ 128 entries and ≤ FactsFrameBytes, ≤
//     SyncMaxFactsPerSession entries each way, ≤ SyncAnnounceMax in push
//     mode — TestSessionFactsLimit, TestSessionLargeFacts, TestSessionPush.
//   - Out-of-order frames reset the session; a finished session refuses
//     further frames — TestSessionUnexpectedFrames. Arbitrary frame
//     sequences never panic either core and every error wraps a sentinel
//     of errors.go — fuzz_test.go FuzzSessionFrames, TestSessionFramesSeeds.
//   - Config defaults are the §10 values; Validate never mutates —
//     config_test.go TestConfig.
package sync
