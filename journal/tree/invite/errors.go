package invite

import "errors"

// Sentinels of the invite package, matched with errors.Is. Nothing here
// ever travels on the wire: a refused join is a stream reset (SPEC §6.6).
var (
	// ErrBadCode reports an invitation code that is not exactly one
	// canonical "aura-invite-1:" code: wrong prefix, bad base32, checksum
	// mismatch (a typo), trailing bytes, oversize fields or lists.
	ErrBadCode = errors.New("invite: bad invitation code")
	// ErrExpired reports an invite whose ExpiryMs has passed.
	ErrExpired = errors.New("invite: invitation expired")
	// ErrUsed reports an invite that was already consumed (one use per
	// Secret, also across restarts) by another device, or by this device
	// in a ceremony that failed (the same device after a successful one
	// gets the stored JoinResult again: Registry.Admit).
	ErrUsed = errors.New("invite: invitation already used")
	// ErrUnknown reports a JoinRequest whose MAC matches no stored invite
	// (an unknown secret or a forged MAC: the two are indistinguishable).
	ErrUnknown = errors.New("invite: no invitation matches the request")
	// ErrExists reports Add of an invite whose Secret is already stored.
	ErrExists = errors.New("invite: invitation already registered")
	// ErrFull reports Add beyond Registry's MaxPending stored invites.
	ErrFull = errors.New("invite: too many pending invitations")
	// ErrStore reports a datastore failure (the operation took no effect
	// in memory).
	ErrStore = errors.New("invite: invitation store")
	// ErrBadFrame reports an /aura/invite/1.0.0 frame that does not decode
	// to the expected message with the exact field sizes.
	ErrBadFrame = errors.New("invite: bad frame")
	// ErrPeerMismatch reports a JoinRequest whose PeerID is not the
	// stream's authenticated remote peer.
	ErrPeerMismatch = errors.New("invite: request peer id is not the stream's peer")
	// ErrRefused reports, at the joiner, that the inviter reset the stream
	// or closed it without a JoinResult: the join was refused or failed
	// (the reason is deliberately not sent, SPEC §6.6).
	ErrRefused = errors.New("invite: join refused")
	// ErrConfig reports an invalid Config, Mint argument or Candidate.
	ErrConfig = errors.New("invite: invalid config")
	// ErrClosed reports a call on a closed Service.
	ErrClosed = errors.New("invite: service closed")
)

// Misbehaviour kinds reported for a peer (SPEC §6.6). A used or expired
// invite is refused without a point: an honest joiner may retry.
const (
	KindOversize     = "oversize"      // frame over MaxInviteFrame
	KindUndecodable  = "undecodable"   // not a JoinRequest with exact sizes
	KindPeerMismatch = "peer_mismatch" // PeerID ≠ the stream's remote peer
	KindBadMAC       = "bad_mac"       // MAC matches no stored invite
)

// Refusal reasons passed to Metrics.Refused.
const (
	ReasonUsed    = "used"
	ReasonExpired = "expired"
	ReasonBusy    = "busy"    // MaxInflight join streams already open
	ReasonTimeout = "timeout" // no JoinRequest within ReadTimeout
	ReasonStore   = "store"
	ReasonJoin    = "join" // OnJoin failed or timed out
	ReasonSend    = "send" // the JoinResult could not be sent
)
