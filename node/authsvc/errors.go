package authsvc

import (
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/journal/tree/invite"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
)

// Sentinels of the authority service.
var (
	// ErrNotRunning: the service is not started (or already closed).
	ErrNotRunning = errors.New("authsvc: authority service not running")
	// ErrNoAuthority: the request names no authority and this device
	// belongs to none.
	ErrNoAuthority = errors.New("authsvc: this device belongs to no authority")
	// ErrAmbiguous: the request names no authority and this device
	// belongs to several.
	ErrAmbiguous = errors.New("authsvc: this device belongs to several authorities; name one")
	// ErrBadID: an authority or device id is not 32 hex digits.
	ErrBadID = errors.New("authsvc: bad id")
)

// wireErr maps a service error to the control sentinel the CLI explains
// (SPEC §4.1: not a member, below threshold, device offline past
// timeout, bad input); anything else stays as is (internal).
func wireErr(err error) error {
	var sentinel error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, treesvc.ErrNotMember), errors.Is(err, treesvc.ErrUnknownAuthority),
		errors.Is(err, ErrNoAuthority): // e.g. a removed device: it is a member of nothing
		sentinel = control.ErrNotMember
	case errors.Is(err, treesvc.ErrBelowThreshold):
		sentinel = control.ErrBelowThreshold
	case errors.Is(err, treesvc.ErrDeviceOffline), errors.Is(err, dkg.ErrDKGTimeout):
		sentinel = control.ErrDeviceOffline
	case errors.Is(err, treesvc.ErrBadChange), errors.Is(err, invite.ErrBadCode), errors.Is(err, invite.ErrExpired),
		errors.Is(err, ErrAmbiguous), errors.Is(err, ErrBadID):
		sentinel = control.ErrBadRequest
	default:
		return err
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}
