// Package tree is the authority commitment ("ratchet") tree of SPEC §4:
// its types and canonical encodings, the op rules (Execute), the
// deterministic chain-walk reduction of an authority namespace's Genesis
// and Commit entries, and the authority consensus Scope (SPEC §5.1). It
// is pure: no I/O, no clock, no goroutines, no global randomness.
// Ceremonies (DKGStart, Invite/JoinRequest, re-proposal of superseded
// ops) live above it and use Plan, DKGSession and Result.Outcome.
//
// # Usage
//
//	r := tree.NewReducer(tree.Config{})              // one per node; caches valid()
//	res, err := r.Reduce(ns, entries)                // entries of one authority NS
//	sc := res.Scope()                                // consensus.Scope at the tip
//	res.Outcome(cid)                                 // Applied / Superseded (§5.10)
//
//	leaves, pol, _ := tree.Plan(res.State, op)       // ceremony: resulting members
//	sess := tree.DKGSession(auth, leaves, pol.M, res.State.KeyEpoch+1, nonce)
//
// journal.NewRegistry(tree.JournalReducer{R: r}, …) plugs the reducer into
// the journal's Registry (its Result is a journal.State).
//
// # Encodings
//
// Canonical() follows SPEC §0 in declared field order; Leaf, Policy and
// KeyRotation encode exactly as the journal's Genesis body
// (codec_test.go TestKeyRotationMatchesJournal). TreeOp.Unsigned, hashed
// into OpHash, omits each DKGRound1's trailing 64-byte Sig and the whole
// Confirms list. Tuples inside H are flattened, one part per element:
// Root's VerShares hash takes (u16 frostId, verShare) as two parts, and
// PrestateHash takes (u32 1, AuthorityId, Root, zero ctx commitment).
// Genesis has Epoch 0 and NextLeafId 1.
//
// # Scope
//
// Belongs here: Policy, Leaf, TreeState, TreeOp, KeyRotation (types.go,
// encode.go, decode.go), their commit size limits (size.go), op rules (execute.go, rotation.go), Genesis
// validation (genesis.go), the chain walk and its caches (reduce.go,
// result.go), the authority Scope (scope.go). Not here: commit
// verification itself (consensus.VerifyCommit, SPEC §5.8, called with a
// Scope built from the parent state), DKG cryptography
// (consensus/frostx/dkg.ValidateRotation), the FlowCharge and DevicePeer
// register rules (journal.ReduceAuthorityRegisters, which Reduce calls
// with the tip's leaves and MaxDevices slots; Result exposes them as a
// journal.AuthorityView), ceremonies and the tree service. Fixtures with
// real DKGs and sealed AuthoritySecrets for other packages' tests live in
// journal/tree/treetest.
//
// # Concurrency
//
// TreeState values produced here are never mutated after return and may
// be shared; Scope is immutable. A Reducer serialises Reduce calls with
// one mutex around its caches.
//
// # Invariants
//
//   - Decoders accept exactly one canonical form and never panic; every
//     error wraps ErrMalformed (decode.go; codec_test.go TestCodecRoundTrip,
//     TestDecodeRejects; FuzzDecodeTreeOp, FuzzDecodeKeyRotation,
//     FuzzDecodeTreeState, FuzzScopeExecute).
//   - OpHash excludes signatures and covers every other op field; Root
//     covers every field execution or validation reads (encode.go;
//     TestOpHashExcludesSignatures, TestRootCoversFields).
//   - Execute enforces the §4 op rules with typed errors wrapping
//     ErrInvalidOp and consensus.ErrInvalidOp: parent, shape, AddLeaf,
//     RemoveLeaf, policy 2 ≤ M ≤ N or M = N = 1, ≤ MaxDevices, NewKey
//     (KeyEpoch+1, FrostIDs 1..N by LeafId, SealedSecrets per leaf, DKG data
//     via dkg.ValidateRotation, single-device form); Epoch = ParentEpoch+1
//     (execute.go, rotation.go; execute_test.go TestOpRules, TestMaxDevices,
//     TestPlanRenumbers).
//   - Only a valid single-device Genesis founds the tree, the smallest
//     H(body) among valid ones, its Sig checked with frostx.Verify
//     (genesis.go; TestGenesisRules).
//   - Reduction is a pure function of the entry set: the chain walk applies,
//     at each (Epoch, Root), the valid child with the largest OpHash, then
//     smaller cid, then smaller H(body); off-chain commits are Superseded
//     (reduce.go; reduce_test.go TestConcurrentRemoveAndAdd §16.9,
//     TestChainOrder §16.10, TestSameOpTwoCIDs §16.36).
//   - valid(c, S) takes keys only from S: consensus.VerifyCommit with the
//     Scope at S (frostx.Verify of T, signer set via quorum, cid/OpHash/rid
//     recomputed by replaying the op); a removed device's old share signs
//     nothing valid, an altered-signature copy is inert (TestRemovedShareUseless
//     §16.11, TestAlteredSignatureInert §16.32). Because rid binds the
//     post-state Root, all valid commits of one (cid, prestate) share one
//     rid, so the §3 "conflicted" case cannot arise for tree commits.
//   - Result.Registers hold the DevicePeer and FlowCharge registers of
//     the tip's leaves signed by their own DeviceKey (a FlowCharge only
//     for the signer's own slot: its index among the tip's device leaves
//     by LeafId, SPEC §6.2); a non-leaf's, a mis-signed one, a charge for
//     another device's slot and a removed device's are inert; the whole
//     Result is byte-identical over shuffles and duplicates
//     (registers_test.go TestRegistersAtLeaves,
//     TestRegistersOfRemovedLeafInert, TestRegistersOrderIndependent,
//     TestFlowChargeForeignSlotInert).
//   - valid(c, S) is evaluated once per (EntryID, parent Root) per Reducer;
//     a re-reduction after one new commit evaluates once and is
//     byte-identical to a from-scratch reduction (reduce.go validAt;
//     TestReReduceEvaluatesOnce §16.42, BenchmarkReduce10kIncremental).
//   - CommitFactSize is the exact length of the canonical Commit fact of
//     an op whose NewKey has N members at threshold t (N DKGRound1 of t
//     commitments, N Confirms, N sealed secrets), CommitFrameSize that of
//     its consensus Commit frame; Fits/MaxMembers/CheckCommitSize hold them
//     to journal.MaxFactSize and protocols.MaxConsensusFrame so ceremonies
//     refuse an oversized change (ErrOpTooLarge) before its DKG (size.go;
//     size_test.go TestCommitFactSizeMatchesEncoding against real treetest
//     commits, TestCommitFactSizeLarge up to N = 64, TestMaxMembersTable).
package tree
