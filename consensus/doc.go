// Package consensus is the deterministic core of Aura's single-shot
// agreement (SPEC §5): one op bound to one prestate yields at most one
// Commit fact, through a 1-RTT (fast1) or 2-RTT (fast2) fast path with
// pipelined FROST nonce commitments, or a leaderless fallback of rounds
// with canonical signer sets. There is no log, leader or view.
//
// # Usage
//
// The core is a RawNode-style state machine: no goroutines, no clock, no
// I/O. Randomness comes from Config.Rand (cid nonces, Gen, fanout); FROST
// nonces come from consensus/frostx. One driver goroutine owns a Node:
//
//	nd, err := consensus.New(consensus.Config{Self: me, VoteKey: vk, Rand: crand.Reader,
//	        Scope: sc, Keys: consensus.Keys{Frost: committee, Signer: signer},
//	        Votes: loadedVoteLog, Decided: storedCommits})
//	nd.Start(now)                                   // CommitmentAnnounce to every member
//	cid, err := nd.Propose(op, now)                 // ErrInvalidOp: nothing sent
//	err = nd.Step(from, msg, now)                   // msg from consensus.Unmarshal
//	nd.Tick(now)                                    // every ~50 ms
//	age := nd.OldestUndecided(now)                  // oldest undecided instance, 0 if none
//	nd.SetScope(newScope, keys, now)                // after a commit, sync or key change
//	for nd.HasReady() {
//	        rd := nd.Ready()
//	        // 1. one synced journal batch: rd.VoteWrites (/aura/c/vote/<cid>/<pre>),
//	        //    rd.Commits (Commit facts), rd.Evidence (Equivocation facts);
//	        // 2. only after it returned: send rd.Messages in order (Envelope.Topic:
//	        //    seal in a FallbackEnvelope and publish; else a guarded direct send);
//	        // 3. report rd.Outcomes (Committed, TimedOut, Conflicted, Applied, Superseded).
//	}
//
// The vote write precedes every share: a SignShare or AggregateShare
// carrying a share is only ever in the same or a later Ready than the
// VoteWrite of its rid, so the durability-before-send rule of Ready covers
// SPEC §5.5 step 3. If the batch fails the driver must not send and must
// rebuild the Node from durable state (nonces die with it; §5.4).
//
// # Scope
//
// Belongs: the fast path (§5.5), fallback rounds (§5.6), equivocation
// evidence (§5.7), commit verification for every replica (§5.8,
// VerifyCommit), the §5.10 states and errors, the commitment pools of §5.4
// and the wire mapping to protocols/consensuspb (wire.go, wire_decode.go,
// codec.go). Does not belong: FROST arithmetic (consensus/frostx, the only
// caller of bytemare/frost), counting rules (consensus/quorum), sealing the
// fallback envelope and the topic (the driver: it holds K_fb), guarded
// sends, capabilities and budgets (flow/), the chain walk that turns
// Committed into Applied or Superseded (tree / context services, reported
// through Node.Resolve), persistence.
//
// # Files
//
// node.go (inputs, Ready, timers), initiator.go (Propose, packages, fast2),
// witness.go (Execute, vote rule, signing), bucket.go (packages, share
// buckets, aggregation), fallback.go (rounds, S_r, AggregateShare, round
// jumps), evidence.go (votes, proofs), commit.go (VerifyCommit, decide),
// pool.go (commitment pools), canonical.go (hashes and canonical bytes).
//
// # Invariants
//
//   - One commit per instance on all honest replicas, replicas agree, and
//     no stored commit without t valid shares under the committee key
//     (InvariantUniqueCommitPerInstance, InvariantCommitRequiresThreshold):
//     TestByzantineSearch (n=7, t=4, f=3 Byzantine: vote anything,
//     withhold, equivocate, delay, replay; drops, delays, healing
//     partitions; 300 seeds, 32 under -race because pure-Go crypto and
//     gossip run ~30x slower there, 10^4 with AURA_LONG=1; replay one with
//     AURA_SEED=<seed>), plus every scenario test's checkSafety.
//   - The vote log is written before any share and refuses a second rid
//     for (cid, prestateHash), also after a restart; T comes only from the
//     own vote (witness.go castVote): TestRestartVoteLog (§16.7 a, b, d, e).
//   - A witness signs only with an unused commitment it issued For this
//     initiator (fast path) or this (CID, r) (fallback); others get
//     NonceCommit: TestRestartVoteLog (b), TestBogusCommitmentsIgnored.
//   - Received commitments with a bad signature, a wrong signer id, wrong
//     epoch or For never enter a package: TestBogusCommitmentsIgnored.
//   - A divergent prestate gives StateMismatch, never a vote or share; the
//     witness votes once SetScope brings the prestate:
//     TestStateMismatchNeverShares (§16.6).
//   - Equivocators are excluded from every bucket once the proof is known;
//     proofs verify on their own: TestEquivocationEvidence (§16.3),
//     TestProofVerifiesAlone.
//   - VerifyCommit uses only the Scope's committee (never the fact) and
//     frostx.Verify; forged commits fail with typed errors unwrapping to
//     ErrInvalidCommit: TestForgedCommitsRejected (§16.8).
//   - Fast paths: TestFast1WarmPools (§16.1, commit within one message
//     round trip, Path=fast1), TestFast2ColdThenFast1 (§16.2).
//   - Fallback: TestInitiatorCrashFallback (§16.4, ≤ 3 rounds after
//     T_fallback), TestGetExecuteFallback (§16.30); rounds advance only on
//     the own timer or n−t+1 distinct signed AggregateShares:
//     TestRoundJumpNeedsNMinusTPlus1 (§16.37). Even rounds enumerate the
//     C(n,t) subsets lexicographically: TestKSubset; C(n,t) saturates
//     instead of wrapping for committees up to 256 members (fallback.go
//     binom): TestBinomLargeCommittees.
//   - Round timers are gated [deviation, liveness only]: round r's timer R
//     starts once t members (self included) signed round ≥ r, so honest
//     witnesses that entered fallback at different times share rounds;
//     without it, f = n−t leaves honest groups on offset schedules that the
//     n−t+1 jump rule cannot merge (fallback.go roundSupported):
//     TestStaggeredFallbackConverges (fails with an ungated timer); the
//     Byzantine search logs its commit ratio.
//   - Bad network input is a typed error (ErrInvalidMessage, ErrMalformed,
//     ErrInvalidShare) and never a panic: FuzzUnmarshal, FuzzStep,
//     FuzzDecodeCommitFact, TestWireRejectsBadSizes; Commit fact bodies
//     are accepted only in canonical form (codec.go, minimal uvarints):
//     TestDecodeCommitFactRejectsNonMinimal; stubs for unknown cids (at
//     most maxStubs, from Commits or AggregateShares before the Execute)
//     never block a checked Execute (witness.go onExecute):
//     TestBogusCommitsDoNotBlockExecute; the harness routes
//     every delivery through Marshal/Unmarshal (TestWireRoundTrip).
//   - Nonces never reach durable output: TestNoNonceInDurableOutput.
//   - InstanceTimeout at the initiator reports ErrConsensusTimeout:
//     TestInstanceTimeout.
//   - OldestUndecided (aura_consensus_oldest_instance_age_seconds) is
//     now − creation of the oldest held instance without a Commit, a pure
//     function of the caller's now (no clock), 0 once every held instance
//     is decided: TestOldestUndecided (initiator crash with t−1 witnesses
//     reachable: the age grows with now; healed: fallback commit ⇒ 0).
//
// Round jumps move to the highest round r' that n−t+1 distinct members
// signed AggregateShares for (round ≥ r'), at least one of them honest.
//
// t = 1 committees (a single Ed25519 signer) are refused with
// ErrInsufficientWitnesses: they need no agreement and frostx has no
// single-signer path; VerifyCommit would accept their commits
// (TestNewRefusesUnusableCommittee).
package consensus
