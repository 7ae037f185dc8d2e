package sync

import (
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

// Sentinels. Any error returned by a session's Step means "reset the
// stream and send nothing from this step" (SPEC §6.6); the remote peer
// observes only the reset, never which check failed. Detail is added by
// wrapping with %w.
var (
	// ErrNotMember: a Hello whose Ref matches no key epoch held, whose box
	// does not open, whose Author is not a current member or whose
	// signature fails; or the same for a HelloAck at the initiator. Local
	// only: outwardly it is a plain reset, identical to an unknown
	// namespace.
	ErrNotMember = errors.New("sync: not a member")
	// ErrDenied: the Guard refused the peer's token or receipt.
	ErrDenied = errors.New("sync: denied by guard")
	// ErrBadSymbols is riblt.ErrBadSymbols: the responder sent coded
	// symbols an honest peer cannot produce (outcome bad_symbols).
	ErrBadSymbols = riblt.ErrBadSymbols
	// ErrUnexpectedFrame: a frame not allowed in the session's state.
	ErrUnexpectedFrame = errors.New("sync: unexpected frame")
	// ErrFrameLimit: a frame over its count or size limit (symbols per
	// frame, ids per frame, entries or bytes per Facts frame, box size).
	ErrFrameLimit = errors.New("sync: frame over limit")
	// ErrSessionLimit: the peer exceeded a per-session limit
	// (SyncMaxFactsPerSession, SyncAnnounceMax, Ids beyond SetSize, a
	// More asking a grant above MaxGrantSymbols).
	ErrSessionLimit = errors.New("sync: session limit exceeded")
	// ErrBadIds: an Ids frame that is unsorted, repeats an id, or ends
	// short of SetSize.
	ErrBadIds = errors.New("sync: malformed id list")
	// ErrBadBox: a box plaintext that does not parse (after it opened).
	ErrBadBox = errors.New("sync: malformed box")
	// ErrFinished: Step after the session ended.
	ErrFinished = errors.New("sync: session finished")
	// ErrConfig: an invalid Config or session configuration.
	ErrConfig = errors.New("sync: invalid config")
	// ErrBadFrame: a received frame that does not decode (protobuf, a
	// fixed-size field of the wrong size, packed ids or symbols that do
	// not parse). The stream is reset and the peer gets a misbehaviour
	// point (SPEC §6.6).
	ErrBadFrame = errors.New("sync: undecodable frame")
	// ErrUnwanted: R sent an entry I did not ask for (counted as
	// misbehaviour; the entry passed ingress and is kept).
	ErrUnwanted = errors.New("sync: unwanted entry")
	// ErrTimeout: the session exceeded SyncRoundTimeout.
	ErrTimeout = errors.New("sync: session timed out")
	// ErrBusy: a session with this (peer, namespace) is already running,
	// or SyncMaxInbound inbound sessions are.
	ErrBusy = errors.New("sync: busy")
	// ErrClosed: the Service was closed.
	ErrClosed = errors.New("sync: service closed")
)

// errNoReceipt: a context-scope frame that must carry a receipt has none
// (SPEC §9 "Guards"); the stream is reset.
var errNoReceipt = fmt.Errorf("%w: frame without receipt", ErrDenied)
