// Package driver runs the pure consensus core (consensus.Node) over the
// network: /aura/consensus/1.0.0 streams and the neighbourhood fallback
// topic, every send guarded by the flow Sender, durable state in the
// journal and the vote log (SPEC §5, §6.4, §10, §14).
//
// # Usage
//
//	svc, err := driver.New(ctx, driver.Config{
//	        Core: consensus.Config{Self: me, VoteKey: vk, Scope: sc, Keys: keys},
//	        Authority: aid, Sender: snd, Journal: j, Datastore: d, Peers: peers,
//	        FallbackTopic: p2p.FallbackTopic(n), FallbackKey: kfb,   // driver.FallbackKeyOf(secret)
//	        RTT: func(p peer.ID) time.Duration { return host.LibP2P().Peerstore().LatencyEWMA(p) },
//	        Reporter: host, Metrics: m, Logger: l, OnOutcome: onOutcome})
//	err = svc.Start()                          // handler, topic, CommitmentAnnounce
//	fact, err := svc.Propose(ctx, op)          // stored CommitFact | ErrInvalidOp | ErrConsensusTimeout
//	err = svc.SetScope(ctx, newScope, keys)    // after a commit, sync or key change
//	err = svc.Resolve(ctx, cid, applied)       // chain-walk result (Applied / Superseded)
//	svc.Close()
//
// # Goroutines
//
// One owner goroutine (service.go run) holds the consensus.Node: Propose,
// SetScope, Resolve, Decided and Timing enqueue a closure and wait with
// ctx; inbound frames and topic messages arrive on a channel; a ticker
// (Config.TickInterval, 50 ms; virtual inside synctest) drives Node.Tick.
// Per member one writer goroutine (outbox.go) owns one outbound stream
// and writes in FIFO order; one writer publishes on the fallback topic;
// one goroutine reads the topic subscription. Small goroutines wait for a
// gate (gate.go) before reporting outcomes. Close cancels them all, resets
// inbound streams and waits.
//
// # Carriage
//
// Stream per peer: each member keeps one long-lived outbound stream to
// each other member and sends one frame per message (uvarint framing,
// 128 KiB cap); inbound streams are read frame by frame until EOF. A frame
// that does not decode, or a stream from a peer that maps to no member,
// resets the stream and counts one misbehaviour point (Metrics and
// Config.Reporter, SPEC §6.6). Sends are authority scope (SPEC §5.1): the
// budget context is AuthorityCtx(Authority), dst the member's id, kinds by
// message (outbox.go kindOf, SPEC §6.2). Fallback AggregateShares go
// sealed on the topic (envelope.go: FallbackEnvelope Tag ‖ Nonce ‖
// ChaCha20-Poly1305, exactly 1/4/16/64 KiB) and directly to k members, as
// Config.Carriage selects. An unsent CommitmentAnnounce is retried with
// backoff and at once when the member opens a stream to us.
//
// # Invariants
//
//   - Durability before send: each Ready's vote-log entries
//     (/aura/c/vote/<cid>/<pre> → rid), Commit and Equivocation facts are
//     staged in the JournalCoupler batch of the Ready's first gated send
//     (flow.Msg.Stage / Publish stage; alone through CommitStaged when
//     there is no send or it never reached its batch); every SignShare,
//     AggregateShare and Commit waits until that batch and all earlier
//     ones committed (flush.go, gate.go). A failed batch sends nothing of
//     its Ready and rebuilds the core from disk:
//     TestSimJournalFailureSendsNoShare.
//   - The vote log survives restart and refuses another rid:
//     TestSimVoteLogSurvivesRestart (§16.7a at driver level). Nonces are
//     never persisted (only VoteRecords and facts are staged).
//   - Fast paths through real flow.Senders on simnet: fast2 in 2 RTT on
//     cold pools, then fast1 in 1 RTT: TestSimFast2ThenFast1 (§16.1–2).
//   - Initiator crash after Execute ⇒ fallback commit ≤ 3 rounds after
//     T_fallback, with both carriages, topic only and direct only:
//     TestSimInitiatorCrashFallback (§16.4, §16.33 last clause; 30 more
//     seeds each with AURA_LONG=1).
//   - Real hosts: 5 libp2p hosts on 127.0.0.1, fast path then initiator
//     killed mid-instance ⇒ fallback commit: TestLibp2pFastPathThenFallback.
//   - Every fallback-topic message is 1, 4, 16 or 64 KiB; other sizes are
//     Rejected, FallbackPeerRate excess Ignored, foreign tags not opened:
//     TestEnvelopeSizes, TestFallbackValidator, FuzzOpenEnvelope.
//   - Bad input is a reset and a misbehaviour point, never a panic:
//     TestBadFrameResetsAndCounts, FuzzOpenEnvelope, FuzzParseVote (frame
//     decoding is consensus.Unmarshal, fuzzed in consensus/).
//   - Equivocation evidence reaches the journal as Equivocation facts and
//     the instance still commits once: TestSimEquivocationStored.
//   - An invalid op sends nothing (ErrInvalidOp); calls after Close are
//     ErrClosed: TestSimInvalidOpSendsNothing.
//   - Members started one after another still get each other's
//     CommitmentAnnounce (retry), so every member's first instance runs
//     fast1: TestSimLatencyVsFloor (initiators rotate over all 5).
//   - Every tick reports the core's Node.OldestUndecided as
//     Metrics.OldestInstanceAge (aura_consensus_oldest_instance_age_seconds):
//     an instance stuck with t−1 reachable witnesses ages with virtual
//     time, 0 once it commits: TestSimOldestInstanceAge.
//   - No conflicting commits: every scenario ends with checkAgree (one
//     FactID per instance on every replica, VerifyCommit, the
//     conflicting-commits counter at 0).
//
// Benchmarks (bench_test.go): TestSimLatencyVsFloor (25 ms links, virtual
// time: fast2, fast1 p50 against the RTT floor, fallback rounds after GST)
// and BenchmarkLoopbackFast1 (real hosts: fast1 p50 against raw stream
// RTT to the t-th nearest witness + 3 synced pebble writes + FROST CPU,
// commits/s, CPU per commit per member).
//
// # Scope
//
// Belongs: carriage, durability ordering, sealing, Δ̂ feeding
// (Node.ObserveRTT from Config.RTT or Execute → SignShare), driver
// metrics. Does not belong: consensus rules (consensus/), guard decisions
// (flow/), reducing scopes and DevicePeer maps (journal/tree, node/),
// context-scope receipts (not wired yet: see Config.Authority).
package driver
