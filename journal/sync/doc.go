// Package sync is the anti-entropy protocol of SPEC §9 (/aura/sync/1.0.0):
// one session reconciles one namespace's entry set between an initiator I
// and a responder R with a rateless invertible Bloom lookup table
// (package riblt), then fetches and pushes the differing entries.
//
// The package has three layers: the pure session cores (initiator.go,
// responder.go) and the pure scheduler (schedule.go); the wire mapping to
// protocols/syncpb (wire.go); and the Service driver (service.go,
// session.go) that runs them over the node's guarded *flow.Sender —
// never a p2p.Transport — so every frame written is a guarded send and
// every frame read passes flow's Receiver (sender.go, SPEC §9 "Guards").
//
// # Usage
//
// The driver (one per node):
//
//	keys := sync.NamespaceKeys{NS: ns, Secrets: []sync.Secret{sync.StaticContextSecret(kRoot)},
//		Signer: sync.Ed25519Signer{ID: authority, Key: memberKey}}
//	cfg := sync.DefaultServiceConfig()           // §10: 500 ms, 2 s, 8, 10 s, 500 ms·2ⁿ ≤ 30 s
//	cfg.Liveness, cfg.Reporter = env.Host, env.Host // node.HostInfo; nil on simnet
//	cfg.Charges = env.Charges                   // lazy FlowCharge signing at each snapshot
//	svc, err := sync.NewService(env.Sender, j, cfg, keys) // *flow.Sender; j.Join(ns) first
//	defer svc.Close()                            // stops run, aborts and awaits sessions
//	svc.Write(ctx, ns, rawFacts...)              // journal.Add + push (≤ SyncAnnounceMax)
//
// Authority namespaces (tree-backed; see "Authority namespaces" below):
//
//	cfg.Registry = journal.NewRegistry(tree.JournalReducer{R: r}, journal.ContextReducer{})
//	cfg.OnStored = func(ns journal.Namespace, n int) { kick(ns) } // non-blocking
//	j.Join(ans)
//	svc.Join(ctx, sync.AuthorityKeys(ans, secrets /* AuthoritySecret_0..k */, deviceID, deviceKey))
//	svc.Trust(ctx, ans, sync.TrustedDevice{…})   // joiner: its inviter, until the Genesis reduces
//	err := svc.SyncNow(ctx, ans, p)               // one session with p, accounted on return
//
// Goroutines: run (service.go) owns the scheduler and publishes an
// immutable view (keys, member keys, member peers from the last
// reduction) that sessions read; each outbound session runs on its own
// goroutine, each inbound one on the transport's handler goroutine. run
// never does network I/O: it books a peer in the scheduler (a tick: the
// next eligible peer; a push: every live peer not busy) and the session
// goroutine opens the stream; a failed open is reported like a failed
// session (released; backed off unless the peer is unreachable), so a
// later tick tries the next peer. Inbound admission takes the
// scheduler's mutex directly (schedMu, never held across I/O) instead of
// a round trip through run. Sessions report through a non-blocking
// queue (results.go) to run, which releases the (peer, namespace) slot,
// backs off failures, re-reduces the namespace once if the session
// stored entries, and updates Metrics. journal/sync/syncdevnet runs the devnet step;
// node starts the Service for its static contexts (node/sync.go).
//
// # Guards (sender.go)
//
// Each session has a sessionGuard bound to the namespace's context and
// the peer's authority (I: the DevicePeer map; R: the verified Hello
// Author, which must equal the receipt's Src). Outbound: Hello and
// HelloAck are charged (Stream.Prepay) when the core asks Guard.Receipt
// for the box's receipt, PayloadHash over the box, cost 1 + ⌈bytes/1024⌉
// of the fixed-size frame; R's Symbols frames of one Step are one credit
// grant charged once, 1 + ⌈42·g/1024⌉, PayloadHash H("aura/sync-block/v1",
// NonceI, u32 grantNo), its receipt in the grant's first frame; every
// other frame is a WriteFrame of its size price with the receipt attached
// in its Receipt field. Kinds: I's Hello/More/Done/Full/End
// sync:request_digest (push mode: sync:announce_op), Want
// sync:request_ops, Facts sync:push_ops; R's frames are answers (no
// capability, flow.Override.Answer). Inbound: both sides admit the peer's
// receipts through flow's Receiver (the Hello's token hash is the
// session's); admissions join the next charge's batch, or commit alone
// before a Facts frame is ingested or when a step sends nothing; a
// failed session releases them. Any guard failure resets the stream with
// nothing written.
//
// # Authority namespaces
//
// An authority namespace is served like a context (SPEC §9): its
// NamespaceKeys (AuthorityKeys) hold S_k = HKDF(AuthoritySecret_k,
// "aura/sync/v1") for every key epoch the device holds — I uses the
// newest, R matches a Ref under any — and its Signer is the device
// (Author = DeviceId, DeviceKey). Members are the current leaves of the
// reduced state and peers the DevicePeer registers of current leaves,
// read through journal.AuthorityView from ServiceConfig.Registry (pass
// journal.NewRegistry(tree.JournalReducer{R: r}, journal.ContextReducer{})
// for multi-device authorities; this package does not import journal/tree).
// R checks the Hello Author against its current state, so a device any
// number of key epochs behind is served and a removed one is reset. Boxes
// carry no token and no receipt; every frame is still a guarded send, on
// the per-device budget toward the peer device (flow.ScopeAuthority: Ctx
// = AuthorityId, Dst = DeviceId, cost 1 + ⌈bytes/1024⌉ per frame,
// Symbols frames charged one by one since the per-device path has no
// Prepay), and a received authority frame carrying a receipt is refused.
// NamespaceKeys.Trusted lets a joiner without the Genesis accept its
// inviter as responder (SPEC §4.1 step 2). The tree service drives it
// through Join (replace the secrets after a key rotation), SyncNow (one
// session with a given peer, returning when it has been accounted) and
// ServiceConfig.OnStored (re-reduce after a session stored entries).
//
// The cores alone — initiator (the driver owns the stream and calls from
// one goroutine):
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
// Frames are Go structs (frames.go); EncodeFrame/DecodeFrame (wire.go)
// map them to protocols/syncpb.SyncFrame, using riblt.AppendSymbols /
// DecodeSymbols and AppendPackedIDs/DecodePackedIDs for Syms and
// Ids/Want.
//
// # Scope
//
// Belongs here: key derivation (keys.go), sealed Hello/HelloAck boxes
// (box.go), the initiator and responder state machines (initiator.go,
// responder.go), frame limits (frames.go, config.go), the wire mapping
// (wire.go), peer choice and bounds (schedule.go), the driver (service.go,
// session.go, view.go, service_config.go). The cores and the scheduler
// read no clock and draw no randomness (the scheduler's shuffle is a
// seeded PCG); only the driver does I/O. Not here: fact decoding and
// EntryID recomputation (journal ingress, called by the driver),
// capability and receipt checks (the flow layer, plugged in through Guard
// and Sender), connection management (p2p), the tree reduction and key
// ceremonies (journal/tree, the tree service).
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
//   - R never sends beyond the credit (W, then each More) or the cap,
//     and refuses (ErrSessionLimit, zero frames) a More asking a grant it
//     could not charge, > MaxGrantSymbols — TestResponderGrantBound; I
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
//   - Wire: every frame kind round-trips through syncpb; arbitrary bytes
//     never panic DecodeFrame, every failure wraps ErrBadFrame, and a
//     decoded frame re-encodes stably — wire_test.go TestWireRoundTrip,
//     TestWireRejects, FuzzDecodeFrame.
//   - Schedule: each pass of the shuffled round-robin visits every member
//     peer once; a busy peer, one synced < SyncPeerGap ago, one backing
//     off (500 ms·2ⁿ⁻¹ ≤ 30 s, reset by success) or one without a live
//     connection is skipped; ≤ SyncMaxInbound inbound sessions and one per
//     (peer, namespace) each way — schedule_test.go
//     TestSchedulerRoundRobin, TestSchedulerGapBusyBackoff,
//     TestSchedulerInbound.
//   - Convergence (SPEC §16.25): 10 replicas of a static context split
//     5/5 with writes on both sides reach identical EntryIDs, C[0] under a
//     fixed key and reduced-state canonical bytes within 7 SyncIntervals
//     of heal; with 20% frame loss within 30 — service_sim_test.go
//     TestHealConverges, TestHealConvergesUnderLoss; on real libp2p
//     hosts — service_libp2p_test.go TestLoopbackConverges.
//   - Non-member (SPEC §16.13): a node that knows the ContextId but not
//     K_root gets only resets, receives no frame, stores nothing and plants
//     nothing — service_adv_test.go TestNonMemberGetsOnlyResets; on a
//     real host, without a misbehaviour point —
//     service_libp2p_test.go TestLoopbackNonMemberReset.
//   - An equal round through the driver is Hello, HelloAck, End
//     (≈ 1.3 KB with receipts) — service_sim_test.go TestEqualRoundBytes.
//   - A peer sending bad symbols is reset, counted (rounds and resets
//     bad_symbols), reported as misbehaviour and backed off —
//     TestByzantineBadSymbols; a frame over a per-frame limit likewise
//     (bad_frame) — TestOversizeFrameReset. Transport framing errors are
//     counted by p2p.Host, not again here.
//   - Guards: every sync frame written is preceded by a committed charge
//     (charge record + receipt log, one synced batch) whose receipt it
//     carries — in its box, its Receipt field, or its grant's first
//     Symbols frame — and no charge covers two frames but a grant's
//     (taps on transport and datastore, all ten frame kinds) —
//     guard_service_test.go TestGuardedSyncChargeBeforeSend; a budget
//     exhausted mid-sync stops the session with ErrInsufficientBudget
//     locally, writes nothing more, and the peer sees only resets —
//     TestBudgetExhaustedMidSync; receipts signed with a wrong key are
//     reset before any fact moves and reported as bad_sig —
//     TestForgedReceiptsReset; at I a Symbols frame without a receipt is
//     admitted only within the credit the last admitted grant paid for
//     (sender.go coveredByGrant; grant_test.go
//     TestGrantCoversOnlyItsCredit); arbitrary received frames and box receipts
//     never panic the guarded receive path, never make it write, and fail
//     with ErrDenied or ErrNotMember — fuzz_guard_test.go FuzzGuardAdmit;
//     the §16.13 and §16.25 tests above run with the guard chain
//     (flow.Senders over simnet with flow.StaticState), and the equal
//     round with its End receipt stays ≈ 1.3 KB (TestEqualRoundBytes).
//   - run never waits on the network: with every Open stalled until its
//     timeout, Write and Join return at once and the other replicas still
//     sync with the stalled one — service_owner_test.go
//     TestOwnerNeverWaitsOnOpen.
//   - Authority namespaces (SPEC §16.38): a device that missed 3
//     membership ops and holds only AuthoritySecret_2 is served by an
//     up-to-date member matching its Ref under that old key epoch, catches
//     up through SyncNow, reduces (tree reducer) to the byte-identical
//     TreeState and whole Result, OnStored reports its stored entries, and
//     every frame both ways was charged on the per-device budget —
//     authority_test.go TestAuthorityLaggingDeviceCatchesUp; a removed
//     device whose Ref still matches gets only resets, receives no frame,
//     stores nothing and plants nothing —
//     TestAuthorityRemovedDeviceGetsOnlyResets; a joiner holding only the
//     Commit that added it syncs from its Trusted inviter and reduces to
//     its state — TestAuthorityJoinerSyncsFromTrustedInviter; R matches
//     a Ref from AuthoritySecret_2 among AuthoritySecret_0..5 at index 2 —
//     TestAuthorityRefMatchesOldEpoch; authority boxes and frames carrying
//     a receipt or token are refused, and I refuses a HelloAck from
//     another device than its peer's — TestAuthorityFramesCarryNoReceipt,
//     FuzzGuardAdmit (authority sessions when credit's top bit is set).
//   - I checks every entry of R's Facts against its Want before ingress:
//     an unrequested entry resets the session and nothing of its frame is
//     stored — unwanted_test.go TestUnwantedFactsNotStored.
//   - Close waits for the run goroutine and every session (synctest
//     fails any test that leaks one — all service tests).
package sync
