// Package treesvc is the tree service: one per device, it runs the
// authority ceremonies of SPEC §4.1 end to end — Genesis, join, and every
// tree op — over the guarded sender, and keeps each authority namespace
// this device belongs to reduced (journal/tree), its consensus driver
// (consensus/driver) on the reduced state and its AuthoritySecrets open.
//
// # Usage
//
//	svc, _ := treesvc.New(treesvc.Config{Device: dev, Self: host.ID(), Sender: snd,
//		Journal: j, Datastore: d, Peers: devicePeers, Syncer: syncAdapter})
//	svc.Start(ctx)                         // authorities of this device from the journal
//	aid, _ := svc.Create(ctx)              // single-device Genesis (§4.1 step 1)
//	rep, err := svc.Propose(ctx, aid, treesvc.Change{Kind: tree.AddLeaf, Add: &cand})
//	// the invite server replies rep.Sealed to the joiner, whose node runs:
//	rep, err := svc.Join(ctx, treesvc.Ticket{Authority: aid, InviterKey: k, Inviter: p}, request)
//	svc.Refresh(ctx, ns)                   // after sync stored facts of ns
//	v, _ := svc.View(aid)                  // `authority show`
//	svc.Close()
//
// Propose: DKGStart and the DKG among the resulting members
// (consensus/dkgsvc; skipped for {1,1} results and keyless RotateEpoch),
// AuthoritySecret_{k+1} drawn from Config.Rand and sealed per resulting
// leaf (internal/seal), consensus on the op in the *current* committee
// (driver, tree.NewScope) or, at M = 1, an Ed25519-signed CommitFact
// stored directly, then re-reduction. It returns ErrDeviceOffline (an
// *OfflineError naming the silent devices, also errors.Is
// dkg.ErrDKGTimeout) when a DKG member is silent past DKGTimeout; the
// caller re-proposes without it (RemoveLeaf of it, or without the
// joiner), SPEC §4.1 step 4 — or sets Config.OfflineRetries, and Propose
// waits 500 ms·2ⁿ⁻¹ (≤ 30 s) and repeats the ceremony.
//
// The service builds its own dkgsvc.Service (one DKG handler per Sender)
// when it first holds an authority; its frames charge the internal
// budget context of that first authority (dkgsvc.Config.BudgetCtx is per
// service) — a device in several authorities charges them all there.
//
// # Goroutines
//
// refresher: re-reduces authorities that a driver outcome marked dirty
// (a Commit stored by consensus) — SetScope/keys, Resolve. followStarts:
// reads authorised DKGStarts and starts one goroutine per DKG this device
// takes part in (dkgsvc Run owns its Participant). Each driver runs its
// own goroutines (consensus/driver doc.go). Close cancels the service
// context, closes the DKG service and the drivers and waits for all.
// State (the reduced Result, secrets, committed cids) is guarded by one
// mutex never held across I/O; refresh is serialised per authority by a
// second mutex that also owns the driver; Propose is serialised per
// authority (one local ceremony at a time). [Deviation from STYLE §3's
// single owner goroutine: ceremonies block for DKGTimeout and consensus,
// and must not stall refreshes of the same authority.]
//
// # Decisions
//
//   - Applied is decided by the chain walk over stored commits only: after
//     its commit applies locally, Propose waits Config.Settle (300 ms),
//     pulls the namespace from every other current member and re-reduces;
//     if a concurrent op at the same parent won (larger OpHash, SPEC §4) it
//     rebuilds the change on the new root (new DKG when the change needs a
//     key) and proposes again, at most MaxReproposals times, else
//     ErrSuperseded. A change that no longer applies on the new root is
//     ErrSuperseded. A competing commit that reaches this device only after
//     Settle is not re-proposed (the caller sees the Report of an op that
//     later reads Superseded on a re-reduction).
//   - A member follows a DKGStart only if it is listed with its DeviceKey
//     and DHKey, the proposer's key is a current leaf (or, while Join runs
//     and this device is not yet a leaf, the Ticket's InviterKey — a
//     non-member cannot sync, so a re-joining device with a stale journal
//     could not check the parent), (ParentEpoch, ParentRoot) is its current
//     state — after one catch-up Pull from the proposer if not — and
//     KeyEpoch = S.KeyEpoch+1. dkgsvc checks the start's signature under
//     a listed key before asking; the catch-up (catchup.go) runs only if
//     the proposer's key is a current leaf or ParentEpoch is ahead of
//     ours, at most one at a time and one per 2 s (catchUpInterval) per
//     authority — current leaves' starts and the others' gated apart, so
//     outsiders cannot starve a member's catch-up; a start that finds
//     its gate closed is judged on the state held, so a flood of bogus
//     starts holds no DKG handler goroutine and cannot trigger pulls at
//     will. [A start by a device
//     added on a chain we have not seen, at a parent not ahead of ours,
//     is refused without a sync: its DKG times out and the proposer
//     retries after anti-entropy spread the commit.]
//   - Every DKG this device finishes is also kept at ShareKey(ns, k)/<hex
//     GroupKey> (shares.go): concurrent ops at one parent run one DKG each
//     for the same key epoch and dkgsvc's ShareKey(ns, k) holds whichever
//     finished last; the driver's keys are the share of the *applied*
//     GroupKey (restored to ShareKey if needed), and they are reloaded
//     whenever the applied GroupKey changes, not only the key epoch.
//   - A driver runs iff this device is a leaf, M ≥ 2 and it holds a share
//     of the applied key; keys come from dkgsvc.LoadShare for the state's
//     KeyEpoch (no Signer is persisted). Without that share (a crash
//     between its DKG confirms and the share's write) the device follows
//     the state driverless and takes part in the next DKG.
//     Without a fallback topic the driver is kept and SetScope'd across
//     commits and key changes; with one it is rebuilt when the key epoch
//     changes (the fallback key is HKDF(AuthoritySecret_k)), which may cut
//     an unsent Commit: anti-entropy spreads it (SPEC §4.1 step 3d).
//   - Every AuthoritySecret this device can open (Genesis and each applied
//     NewKey sealed to its leaf, plus the inviter's reply while joining)
//     is kept by key epoch and handed to Syncer.SetSecrets, oldest first.
//   - Join needs Peers to resolve the other resulting members for the DKG
//     (the node learns them from DevicePeer facts or the invite). Every
//     lookup names its authority (Peers.PeerOf(aid, d)), so the node can
//     keep a device of another authority from redirecting it.
//   - Join is crash-safe (pending.go): before
//     the JoinRequest it stores a PendingJoin (Ticket, the invitation's
//     addresses, expiry and Code) at PendingJoinKey(aid) =
//     /aura/t/join/<hex AuthorityID>, adds the sealed reply the moment it
//     arrives (and the DKG's key epoch; the share itself is dkgsvc's), and
//     deletes it once the reduced state lists this device. Ticket.Code is
//     what the node needs to re-send the JoinRequest (node/authsvc: the
//     invitation code, Secret included — local data in the 0700 data
//     directory, never synced, deleted with the record). A failed request
//     is re-sent at once through the node's ResumeRequest
//     (SetResumeRequest, before Start) if the record has a Code: the
//     inviter answers the same device with its stored reply
//     (journal/tree/invite, idempotent join); resumeRefusals (3)
//     refusals in a row (errors wrapping ErrRejoinNeeded) drop it, ctx or
//     Close keep it; without a Code or ResumeRequest it is deleted. A
//     failure after the reply (ctx, Close, crash) keeps it. JoinWith
//     takes the reply's key epoch, so a repeated join whose DKG ran
//     before completes without waiting for a DKG. Start (after loading
//     the authorities) resumes every record in the background: trust the
//     inviter, re-send the request if the record lacks the reply (as
//     above; a refusal drops the record with ErrRejoinNeeded logged),
//     install the secret
//     (Syncer.SetSecrets before a Genesis is reduced), pull from the
//     inviter with the join backoff until listed, for at most
//     ResumeJoinTimeout (5 min) per Start; giving up logs a warning and
//     keeps the record for the next Start. A record is dropped at Start
//     when this device is already listed, when it holds the reply but the
//     invitation expired (ExpiryMs; a re-sent request is judged by the
//     inviter, which keeps a used invitation's result past expiry), or
//     when it holds no sealed reply and cannot re-send (no Code or no
//     ResumeRequest): sync Refs need the AuthoritySecret, so such a join
//     cannot catch up — ErrRejoinNeeded is logged and a member must mint
//     a new invitation. Join on an authority with a record
//     stops its resumption and replaces the record. PendingJoins lists
//     the records for the node (it makes each inviter dialable before
//     Start).
//
// # Invariants
//
//   - After every step of Create, AddLeaf ×3 (1→2 {2,2} on the single
//     path, then consensus), RemoveLeaf, ChangePolicy and RotateEpoch with
//     NewKey, every current member's reduced TreeState is byte-identical;
//     a joiner's Report.Sealed opens with its DH key to the secret it
//     holds; a removed device's old share signs nothing valid under the
//     new key: lifecycle_test.go TestCeremonyLifecycle (§16.11).
//   - A silent DKG member makes Propose return ErrDeviceOffline naming
//     exactly it after DKGTimeout (virtual); RemoveLeaf of it among the
//     survivors commits and the survivors agree: offline_test.go
//     TestOfflineMemberReproposed. With OfflineRetries the op waits and
//     commits once the member is back: TestOfflineRetryWaits.
//   - Two proposals at one root: the max-OpHash one applies everywhere,
//     the other proposer re-proposes once on the new root and both
//     succeed: concurrent_test.go TestConcurrentProposals (3 seeds); with
//     NewKey on both (two DKGs for one key epoch) likewise, every member
//     loads its share of each applied key and holds (and handed the
//     Syncer) the applied ops' AuthoritySecrets:
//     concurrent_key_test.go TestConcurrentKeyRotations (4 seeds).
//     Our op applied under another cid (committed twice, or stored
//     although the driver call failed) counts as applied, never as
//     superseded: ours_test.go TestOursAcrossCIDs.
//   - A change whose Commit fact could not fit (tree.CheckCommitSize) is
//     ErrBadChange wrapping tree.ErrOpTooLarge before any DKG:
//     size_test.go TestOversizedChangeRefused.
//   - The Syncer gets the secrets list again whenever it changes, also
//     when a key epoch's secret is replaced at equal count:
//     secrets_test.go TestExportReplacedSecret.
//   - A joiner trusts the InviterKey only for the authority it joins and
//     only while Join runs: trust_test.go TestJoinerTrustScoped.
//   - AddLeaf refuses (ErrBadChange, no DKG) a candidate DeviceKey that is
//     not an Ed25519 point or has small order, and a low-order DHKey:
//     candidate_test.go TestAddLeafRejectsWeakKeys.
//   - A restarted Service on the same stores resumes the same state and
//     secrets and takes part in the next consensus and DKG:
//     restart_test.go TestRestartResumes.
//   - A joiner closed after the inviter's reply but before it was listed
//     resumes on the same stores at the next Start, ends listed, in
//     agreement, holding the applied key epoch's secret, takes part in
//     the next NewKey ceremony and drops its record:
//     resume_test.go TestJoinResumesAfterRestart. A join cut before the
//     reply (the AddLeaf committed) keeps its record with the Code; the
//     next Start re-sends the request, gets the inviter's stored reply
//     (no second AddLeaf), ends listed and in agreement, drops the record
//     and takes part in the next {2,2} ceremony: TestJoinCrashBeforeReply.
//     If the inviter refuses, the record is dropped after resumeRefusals
//     refusals (at once without a ResumeRequest) and the device stays
//     outside: TestJoinCrashBeforeReplyRefused. A lost reply while the
//     Service runs is re-sent by Join itself: TestJoinLostReplyResent; a
//     second JoinWith answered with the stored reply completes without a
//     new DKG: TestJoinAgainAfterLostReply.
//     Stored records never panic the decoder and round-trip:
//     FuzzDecodePending.
//   - A device whose share of the applied key is lost still Starts,
//     follows the state, gets a share from the next NewKey DKG and then
//     signs: lostshare_test.go TestRestartWithoutShare.
//   - Invalid changes are ErrBadChange with nothing committed; unknown
//     authorities, removed devices, refused DKGStarts (outsider, stale
//     parent, wrong key epoch) and calls after Close get their typed
//     errors: errors_test.go TestTypedErrors, TestPolicyFor,
//     TestConfigValidate.
//   - A flood of DKGStarts signed by an outsider's own listed key: at a
//     parent not ahead of ours none triggers a pull; claiming a parent
//     ahead, at most one pull runs at a time and one per catchUpInterval,
//     and every other Authorise returns at once; a current leaf's start
//     still gets its own catch-up meanwhile:
//     catchup_test.go TestBogusStartFloodBounded.
//
// Benchmark: bench_test.go TestTreeUpdateLatency (25 ms links, virtual
// time; DKG and consensus time per AddLeaf/RemoveLeaf at N = 3..4 against
// the 2×RTT floor).
//
// # Scope
//
// Belongs: ceremony sequencing, Authorise policy for DKGStarts, sealing
// and opening AuthoritySecrets, driver lifecycle per authority,
// re-proposal of superseded ops. Does not belong: invitation codes and
// /aura/invite/1.0.0 (journal/tree/invite), anti-entropy (journal/sync,
// through Syncer), DevicePeer maps (node, through Peers), tree rules and
// reduction (journal/tree), DKG and consensus protocols.
package treesvc
