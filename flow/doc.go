// Package flow is the one guarded send path of aura-p2p (SPEC §6): the
// guard chain CapGuard → FlowGuard → JournalCoupler → transport write, the
// guarded Sender through which every protocol package writes to the
// network, and the Receiver that checks inbound receipts (§6.6).
//
// The decisions are pure and live in the leaf packages flow/cap
// (capabilities), flow/budget (costs, shares, charge arithmetic),
// flow/receipt (receipts, receive-side verdicts) and flow/guard (the §6.4
// steps 0–3 pipeline). This package is the small executor that performs
// them: it owns the per-budget-key locks, the synced datastore batch and
// the transport.
//
// # Usage
//
// Only the composition root (node/) holds both the p2p.Transport and the
// datastore. It builds the Sender once and hands the *Sender — never the
// Transport — to every protocol package:
//
//	d, _ := journal.OpenPebble(dir)                 // synced batches (SPEC §3)
//	snd, err := flow.New(host.Transport(), d, state, flow.Config{Metrics: m, Logger: l,
//		Topics: flow.DefaultTopicLimits(rdvTopic, fbTopic)})
//	consensus.New(snd, ...); sync.New(snd, ...)      // protocol code gets *flow.Sender
//
// The Sender keeps the Transport in an unexported field; its methods
// expose only guarded writes (Stream.WriteFrame, Publish, Subscribe with
// forward charging) and pass-through reads, so protocol code has no
// reference through which an unguarded byte could leave. A protocol
// writes:
//
//	s, err := snd.Open(ctx, peer, protocols.Consensus)
//	err = s.WriteFrame(ctx, flow.Msg{Kind: budget.MsgExecute, Scope: flow.ScopeContext,
//		Ctx: ctx, Dst: dst, Frame: frameWithoutReceipt, Stage: []flow.Stager{voteLog}})
//
// and a handler receives:
//
//	snd.Handle(protocols.Consensus, func(s *flow.Stream) {
//		f, _ := s.ReadFrame() // decode, size cap, context lookup are the protocol's
//		adm, err := snd.Receiver().Admit(ctx, s, flow.Inbound{Kind: k, Ctx: c, Frame: body,
//			Receipt: rcpt, TokenHash: th})
//		if err != nil { return } // stream already reset; nothing was written
//		// stage adm in the handler's first synced batch (as a Msg.Stage of its reply,
//		// or adm.Commit(ctx) alone) before any effect is stored or sent.
//	})
//
// Frames whose receipt is not simply attached (SPEC §9 sync boxes and
// credit grants) use Msg.Override (payload hash, fixed cost, answers
// without capability; Inbound.Override mirrors it) and Stream.Prepay,
// which commits the charge first and returns a Prepaid that writes at
// most n frames afterwards.
//
// Per send (Executor.Charge, SPEC §6.4): step 0 snapshot (state view,
// cost, frontier, frozen slot table; cost > Share denies at once), step 1
// CapGuard, then under the budget key's mutex step 2 FlowGuard on
// Spent(bk) (loaded lazily from the stored charge record), step 3 the
// receipt signature, step 4 one datastore batch with the charge record
// /aura/f/spent/<ctx>/<dst>/<epoch>/<slot>, the receipt-log entry
// /aura/f/rcpt/…/<nonce> and the caller's Stagers, committed synced,
// step 5 Spent = Spent', unlock, step 6 the transport write. Different
// keys run in parallel; Pebble folds their concurrent fsyncs (no
// application timer, WALMinSyncInterval 0).
//
// # Scope
//
// Belongs: executing guard decisions, charge records, receipt logs,
// accepted-receipt records, the guarded stream/topic surface, flow
// metrics. Does not belong: the decisions themselves (flow/guard and its
// leaves), protocol framing and decoding (protocols/, each protocol
// package), reducing journal state into a State (journal reductions
// implement State; StaticState serves tests), signing FlowCharge
// registers (journal sync, from ChargeRecords), misbehaviour scoring
// (p2p; callers read receipt.RejectError.Outcome.Misbehaviour).
//
// # Invariants
//
//   - No byte before its charge: every transport write follows a returned
//     Commit holding a charge record ≥ its Spent' (executor.go Charge;
//     TestChargeBeforeSendAudit — taps on the transport and on
//     Batch.Commit, 8 senders, 2 keys, topics, map and synced Pebble;
//     TestCrashChargeRecordCoversWrites — after SIGKILL the stored record
//     ≥ every Spent' that reached the wire).
//   - A denial at steps 0–2 writes zero bytes and zero datastore records
//     and resets the stream (TestDenialWritesNothing, SPEC §16.14;
//     TestExactHeadroom, §16.15).
//   - A failed batch (step 4) sends nothing and leaves Spent unchanged in
//     memory and on disk; a failing Stager aborts the batch
//     (TestJournalFailure, §16.16; TestStagersJoinBatch). A send refused
//     at any step finishes each Finisher stager once, uncommitted, so a
//     staged Admission is released (executor.go refuse;
//     finish_test.go TestRefusalFinishesStagers).
//   - A budget lookup error or corrupt record is a denial
//     (TestBudgetLookupDenies).
//   - After a restart Spent(bk) is the stored charge record; records only
//     rise (TestRestartSpentFromRecord; audit "fell or repeated" check).
//   - Epoch rotation and a higher grant restore headroom; frames then
//     carry the grant's token hash (TestEpochRotationAndGrantResume,
//     §16.18).
//   - Per-device budgets (authority scope, topic publish and forward) use
//     separate keys, carry no receipt and stop at their limits
//     (TestAuthorityScopeAndTopics).
//   - Receive: every bad receipt kind is dropped, counted by outcome and
//     answered only by a reset (TestBadReceiptsDroppedAndCounted, §16.20;
//     TestReceiveCapability); the remote peer never sees error text
//     (TestPeerSeesOnlyReset, §16.28, over internal/simnet); epoch
//     windows follow EpochGrace and MaxClockSkew (TestReceiptEpochWindow,
//     receive half of §16.27); accepted nonces persist and pending ones
//     block duplicates (TestAdmissionPersistsAndReleases).
//   - Two partitioned devices at full rate: the receiver accepts ≤ Limit,
//     no nonce twice, no genuine frame as replay, with agreeing tables and
//     a mid-epoch raise or with disagreeing tables (TestPartitionedDevices,
//     §16.19).
//   - Decoders never panic and reject forgeries (FuzzParseKeys,
//     FuzzDecodeRecords, FuzzAdmit).
//   - Prepay commits before any write and writes at most n frames; an
//     Override's cost and payload hash bind the receipt and the receiver
//     admits it only with the same Override; answers skip CapGuard only
//     (TestPrepayOverride).
//   - Sends write no journal facts: FlowCharge registers are signed lazily
//     at sync from ChargeRecords (auditRecords in the audit test, §16.44
//     sender half).
//
// # Concurrency
//
// Sender, Executor and Receiver are safe for concurrent use and start no
// goroutines. Executor holds one mutex per budget key (Executor.mu only
// guards the key table); the Receiver one per (ctx, src, epoch) window.
// Stream handlers run on the transport's goroutines.
//
// Benchmarks (bench_test.go): BenchmarkCharge (SPEC §16.26, bare synced
// batch beside guarded charges, 1 and 8 senders, p50/p99) and
// BenchmarkSend (raw versus guarded stream write, CPU µs per send).
package flow
