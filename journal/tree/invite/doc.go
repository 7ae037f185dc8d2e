// Package invite implements device invitations (SPEC §4.1 step 2): the
// out-of-band Invite and its text code, the inviter's persistent registry
// of one-use invites, and the JoinRequest / JoinResult exchange on
// /aura/invite/1.0.0 over the guarded sender.
//
// # Usage
//
// Inviter (node wires OnJoin to the tree service's AddLeaf ceremony):
//
//	reg, _ := invite.OpenRegistry(ctx, store, invite.RegistryConfig{})  // the node's synced Pebble store
//	inv, _ := invite.Mint(rand.Reader, aid, self, addrs, deviceKey, time.Now().Add(24*time.Hour))
//	_ = reg.Add(ctx, inv, time.Now())
//	fmt.Println(inv.Code())                                             // "aura-invite-1:…", out of band
//	svc, _ := invite.NewService(invite.Config{Sender: snd, Registry: reg,
//		OnJoin: func(ctx context.Context, inv invite.Invite, c invite.Candidate) ([]byte, uint64, error) {
//			return tree.AddLeaf(ctx, …c…)                                // Seal(c.DHKey, AuthoritySecret_{k+1}), k+1
//		}})
//	svc.Start(); defer svc.Close()
//
// Joiner:
//
//	inv, err := invite.ParseCode(code)                                  // ErrBadCode on any typo
//	host.Peerstore().AddAddrs(inv.Inviter, inv.Addrs, ttl)              // node's job: make Inviter dialable
//	sealed, keyEpoch, err := invite.Request(ctx, snd, inv, invite.Candidate{DeviceKey: dk, DHKey: dh, Peer: self})
//	// (the same call again, same candidate, returns the same result: idempotent)
//	secret, _ := seal.Open(dhPriv, sealed)                              // AuthoritySecret_{keyEpoch}
//
// # Wire
//
// The joiner opens a stream, writes one InviteFrame{JoinRequest{DeviceKey,
// DHKey, PeerID, MAC}} with MAC = canon.MAC(Secret, AuthorityId, DeviceKey,
// DHKey, PeerID bytes) and half-closes. The inviter reads exactly one frame
// (ReadTimeout, default 10 s), decodes it strictly (32-byte keys and MAC, a
// valid peer id ≤ 64 B), requires PeerID = the stream's authenticated
// remote peer, finds the stored invite whose Secret and Authority
// recompute the MAC (constant-time comparison against each stored
// invite; the request names no invite), marks it used by the candidate
// (DeviceKey, DHKey, PeerID), runs OnJoin (JoinTimeout, default 3 min,
// reading nothing more), stores the result in the used record and
// answers with one InviteFrame{JoinResult{sealed_secret (80 B),
// key_epoch}} and closes. A repeat request of the same candidate is
// answered with the stored JoinResult (see Decisions: idempotent join).
// Every refusal is a reset without a frame or error text (SPEC §6.6).
//
// Code: "aura-invite-1:" ‖ base32 (RFC 4648 lower-case alphabet, no
// padding) of body ‖ checksum, body = u8 1 ‖ AuthorityId ‖ lp(peer id) ‖
// uvarint n ‖ lp(multiaddr)×n ‖ InviterKey ‖ Secret ‖ u64 ExpiryMs
// (internal/canon rules), checksum = first 4 bytes of
// H("aura/invite-code/v1", body). Bounds: ≤ 8 addrs of ≤ 256 B each, peer
// id ≤ 64 B, so a code is at most MaxCodeLen characters.
//
// # Decisions
//
//   - Budget [GO-DECISION]: both frames are guarded authority-scope sends
//     (flow.ScopeAuthority, per-device budget, no receipt, no capability)
//     under the authority's internal budget context (the same derivation
//     as consensus/driver.AuthorityCtx: wire.go budgetCtx,
//     TestBudgetCtxMatchesDriver) toward the other device's DeviceId
//     (joiner → DeviceIDOf(InviterKey); inviter → DeviceIDOf(candidate's
//     DeviceKey)). This is SPEC §4.1's "charged to its own per-device
//     authority-scope budget": the guard needs no membership for
//     authority scope, so a not-yet-member passes it with a zero
//     flow.Identity. The SPEC §6.2 table has no invite row; the frames are
//     priced as budget.MsgDKG (50 units), the ceremony's own row. The
//     inviter has no receipt to admit (authority scope carries none).
//   - The Secret is stored in the clear in the registry record: the MAC
//     check needs it. The datastore is the node's local store (data directory
//     mode 0700, node/init.go; never synced to peers: /aura/inv/ is not a journal
//     namespace). A used record keeps its Secret until it is pruned, so
//     a replay by another device is answered ErrUsed rather than
//     ErrUnknown.
//   - One use per Secret, one device per invite: the invite is consumed
//     (marked used by the candidate, one synced write) before OnJoin
//     runs and stays consumed if the ceremony fails or times out; the
//     inviter then mints a new code.
//   - Idempotent join [GO-DECISION]: the joiner's daemon may die after
//     the AddLeaf committed but before the JoinResult arrived; without
//     the sealed secret it can never sync, and with 1→2 devices the
//     {2,2} policy would leave the authority stuck. So after OnJoin
//     succeeds the JoinResult (sealed secret, key epoch) is stored in the
//     used record (Registry.Complete, one synced write) before the reply
//     is sent, and a later JoinRequest with a valid MAC from the same
//     candidate (DeviceKey, DHKey and PeerID all equal) gets that stored
//     JoinResult again, with no new ceremony (Registry.Admit), also
//     after an inviter restart. Any other device gets ErrUsed. The sealed
//     secret is only openable by the candidate's DH key, so replaying it
//     to the same (MAC-proven, peer-authenticated) device discloses
//     nothing new. If the reply was cut after OnJoin succeeded but before
//     Complete was written (an inviter crash in that window), the same
//     device is refused (ErrUsed) and needs a new code.
//   - Duplicates wait [GO-DECISION]: a request of the same candidate
//     while its ceremony still runs (its first stream broke) waits for
//     that ceremony (at most JoinTimeout, holding one MaxInflight slot)
//     and then gets the stored result, or is refused if the ceremony
//     failed. Waiting rather than refusing makes a refusal final for the
//     joiner (treesvc drops its pending join after repeated refusals).
//   - Retention: a pending invite, or a used one without a stored result,
//     is pruned at ExpiryMs; a used invite with a stored result is kept
//     and replayed until ExpiryMs + RegistryConfig.UsedGrace (default
//     DefaultUsedGrace, 24 h), so a joiner that restarts shortly after
//     expiry can still finish. Used records count against MaxPending. A
//     record whose ceremony runs is never pruned. Records are v2 (u8 2 ‖
//     u8 state ‖ lp(body) ‖ candidate and result); v1 records still load
//     (a used v1 record has no candidate and is never replayed).
//   - Misbehaviour points: oversize, undecodable, peer-id mismatch and a
//     MAC matching no stored invite (SPEC §6.6). A used or expired invite,
//     a read timeout, MaxInflight and ceremony failures are refused
//     without a point (an honest joiner can cause them).
//
// # Scope
//
// Belongs: Invite, its code, the invite registry, JoinRequest and
// JoinResult framing, the inviter stream handler and the joiner's
// Request. Does not belong: the AddLeaf ceremony, DKG and consensus
// (journal/tree/treesvc via OnJoin), opening the sealed secret
// (internal/seal, the caller), peerstore addresses (node), context
// invitations and InviteAccept (SPEC §7.1, rendezvous/).
//
// # Invariants
//
//   - Code round-trips (TestCodeRoundTrip, with 0, 1 and 8 maximal
//     addrs); every single-character substitution and adjacent
//     transposition of a code fails with ErrBadCode (TestParseCodeEveryTypo);
//     non-canonical forms, oversize lists and fields, bad peer ids and
//     trailing bytes fail with ErrBadCode (TestParseCodeRejects,
//     TestParseCodeNonCanonicalTrailingBits); ParseCode never panics and
//     accepts only the canonical code (FuzzParseCode).
//   - The MAC binds Secret, AuthorityId, DeviceKey, DHKey and PeerID
//     (TestJoinRequestRoundTripAndMAC). Frame decoders never panic,
//     enforce exact sizes and round-trip (TestDecodeJoinRequestRejects,
//     TestJoinResultRoundTripAndRejects, FuzzDecodeJoinRequest,
//     FuzzDecodeJoinResult).
//   - One use per Secret: a consumed invite is refused with ErrUsed, also
//     after reopening the Pebble store (TestRegistryOneUse,
//     TestRegistryOneUseAcrossRestart); of 16 concurrent valid requests
//     exactly one wins (TestRegistryConcurrentConsume); Admit waits a
//     same-device duplicate, replays the stored result to the same
//     device only (also after reopening), and refuses it after a failed
//     ceremony (TestRegistryAdmit); the grace period and pruning
//     (TestRegistryUsedGrace); records round-trip, v1 records load
//     (TestRecordCodec, FuzzDecodeRecord); a bad MAC or a
//     failed store write leaves the invite pending
//     (TestRegistryUnknownMACLeavesInvitePending,
//     TestRegistryStoreFailureKeepsInvitePending).
//   - Expiry: refused with ErrExpired one millisecond after ExpiryMs, Add
//     refuses expired invites, Prune deletes them (TestRegistryExpiry);
//     MaxPending bounds the registry (TestRegistryFullAndPruneOnAdd);
//     corrupt or misfiled records are never consumable
//     (TestRegistrySkipsCorruptRecords).
//   - Over internal/simnet: the happy path calls OnJoin once with the
//     joiner's candidate and delivers the sealed secret and key epoch; the
//     same code from another device is refused
//     (TestJoinHappyPathThenReuseRefused). The same device asking again
//     gets the same JoinResult, OnJoin called once; another device, or
//     the same peer with other keys, is refused (TestJoinReplaySameDevice);
//     also after the inviter's registry and Service restart
//     (TestJoinReplayAfterInviterRestart); a duplicate during the
//     ceremony waits and gets the same result, or is refused if the
//     ceremony fails (TestJoinDuplicateWaitsForCeremony).
//     Wrong MAC, unknown invite, expired, OnJoin error, a bad sealed
//     secret and JoinTimeout end in a reset the joiner sees as
//     ErrRefused, OnJoin called only in the last three
//     (TestJoinRefusals). A peer-id mismatch resets, costs a point and
//     leaves the invite usable (TestJoinPeerIDMismatch). Garbage frames
//     reset with one misbehaviour point each, never panic, never reach
//     OnJoin (TestJoinGarbageFrames; oversize and bad prefixes:
//     TestHandlerTransportErrors). A silent stream is reset at
//     ReadTimeout (TestJoinReadTimeout); MaxInflight resets extra streams
//     (TestMaxInflight); the joiner's ctx deadline returns the ctx error
//     (TestRequestContextDeadline); Close cancels a running OnJoin
//     (TestCloseCancelsJoin).
//
// # Concurrency
//
// Registry serialises every operation with one mutex (the only I/O is a
// short synced batch); it also tracks, in memory, the admissions whose
// ceremony runs (closed by Release) for same-device duplicates to wait on. The Service keeps no protocol state: each stream
// is served on its transport handler goroutine, tracked so Close can
// reset it and wait; OnJoin runs on that goroutine.
package invite
