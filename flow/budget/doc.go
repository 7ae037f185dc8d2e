// Package budget is the deterministic arithmetic of flow budgets (SPEC
// §6.2, §6.5, §10): budget keys, limits, slot tables, the charge
// decision, the cost table and flow-epoch schedules. It is a leaf: no
// goroutines, no clock (epochs and now are arguments), no I/O, no global
// rand, no metrics (the flow executor records from the returned values).
//
// # Usage
//
// The executor (package flow) freezes a SlotTable on its first charge in
// an epoch (Freeze for a context's split budget, Single for per-device
// budgets), prices the frame (Cost), and — under the budget key's lock —
// decides with Ledger.Charge (or flow/guard.Decide, which calls Decide),
// commits the charge record to the journal, then Ledger.Commit. Rollover
// drops old epochs' records.
//
// # Scope
//
// Belongs: arithmetic and in-memory Spent. Does not belong: persistence
// of charge records, FlowCharge facts, locking, capability checks
// (flow/cap), receipts (flow/receipt).
//
// # Invariants
//
//   - Charge iff Spent+cost ≤ Share, overflow-checked; a refusal is a
//     *flow.BudgetError{Need, Have = headroom} (ledger.go Decide;
//     TestExactCharge, TestDecideOverflow).
//   - exact_charge: charging exactly the headroom leaves Spent == Share
//     (TestExactCharge).
//   - monotonic_decrease and InvariantFlowBudgetNonNegative: headroom never
//     rises under charges and Spent ≤ Share (TestChargeProperties; 10⁴
//     seeds with AURA_LONG=1).
//   - InvariantSequenceMonotonic: a charge record only rises
//     (Ledger.Commit; TestLedgerCommitMonotonic).
//   - Shares partition Limit: ⌊Limit/n⌋ each, remainder to slot 0; with
//     Limit ≥ MinLimit and n ≤ MaxDevices every share ≥ MaxFrameCost (L5)
//     (slots.go; TestSharesPartitionLimit, TestMinLimit64Slots).
//   - A table changes only when Limit rises (SlotTable.WithLimit;
//     TestWithLimitOnlyRises).
//   - Devices with frozen disjoint slots cannot jointly exceed Limit, also
//     across a mid-epoch raise; disagreeing tables overspend by ≤ one share
//     (TestPartitionedDevicesBounded).
//   - Every frame costs 1..MaxFrameCost; size-priced frames ≤ 65 KiB;
//     credit grants 1+⌈42·g/1024⌉ (cost.go; TestCostTable, TestSizeCost,
//     TestCreditCost).
//   - Limits below MinLimit are invalid; MaxLimit only narrows (params.go;
//     TestLimits).
//   - Topic budget context = Trunc16(H("aura/topic-ctx/v1", topic)); epoch
//     schedules saturate instead of overflowing (key.go; TestTopicCtx,
//     TestSchedule).
package budget
