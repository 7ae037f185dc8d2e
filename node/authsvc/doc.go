// Package authsvc is the daemon's authority service: for one device it
// composes the tree ceremony service (journal/tree/treesvc, with its own
// dkgsvc and consensus drivers), device invitations (journal/tree/invite:
// the persisted one-use registry and the /aura/invite/1.0.0 service), the
// anti-entropy of authority namespaces (journal/sync), this device's
// DevicePeer facts and the DeviceId → peer.ID book, over the node's
// guarded Sender, journal and datastore; and it serves the authority and
// device methods of the control API (control/methods.go).
//
// # Usage
//
// cmd/aura-p2p (run) and the devnet wire it between the node's sync
// service and the control service:
//
//	auth := authsvc.New(authsvc.Config{})
//	cfg.Services = append(cfg.Services, auth.ServiceFunc(),
//		control.NewService(control.Config{DataDir: dir}, auth.Mount))
//	// in-process (devnet, tests): auth.Service().Create(ctx), .Invite, .Join, .Remove, .Policy, .Rotate, .Show
//
// # Wiring
//
//   - Device keys: node.Env.Device (DIR/device.key, node.LoadOrCreateDevice).
//   - Peers (treesvc.Peers, peers.go): every lookup names its authority
//     A and reads only A's data: this device; else the device's own
//     DevicePeer register in A's namespace (only a fact whose SignerKey
//     hashes to its Author counts; the largest Seq wins; its addresses go
//     to the peerstore through node.HostInfo.AddAddrs); else a mapping
//     learned for a join of A (a joiner's verified JoinRequest on the
//     inviter, the invitation's inviter on the joiner); else a hint about
//     A.
//   - DevicePeer facts (SPEC §3): written at Start into every authority
//     this device belongs to, after Create and Join, and whenever the
//     host's addresses change (checked every Config.PeerRefresh); Seq is
//     max(Unix ms, this device's largest Seq in the namespace + 1), writes
//     serialised, so a restart's fact wins even if the clock stepped back.
//   - Sync (sync.go): the treesvc.Syncer. SetSecrets installs
//     jsync.AuthorityKeys (S_k per AuthoritySecret_k held, Author =
//     DeviceId, key = DeviceKey); Pull is jsync.Service.SyncNow; a joiner
//     trusts its inviter with jsync.Service.Trust (also treesvc.Truster). Nodes without a
//     jstate Keyring (every `aura-p2p run` node and the devnet) run no
//     node sync service, so this package starts one journal/sync Service
//     over the node's Sender and journal, reducing with the tree reducer
//     (Registry) and calling treesvc.Refresh (off the sync goroutines)
//     when a session stored facts. A node that does run its sync service
//     hands it over as node.Env.Sync and the authority service joins its
//     namespaces there (that node's config must then set
//     Sync.Service.Registry = Registry() and OnStored = Authority.OnStored).
//   - Invitations: device.invite mints with the host's addresses (≤ 8 of
//     ≤ 256 B) and stores the invite in the registry (node datastore,
//     /aura/inv/...); device.join parses the code, adds the inviter's
//     addresses to the peerstore, trusts the inviter for sync, runs
//     treesvc.JoinWith with invite.Request as the request, and installs the
//     new key epoch's sync secret as soon as the sealed secret arrives (so
//     the first pull does not wait for the tree service to reduce a
//     Genesis). The inviter's invite.Service OnJoin is treesvc.Propose
//     (AddLeaf) for the verified candidate. The Ticket carries the
//     invitation's addresses and expiry into treesvc's pending-join record
//     (/aura/t/join/<hex aid>, treesvc pending.go); at Start, before the
//     tree service resumes those records, each inviter's addresses go to
//     the peerstore and its DeviceId → peer to the book, and once a
//     resumed join is listed its DevicePeer fact is written (polled every
//     250 ms for at most treesvc.ResumeJoinTimeout; resume.go). The
//     Ticket's Code is the invitation code (Secret included; local data in
//     the 0700 data directory): a join cut before the inviter's reply is
//     re-sent from it, at once while device.join runs and at the next
//     Start otherwise, through the ResumeRequest installed before the
//     tree service's Start (resume.go resumeRequest: invite.Request with
//     the stored invite); the inviter answers this same device with its
//     stored JoinResult (journal/tree/invite, idempotent join), so
//     device.join with the same code on the same device is idempotent. An
//     inviter's refusal (the code used by another device, expired,
//     unknown) wraps treesvc.ErrRejoinNeeded's advice to ask a member for
//     a new invitation, and a pending record is then dropped.
//   - Hints (hints.go, /aura/devpeers/1.0.0) [GO-DECISION]: before an
//     AddLeaf's DKG the inviter sends every other current device and the
//     joiner the DeviceId → peer (+ addresses) of every device of the
//     resulting committee, and waits for each ack (≤ 5 s): the joiner has
//     no DevicePeer fact yet and has synced nothing, so otherwise neither
//     side could resolve the other's peer for the DKG. A receiver accepts
//     hints only from its pending join's inviter, or from the peer of a
//     current device (per its DevicePeer facts) of an authority it belongs
//     to (a pending join's inviter only once the sync service trusts it);
//     hints rank below facts and learned mappings. An accepted frame
//     replaces its authority's hints (≤ 64 per authority), so no sender
//     can grow the book. Lookups are per authority (treesvc.Peers takes
//     the AuthorityId), so a device of another authority B the receiver
//     shares cannot redirect A's lookups with a hint about B (or through
//     B's facts or joins). Sends are guarded (authority scope, the
//     authority's budget context, budget.MsgDKG).
//
// # Errors
//
// Handlers map service errors to control codes (errors.go wireErr):
// treesvc.ErrNotMember / ErrUnknownAuthority → not_member,
// ErrBelowThreshold → below_threshold, ErrDeviceOffline /
// dkg.ErrDKGTimeout → device_offline (the message names the silent
// devices), ErrBadChange, invite.ErrBadCode / ErrExpired, a missing or
// ambiguous authority and bad ids → bad_request (a device that belongs
// to no authority, e.g. after its removal, is not_member); anything else is
// internal. Ceremony results are control.CeremonyResult (path, epoch, key
// epoch, root, cid, DKG / consensus / total ms).
//
// # Goroutines
//
// Start spawns the address loop, the sync refresh loop and, when pending
// joins resume, their DevicePeer announcer (all stopped and awaited by
// Close); handlers run on the control server's and the
// Sender's goroutines; treesvc, invite and journal/sync own theirs.
// Close order: address loop, hint handler, invite service, tree service,
// sync service (if owned).
//
// # Invariants
//
//   - Three real daemons (node.Open on 127.0.0.1) driven through
//     control.Dial: create → invite/join ×2 (policy {2,2}, then 2-of-3) →
//     remove; every member's (epoch, key epoch, root) agrees after each;
//     a non-member's remove is not_member, a bad code bad_request, and a
//     rotation with a stopped device is device_offline naming it after
//     DKGTimeout (e2e_test.go TestDaemonsCreateInviteJoinRemove; a longer
//     run with a fourth device, policy change, rotations and a restarted
//     daemon behind AURA_LONG=1: TestDaemonsLong).
//   - On a node running its own sync service (Keyring) the authority
//     service adopts it (no second /aura/sync handler) and still writes
//     its DevicePeer fact (hints_test.go TestAdoptsNodeSync).
//   - Real daemons: a completed device.join leaves no pending-join
//     record, the same device joining again with the same code succeeds
//     (stored reply, no second ceremony), another device with the spent
//     code fails with the re-invite advice, and at restart a record
//     without the sealed reply and without a usable code (or of an
//     authority the device is already listed in) is dropped, the one with
//     a refused code after its re-sent requests (resume_test.go
//     TestDaemonJoinPendingRecord).
//   - Every refusal maps to the sentinel the CLI explains and stays
//     matchable (unit_test.go TestWireErr).
//   - DevicePeer resolution: only self-signed facts, largest Seq, facts >
//     learned > hints, addresses to the peerstore (TestPeerBook); every
//     lookup reads only its authority's facts, learned mappings and
//     hints, so a hint, fact or join of another authority B never
//     redirects A's lookups (TestPeerLookupsScopedToAuthority); a fact
//     written under a clock earlier than the last one still supersedes
//     it (TestDevicePeerSeqMonotonic).
//   - Hints stay bounded: frames replace their authority's set
//     (TestHintsBounded); a failed trust of an inviter admits none of its
//     hints (TestFailedTrustAdmitsNoHints).
//   - device.invite's expiry_ms outside [0, MaxInviteExpiry] (including
//     values whose Duration would overflow) is bad_request
//     (TestInviteExpiryParam).
//   - Hint frames have one canonical form; arbitrary bytes never panic
//     and fail with ErrBadHint (TestHintsRoundTrip, FuzzDecodeHints); a
//     hint from a peer that is neither a current device's (per DevicePeer
//     facts) nor a pending join's inviter, or about an authority the
//     receiver does not belong to, is reset and not recorded
//     (hints_test.go TestHintFromOutsiderRefused); hints let a joiner and
//     the current devices find each other for the AddLeaf DKG (the
//     second and third joins of TestDaemonsCreateInviteJoinRemove).
package authsvc
