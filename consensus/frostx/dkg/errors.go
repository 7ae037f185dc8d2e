package dkg

import (
	"errors"
	"fmt"
	"slices"
)

var (
	// ErrDKGInconsistent aborts a DKG: a member's data does not add up
	// (round-2 share off its commitment, equivocation, disagreeing
	// transcripts, bad signature). SPEC §4, §5.10.
	ErrDKGInconsistent = errors.New("dkg: inconsistent")
	// ErrDKGBadProof aborts a DKG on a bad round-1 message: signature,
	// commitment length, a point that is not canonical, is the identity or
	// has a torsion component, or a failed proof of knowledge. It wraps
	// ErrDKGInconsistent.
	ErrDKGBadProof = fmt.Errorf("%w: bad round-1 proof", ErrDKGInconsistent)
	// ErrDKGTimeout aborts a DKG whose members stayed silent past the
	// driver's DKGTimeout (SPEC §4.1 step 4); see TimeoutError.
	ErrDKGTimeout = errors.New("dkg: timeout")
	// ErrBadMessage reports bytes that do not decode, or a message for
	// another session, sender or recipient. It does not abort the DKG: the
	// driver resets the stream (a member that only sends garbage ends as
	// silent, ErrDKGTimeout).
	ErrBadMessage = errors.New("dkg: bad message")
	// ErrSession reports an invalid Session or participant setup.
	ErrSession = errors.New("dkg: invalid session")
	// ErrNotDone reports Result called before the DKG completed.
	ErrNotDone = errors.New("dkg: not complete")
	// ErrInvalidKeyRotation reports a key rotation whose DKG data does not
	// validate (SPEC §4: recomputed sid, transcript, proofs, Ĉ, GroupKey,
	// VerShares, confirms; FrostIDs 1..N).
	ErrInvalidKeyRotation = errors.New("dkg: invalid key rotation")
)

// CulpritError names the member ℓ whose message aborted the DKG. It
// unwraps to ErrDKGBadProof or ErrDKGInconsistent.
type CulpritError struct {
	// Culprit is the FrostID of the offending member.
	Culprit uint16
	// Reason says what failed.
	Reason string
	// Err is the sentinel.
	Err error
}

func (e *CulpritError) Error() string {
	return fmt.Sprintf("%v: member %d: %s", e.Err, e.Culprit, e.Reason)
}

func (e *CulpritError) Unwrap() error { return e.Err }

func badProof(id uint16, format string, a ...any) error {
	return &CulpritError{Culprit: id, Reason: fmt.Sprintf(format, a...), Err: ErrDKGBadProof}
}

func inconsistent(id uint16, format string, a ...any) error {
	return &CulpritError{Culprit: id, Reason: fmt.Sprintf(format, a...), Err: ErrDKGInconsistent}
}

// TimeoutError names the members that were still silent when the driver
// gave up. It unwraps to ErrDKGTimeout.
type TimeoutError struct {
	// Missing lists the silent FrostIDs, ascending.
	Missing []uint16
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%v: silent members %v", ErrDKGTimeout, e.Missing)
}

func (e *TimeoutError) Unwrap() error { return ErrDKGTimeout }

func timeoutErr(missing []uint16) error {
	return &TimeoutError{Missing: slices.Clone(missing)}
}
