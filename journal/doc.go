// Package journal is the Aura journal core (SPEC §3): facts and entries,
// stateless ingress, durable storage with quarantine and a deferred
// queue, the join-semilattice merge, and pure reducers for single-device
// authorities (§4.1 item 1) and static contexts (§7.1 step 4′). It does
// no networking; journal/sync moves entries between members.
//
// # Usage
//
//	d, _ := journal.OpenPebble(dir)                 // synced pebble
//	j, _ := journal.Open(ctx, d, journal.Config{})  // defaults: SPEC §10
//	j.Join(ns)                                      // membership (§16.13)
//	res, _ := j.Add(ctx, ns, now, raw...)           // ingress + one batch
//	j.Tick(ctx, now)                                // promote due deferred facts
//	set, _ := j.Store().Set(ctx, ns)                // stored entries
//	st, _ := journal.DefaultRegistry().ReduceSet(set)
//
// A guarded send that writes facts stages them in its charge batch:
// Msg.Stage = []flow.Stager{j.Stage(ns, entries...)}. Version(ns) is a
// change counter for caches of reductions (flow/jstate).
//
// Sync uses Checker.Ingress for received bytes, Store.EntryIDs for its
// set snapshot, Store.Get to serve entries, and Journal.Put (one batch
// per Facts frame). journal/journaltest builds static-context fixtures.
//
// # Scope
//
// Belongs here: fact and body codecs (fact.go, bodies.go, genesis.go),
// signatures (sign.go), ingress (ingress.go), storage (store.go,
// deferred.go, keys.go), merge (merge.go), reducers (reduce.go,
// context_state.go, authority_state.go, authority_registers.go). Not
// here: the ratchet tree and commit chain walk (journal/tree, whose Result
// and the single-device AuthorityState both implement AuthorityView; the
// register rules, ReduceAuthorityRegisters, are shared),
// consensus verification of Commit/Equivocation (their bodies are opaque
// here, only their identity columns are read), Descriptor payloads (§8),
// anti-entropy (journal/sync).
//
// # Concurrency
//
// Journal and Store are safe for concurrent use. The Store is the single
// owner of every write: one mutex serialises Put, Defer, Promote and the
// register read-modify-write (SPEC §3 "no transactions"), and only a
// caller whose Put returned nil may act on what it wrote. Set and the
// reducers are not synchronised and do no I/O, read no clock and start
// no goroutines.
//
// # Invariants
//
//   - EntryID = H("aura/entry/v1", FactID, H("aura/body/v1", canonical
//     fact)) with FactID from the per-type identity column; unknown types
//     and schemas use the whole body (fact.go; fact_test.go
//     TestEntryIDDerivation, TestIdentityColumns,
//     TestUnknownTypeIdentityIsBody).
//   - Ingress is stateless: size, strict decoding (one canonical form),
//     well-formedness, self-contained signatures; bad input is a typed
//     error, never a panic (ingress.go; TestIngressRejects,
//     TestContextGenesisWellFormed, TestGroupVerifierPlugs, FuzzIngress,
//     FuzzDecodeFact, FuzzBody).
//   - Merge is a join semilattice: commutative, associative, idempotent,
//     inflationary, least upper bound of Leq (merge.go;
//     merge_test.go TestMergeSemilattice, 10⁴ cases with AURA_LONG=1);
//     cross-namespace merge fails (TestMergeNamespaceMismatch).
//   - An acknowledged entry (Put returned nil) survives a crash (store.go
//     one Batch per write on synced pebble; crash_test.go
//     TestCrashAcknowledgedDurable).
//   - Every read recomputes the EntryID; a mismatch is quarantined in one
//     batch, reported (slog, CorruptError, EntriesQuarantined) and the
//     read continues (store.go; TestCorruptQuarantined).
//   - Only the join of a register FactID is stored, in any arrival order
//     (store.go stageRegister; TestStoreRegisterJoin).
//   - A FactStage (Journal.Stage) writes into a caller's batch — the
//     guard chain's charge batch — under the Store's write lock until
//     Finish: its entries are acknowledged iff that batch committed, and
//     Version(ns) rises only for committed new entries (stage.go;
//     stage_test.go TestFactStageJoinsCallerBatch; flow/jstate
//     TestSendStagesJournalFacts).
//   - Facts of non-member namespaces are refused with nothing written
//     (journal.go; TestNonMemberRefused); a time-gated fact of another
//     namespace is refused, never deferred
//     (TestDeferredOtherNamespaceRefused), and Tick promotes only member
//     namespaces (TestTickSkipsLeftNamespace).
//   - Deferred facts are durable, neither acknowledged nor in EntryIDs,
//     and promoted once now ≥ due − MaxClockSkew (deferred.go;
//     TestDeferredEpochAdvance, TestDeferredLimits).
//   - Reduction is a pure function of the entry set: byte-identical
//     Canonical() over orderings, duplicates and arrival times
//     (reduce.go; reduce_test.go TestReduceOrderIndependent,
//     TestReductionArrivalTimeIndependent); facts not signed by their
//     Author's key in reduced state are inert (TestContextReduction,
//     TestAuthorityReduction; for tree-backed authorities, whose register
//     set is the current leaves, journal/tree registers_test.go).
//   - Reports never carry raw namespace ids (keys.go redactKey;
//     TestCorruptQuarantined).
package journal
