// Package jstate is the journal-backed flow.State (SPEC §6.1–§6.5,
// §7.1 step 4′): the guard chain's view of a context — Genesis
// DefaultCaps/DefaultLimit and flow-epoch schedule, CapGrant tokens,
// member keys, the effective flow epoch (max valid FlowEpochAdvance) and
// peer.ID ↔ AuthorityId through DevicePeer facts — reduced from the
// node's journal, plus ChargeSigner, which replicates split budgets as
// lazily signed FlowCharge registers (§6.4 "Lazy register signature").
//
// # Usage
//
// node/ is the only caller that holds the Transport, the datastore and
// the journal together:
//
//	j, _ := journal.Open(ctx, d, journal.Config{})
//	st, _ := jstate.New(j, &jstate.Keyring{...}, nil) // nil keyring: no authority
//	snd, _ := flow.New(host, d, st, flow.Config{...})
//	cs, _ := jstate.NewChargeSigner(j, snd.Executor(), keyring, syncInterval, nil)
//	dst, _ := st.AuthorityOf(ctxID, remotePeer)       // DevicePeer facts only
//	// authority sync, when it snapshots E of namespace ns:
//	cs.AtSnapshot(ctx, ns, now)
//	// a member's tick: write the advance its clock makes due (SPEC §6.5)
//	if f, ok, _ := st.DueAdvance(ctxID, now); ok { j.Add(ctx, f.NS, now, f.Canonical()) }
//
// A send that also writes facts stages them in its charge batch with
// journal.(*Journal).Stage (Msg.Stage), so they commit iff the charge does.
//
// # Scope
//
// Belongs: reducing journal state into flow.ContextView, resolving peers,
// signing FlowCharge registers from charge records. Does not belong: the
// guard decisions (flow and its leaves), the reducers themselves
// (journal), choosing when to snapshot (journal/sync calls AtSnapshot).
// Multi-device slot tables: with NewWith(…, Options{Authorities: reg})
// (reg reducing authority namespaces with journal/tree's JournalReducer)
// the slot table is the LeafIds of the reduced authority's devices
// (journal.AuthorityView) and this device's slot its own leaf; without
// it, or before the authority's Genesis is reduced, a Keyring names one
// leaf and the slot table is {Keyring.Leaf}.
//
// # Invariants
//
//   - A context is re-reduced only after its namespace's journal.Version
//     changed, never per send or per lookup (state.go reduce;
//     TestReduceOncePerChange).
//   - Limits, caps and epochs come from the journal: DefaultLimit bounds
//     a peer pair, a CapGrant with a higher FlowLimit restores headroom,
//     a FlowEpochAdvance starts new budget keys; the receiver admits every
//     frame from its own journal's view (TestGuardedSendJournalLimits,
//     SPEC §16.18 over internal/simnet).
//   - Missing state denies: no keyring, unjoined context, no valid
//     Genesis, a Genesis naming another member key for this authority, a
//     non-member peer — all wrap flow.ErrUnknownContext
//     (TestContextViewFromJournal, TestWrongMemberKeyDenies).
//   - peer.ID resolves to an authority only through exactly one member's
//     DevicePeer fact (TestAuthorityOfDevicePeer).
//   - A clock past the start of a later nominal epoch yields the valid
//     FlowEpochAdvance for it, and none once it is stored (epoch.go
//     DueAdvance; TestDueAdvance, SPEC §6.5).
//   - Views handed out share no mutable memory with the cache
//     (TestContextViewFromJournal).
//   - Sends never sign FlowCharge registers; AtSnapshot signs a split
//     budget key only when its record is ahead of the newest signed entry
//     and at most once per SyncInterval; per-device budgets stay local
//     records; a sibling's reduced FlowSpent equals the record as of the
//     snapshot after one sync (charges.go; TestLazyFlowChargeSignatures,
//     SPEC §16.44, 10⁴ sends). Its per-key memory keeps only keys signed
//     within the last SyncInterval (prune; same test).
//   - Slot tables (SPEC §6.2): with Options.Authorities the table is the
//     reduced tree's leaves, shrinks after RemoveLeaf, denies a removed
//     device (ErrNotMember) and is re-reduced only when the authority
//     namespace's version changes (slots_test.go TestSlotTableFromTree).
//   - Facts staged into a send commit iff its charge commits
//     (TestSendStagesJournalFacts).
//
// # Concurrency
//
// State and ChargeSigner are safe for concurrent use and start no
// goroutines. State's mutex guards its reduction cache (a lookup that
// finds a stale entry re-reduces while holding it, so concurrent sends
// cause one reduction per change); ChargeSigner serialises AtSnapshot.
package jstate
