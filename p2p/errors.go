package p2p

import "errors"

// Sentinels of package p2p beyond the Transport ones in transport.go. Match
// them with errors.Is; details are wrapped with %w.
var (
	// ErrInvalidConfig is returned by Config.Validate and New for a
	// configuration that cannot be used; the wrapped text names the field.
	ErrInvalidConfig = errors.New("p2p: invalid config")
	// ErrIdentityPermissions is returned when the identity key file is
	// readable or writable by group or others (mode must be 0600 or
	// stricter).
	ErrIdentityPermissions = errors.New("p2p: identity key file permissions too open")
	// ErrIdentityCorrupt is returned when the identity key file cannot be
	// decoded or does not hold an Ed25519 private key.
	ErrIdentityCorrupt = errors.New("p2p: identity key file corrupt")
	// ErrIdentityMissing is returned by LoadIdentity when no key file exists.
	ErrIdentityMissing = errors.New("p2p: identity key file missing")
	// ErrNotJoined is returned by WaitJoined when ctx ends before the host
	// is joined (SPEC §14); it wraps the ctx error.
	ErrNotJoined = errors.New("p2p: not joined")
	// ErrGated is returned by Open for a peer refused by the connection
	// gater after reaching MisbehaviourLimit (SPEC §6.6). It also matches
	// ErrUnreachable.
	ErrGated = errors.New("p2p: peer gated for misbehaviour")
)
