package receipt

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed: the bytes are not a canonical receipt.
	ErrMalformed = errors.New("receipt: malformed receipt")
	// ErrRejected: the receive-side Verifier refused a receipt; the
	// concrete error is a *RejectError naming the Outcome.
	ErrRejected = errors.New("receipt: rejected")
)

// RejectError is a refused receipt's outcome. It unwraps to ErrRejected
// and carries nothing from the receipt (SPEC §7.2 rule 7).
type RejectError struct{ Outcome Outcome }

func (e *RejectError) Error() string { return fmt.Sprintf("receipt: rejected: %s", e.Outcome) }

// Unwrap returns ErrRejected.
func (e *RejectError) Unwrap() error { return ErrRejected }
