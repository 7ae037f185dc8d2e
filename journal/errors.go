package journal

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers match them with errors.Is; the text is
// package-prefixed and never carries raw ContextIds (SPEC §7.2 rule 7).
var (
	// ErrNamespaceMismatch: an entry or set of one namespace was offered to
	// another (SPEC §3: cross-namespace merge MUST fail).
	ErrNamespaceMismatch = errors.New("journal: namespace mismatch")
	// ErrFactTooLarge: the canonical fact exceeds MaxFactSize (64 KiB).
	ErrFactTooLarge = errors.New("journal: fact too large")
	// ErrMalformed: the fact or its body does not decode, has trailing
	// bytes, or breaks a stateless well-formedness rule.
	ErrMalformed = errors.New("journal: malformed fact")
	// ErrBadSignature: a self-contained signature does not verify.
	ErrBadSignature = errors.New("journal: bad signature")
	// ErrNotMember: this node is not a member of the fact's namespace
	// (SPEC §16.13); the fact is refused and nothing is written.
	ErrNotMember = errors.New("journal: not a member of namespace")
	// ErrCorrupt: a stored value does not hash to its key's EntryID. The
	// value has been quarantined; see CorruptError.
	ErrCorrupt = errors.New("journal: corrupt entry quarantined")
	// ErrNotFound: no stored entry has this EntryID.
	ErrNotFound = errors.New("journal: entry not found")
	// ErrDeferred: a time-gated fact is not yet due; it waits in the
	// deferred queue and is not acknowledged. See DeferredError.
	ErrDeferred = errors.New("journal: fact deferred until due")
	// ErrDeferTooFar: a time-gated fact is due more than MaxDefer ahead;
	// it is dropped without penalty (sync offers it again).
	ErrDeferTooFar = errors.New("journal: fact due too far ahead")
	// ErrDeferredFull: the namespace's deferred queue is at MaxDeferred
	// facts or bytes; the fact is dropped without penalty.
	ErrDeferredFull = errors.New("journal: deferred queue full")
	// ErrUnknownKind: no reducer is registered for the namespace kind.
	ErrUnknownKind = errors.New("journal: unknown namespace kind")
)

// CorruptError reports one quarantined record: Key is the datastore key
// whose value failed its EntryID check, with the namespace id replaced by
// "ns-<8 hex>" (a tagged hash: no raw ContextId in errors or logs, SPEC
// §7.2 rule 7); the EntryID and section stay readable. It unwraps to
// ErrCorrupt.
type CorruptError struct {
	Key string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("journal: corrupt entry quarantined: %s", e.Key)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// DeferredError reports a time-gated fact parked until DueMs (Unix ms).
// It unwraps to ErrDeferred.
type DeferredError struct {
	DueMs uint64
}

func (e *DeferredError) Error() string {
	return fmt.Sprintf("journal: fact deferred until %d ms", e.DueMs)
}

// Unwrap makes errors.Is(err, ErrDeferred) true.
func (e *DeferredError) Unwrap() error { return ErrDeferred }

// malformed wraps ErrMalformed with a detail.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// ErrStageUsed: a FactStage was staged into a second batch; each one
// stages its entries exactly once (Journal.Stage).
var ErrStageUsed = errors.New("journal: fact stage already used")
