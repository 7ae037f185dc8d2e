package cap

import (
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/flow/internal/flowerr"
)

// Every verification failure wraps flow.ErrAuthorizationDenied, so
// callers test errors.Is(err, flow.ErrAuthorizationDenied) and may test the
// specific sentinel for metrics or tests.
var (
	// ErrMalformed: the token bytes do not decode canonically.
	ErrMalformed = deny("malformed token")
	// ErrEmptyToken: a token without blocks.
	ErrEmptyToken = deny("token has no blocks")
	// ErrWrongIssuer: Issuer is not the expected issuer key (the grantor's
	// current member key; a rotated key revokes its tokens).
	ErrWrongIssuer = deny("wrong issuer")
	// ErrBadSignature: a block's signature does not verify under Issuer
	// (block 0) or the previous block's NextKey.
	ErrBadSignature = deny("bad block signature")
	// ErrWidening: a block adds caps, raises FlowLimit or widens the epoch
	// window relative to its predecessor.
	ErrWidening = deny("block widens its predecessor")
	// ErrWrongContext: a block names another context.
	ErrWrongContext = deny("wrong context")
	// ErrWrongPresenter: the authenticated presenter is not the last Subject.
	ErrWrongPresenter = deny("presenter is not the last subject")
	// ErrEpochWindow: the flow epoch is outside [FromEpoch, ToEpoch], or a
	// block has FromEpoch > ToEpoch.
	ErrEpochWindow = deny("flow epoch outside token window")
	// ErrLimitTooLow: FlowLimit below MinLimit; such a grant is inert.
	ErrLimitTooLow = deny("flow limit below MinLimit")
	// ErrNotPermitted: the frontier lacks the needed capability.
	ErrNotPermitted = deny("capability not in frontier")
	// ErrWrongKey: Attenuate was given a key other than the last NextKey.
	ErrWrongKey = deny("key is not the last block's NextKey")
)

// ErrBadPolicy: a local Policy with MaxLimit below MinLimit is refused.
var ErrBadPolicy = errors.New("cap: policy MaxLimit below MinLimit")

func deny(msg string) error {
	return fmt.Errorf("cap: %s: %w", msg, flowerr.ErrAuthorizationDenied)
}

// BlockError says which block of a token failed. It unwraps to the
// specific sentinel (and through it to flow.ErrAuthorizationDenied).
type BlockError struct {
	Index int
	Err   error
}

func (e *BlockError) Error() string { return fmt.Sprintf("block %d: %v", e.Index, e.Err) }

// Unwrap returns the sentinel.
func (e *BlockError) Unwrap() error { return e.Err }
