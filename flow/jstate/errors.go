package jstate

import (
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/flow"
)

// Errors of the journal-backed state. Lookups that fail wrap
// flow.ErrUnknownContext (itself flow.ErrAuthorizationDenied), so the
// guard chain denies and the receive path resets (fail closed). Texts
// never carry raw ids (SPEC §7.2 rule 7).
var (
	// ErrNoKeyring: the node has no authority keys (a bootstrap node);
	// Identity fails, so context-scope sends and receives are refused
	// while per-device budgets still work.
	ErrNoKeyring = errors.New("jstate: no keyring")
	// ErrBadKeyring: a Keyring field is missing or has the wrong size.
	ErrBadKeyring = errors.New("jstate: bad keyring")
	// ErrNotMember: this authority is not a member of the context with
	// the Keyring's member key, or the context has no valid Genesis.
	ErrNotMember = fmt.Errorf("jstate: not a member: %w", flow.ErrUnknownContext)
	// ErrUnknownPeer: no DevicePeer fact of exactly one member maps the
	// peer.ID (absent or claimed by several authorities).
	ErrUnknownPeer = fmt.Errorf("jstate: unknown peer: %w", flow.ErrUnknownContext)
)
