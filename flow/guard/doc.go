// Package guard is the pure decision pipeline of the guarded send (SPEC
// §6.4 steps 0–3): snapshot checks and cost ≤ Share, CapGuard, FlowGuard,
// and the unsigned receipt. It returns either a *DenialError (stage +
// cause wrapping flow.ErrAuthorizationDenied or flow.ErrInsufficientBudget)
// or a Charge for the executor. No goroutines, no clock, no I/O, no
// global rand.
//
// # Usage
//
// The executor (package flow) builds a Snapshot (Need from Need(msg),
// Cost from budget.Cost, Frontier from cap.SelectGrant, Slots from
// budget.Freeze/Single), may run Precheck before taking the lock of
// Key(s), then Decide (or ChargeFrom with a Spent it read). On a Charge it
// signs Charge.Receipt, commits (Key, Spent) with the receipt-log entry
// in one synced batch (step 4; failure ⇒ flow.ErrJournalCommitFailed),
// sets Spent, unlocks and writes (steps 5–6). A denial writes and sends
// nothing; Stage.String() is the `stage` label of
// aura_flow_guard_decisions_total.
//
// # Invariants
//
//   - Steps run in SPEC order: cost > Share denies before CapGuard, which
//     denies before FlowGuard (guard.go; TestDecideTable "step 0 before
//     step 1", "step 1 before step 2").
//   - Every denial wraps exactly one flow sentinel; budget refusals carry
//     *flow.BudgetError{Need, Have}; a Spent lookup error or missing slot
//     table denies (TestDecideTable).
//   - An approved Charge has Spent' = Spent + Cost ≤ Share and Nonce =
//     ReceiptNonce(bk, Spent'); Decide changes nothing (TestDecideTable,
//     TestChargeLoopExactHeadroom).
//   - Decide → commit loops spend the share exactly, Spent rises strictly
//     and nonces never repeat (TestChargeLoopExactHeadroom).
//   - The receipt a Charge carries, once signed, passes the receiver's
//     check (TestReceiptRoundTrip).
//   - Two partitioned devices sending at full rate, with agreeing tables
//     and a mid-epoch raise or with disagreeing tables (both slot 0): the
//     receiver accepts ≤ Limit, no nonce twice, no genuine frame as replay
//     (SPEC §16.19 core; TestPartitionedDevicesReceiverBound, 100 seeds
//     with AURA_LONG=1).
//   - Every priced message kind maps to a known capability or to local
//     policy; envelopes need per body type (need.go; TestNeed).
package guard
