package driver

import "errors"

// Sentinels of the driver. Core outcomes are reported with the consensus
// sentinels (consensus.ErrConsensusTimeout, ErrConflict, ErrInvalidOp);
// guard failures with the flow sentinels.
var (
	// ErrClosed reports a call on a Service that was closed.
	ErrClosed = errors.New("driver: service closed")
	// ErrConfig reports an invalid Config.
	ErrConfig = errors.New("driver: invalid config")
	// ErrEnvelope reports a fallback envelope of a wrong size, a foreign
	// Tag or one that fails to open (SPEC §5.6).
	ErrEnvelope = errors.New("driver: bad fallback envelope")
	// ErrUnknownPeer reports a stream from a peer that maps to no member.
	ErrUnknownPeer = errors.New("driver: peer is not a committee member")
	// ErrJournal reports a durable write (vote log, Commit or Equivocation
	// facts) that failed: nothing of that Ready was sent and the core was
	// rebuilt from durable state.
	ErrJournal = errors.New("driver: journal write failed")
)
