package dkgsvc

import "errors"

// Sentinels of the DKG service. DKG outcomes are reported with the dkg
// sentinels (dkg.ErrDKGTimeout with a *dkg.TimeoutError, dkg.ErrDKGBadProof,
// dkg.ErrDKGInconsistent); guard failures with the flow sentinels.
var (
	// ErrConfig reports an invalid Config or Run argument.
	ErrConfig = errors.New("dkgsvc: invalid config")
	// ErrClosed reports a call on a closed Service.
	ErrClosed = errors.New("dkgsvc: service closed")
	// ErrBadFrame reports an inbound frame that does not decode to a
	// well-formed DKGFrame (wrong field sizes, ids out of range, no body).
	ErrBadFrame = errors.New("dkgsvc: bad frame")
	// ErrBadStart reports a DKGStart whose signature does not verify under
	// any listed member key, whose sid does not recompute, or whose
	// members are not FrostIDs 1..N with distinct keys.
	ErrBadStart = errors.New("dkgsvc: bad DKGStart")
	// ErrStartRefused reports a DKGStart the Authorise callback refused
	// (or any DKGStart when no Authorise is configured: fail closed).
	ErrStartRefused = errors.New("dkgsvc: DKGStart refused")
	// ErrBusy reports a Run for a session that is already running.
	ErrBusy = errors.New("dkgsvc: session already running")
	// ErrStore reports a sealed share that could not be written or read.
	ErrStore = errors.New("dkgsvc: share store")
)

// Misbehaviour kinds reported for a peer (SPEC §6.6).
const (
	KindUndecodable = "undecodable" // frame is not a valid DKGFrame
	KindOversize    = "oversize"    // frame over MaxDKGFrame
	KindNonMember   = "non_member"  // round message from a peer outside the session
	KindBadMessage  = "bad_message" // dkg.ErrBadMessage (misaddressed, bad shape)
	KindBadStart    = "bad_start"   // DKGStart that does not verify or is refused
)
