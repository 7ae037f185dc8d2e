package treesvc

import (
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/journal"
)

// Sentinels of the tree service, matched with errors.Is.
var (
	// ErrConfig reports an invalid Config.
	ErrConfig = errors.New("treesvc: invalid config")
	// ErrNotMember reports an authority of which this device is not a leaf.
	ErrNotMember = errors.New("treesvc: not a member of the authority")
	// ErrUnknownAuthority reports an authority this service does not hold.
	ErrUnknownAuthority = errors.New("treesvc: unknown authority")
	// ErrBelowThreshold reports fewer than M current members reachable or
	// taking part (consensus timed out or lacked witnesses).
	ErrBelowThreshold = errors.New("treesvc: below threshold")
	// ErrDeviceOffline reports DKG members silent past DKGTimeout (SPEC
	// §4.1 step 4). The error is an *OfflineError that also matches
	// dkg.ErrDKGTimeout.
	ErrDeviceOffline = errors.New("treesvc: device offline")
	// ErrBadChange reports a Change invalid at the current state: removing
	// every device, M out of range, an unknown device, a proposer that
	// would not be a resulting member, …
	ErrBadChange = errors.New("treesvc: invalid change")
	// ErrSuperseded reports that our op lost at its parent and could not be
	// re-proposed on the new root (SPEC §5.10).
	ErrSuperseded = errors.New("treesvc: op superseded")
	// ErrClosed reports a call on a closed Service.
	ErrClosed = errors.New("treesvc: service closed")
)

// OfflineError names the DKG members that stayed silent past DKGTimeout.
// It matches ErrDeviceOffline and (through Cause) dkg.ErrDKGTimeout.
type OfflineError struct {
	Devices []journal.DeviceID // silent members, by FrostID
	Cause   error              // the *dkg.TimeoutError
}

func (e *OfflineError) Error() string {
	return fmt.Sprintf("%v: %v (%v)", ErrDeviceOffline, e.Devices, e.Cause)
}

// Is matches ErrDeviceOffline.
func (e *OfflineError) Is(target error) bool { return target == ErrDeviceOffline }

// Unwrap returns the DKG timeout error (errors.Is dkg.ErrDKGTimeout).
func (e *OfflineError) Unwrap() error { return e.Cause }
