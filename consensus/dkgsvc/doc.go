// Package dkgsvc runs the DKG of consensus/frostx/dkg over the network on
// /aura/dkg/1.0.0 (SPEC §4 "DKG", §4.1 steps 3–4) and stores the
// resulting key share sealed at rest (SPEC §5.4).
//
// # Usage
//
// The composition root builds one Service per device over the guarded
// sender and the synced datastore, and journal/tree ceremonies drive it:
//
//	svc, _ := dkgsvc.New(dkgsvc.Config{Sender: snd, Datastore: d, BudgetCtx: driver.AuthorityCtx(a),
//		Authorise: func(s dkgsvc.Start) error { /* proposer current member, parent state, KeyEpoch */ }})
//	svc.Start(); defer svc.Close()
//	// proposer P (a resulting member):
//	start, _ := svc.Propose(ctx, dkgsvc.NewStart(ns, k+1, pe, pr, t, members, nonce), deviceKey, peers)
//	sess, _ := start.Session(ns)
//	res, err := svc.Run(ctx, sess, peers, selfFrostID, deviceKey)
//	// every other member:
//	st := <-svc.Starts(); sess, _ := st.Session(ns); res, err := svc.Run(ctx, sess, peers, self, deviceKey)
//	// later, after a restart:
//	sh, _ := dkgsvc.LoadShare(ctx, d, nsID, keyEpoch, deviceKey.Seed()); signer, _ := sh.Signer()
//	// a caller keeping one share per DKG of a key epoch (journal/tree/treesvc):
//	_ = dkgsvc.StoreShareAt(ctx, d, key, sh, deviceKey.Seed()); sh, _ = dkgsvc.LoadShareAt(ctx, d, key, deviceKey.Seed())
//
// Run feeds one dkg.Participant on the caller's goroutine (its owner);
// stream handlers decode frames and hand them over on a channel; one
// writer goroutine per other member sends that run's frames FIFO.
//
// # Scope
//
// Belongs: framing and decoding DKGFrames, DKGStart signing and
// verification, routing by sid, guarded sends (budget.MsgDKG, cost 50,
// authority scope), DKGTimeout, sealing and storing the share. Does not
// belong: the DKG math and checks (consensus/frostx/dkg), deciding who
// may propose (the Authorise callback), the KeyRotation op and its
// consensus (journal/tree, consensus).
//
// # Invariants
//
//   - A 3-of-5 DKG over simnet completes at all five with the same
//     GroupKey, VerShares and transcript; each directed link carries
//     exactly one round 1, one round 2 (naming that link's recipient) and
//     one confirm; members 1, 3, 5 sign with shares loaded from their
//     datastores and frostx.Verify accepts (sim_test.go
//     TestDKGOverNetworkThenSign).
//   - A silent member makes every other member's Run return, at
//     DKGTimeout of virtual time, a *dkg.TimeoutError (errors.Is
//     dkg.ErrDKGTimeout) naming exactly it (TestDKGSilentMemberTimesOut).
//   - An undecodable or oversize frame, a round message from a peer
//     outside the session, or a bad dkg message resets the stream and
//     counts one misbehaviour (Metrics and Reporter); it never panics or
//     aborts the DKG (service.go, run.go feed; TestDKGGarbageFramesReset).
//   - A DKGStart is followed only if its signature verifies under a listed
//     member's SignKey and Authorise accepts it; nil Authorise refuses all
//     (service.go onStart; TestDKGStartAuthorisation, TestStartVerify).
//   - The share is stored only sealed (Nonce ‖ ChaCha20-Poly1305 under
//     HKDF(DeviceKey seed, "aura/share-at-rest/v1"), frostx.ShareSealer)
//     at /aura/k/<kind>/<ns>/<keyEpoch> in one batch; neither the share
//     encoding nor its secret scalar appears in any pebble file, and it
//     opens with the right seed only (store.go; TestShareSealedAtRest).
//     No frost Signer or nonce is ever stored.
//   - Close ends running DKGs with ErrClosed and waits for their writers;
//     Run on a closed service is ErrClosed (TestCloseCancelsRun).
//   - The inbound decoder never panics, rejects wrong sizes and ids with
//     ErrBadFrame, and accepted frames round-trip (wire.go; FuzzDecodeFrame,
//     TestDecodeFrameRejects); so does the share record (FuzzDecodeRecord).
//
// # Decisions
//
// DKGStart Sig = Ed25519(P, H("aura/dkg-start/v1", sid ‖ u64 KeyEpoch ‖
// u64 ParentEpoch ‖ ParentRoot ‖ u16 T ‖ uvarint N ‖ per member (ID ‖ u16
// FrostID ‖ SignKey ‖ DHKey) ‖ DKGNonce)) [GO-DECISION: SPEC §4.1 says
// "Sig by P"]. The stored record is u8 1 ‖ u16 t ‖ GroupKey ‖ uvarint N ‖
// VerShares 1..N ‖ sealed share: the public committee data in the clear
// so a loader can rebuild the frostx.Committee.
package dkgsvc
