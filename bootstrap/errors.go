package bootstrap

import "errors"

var (
	// ErrBadMultiaddr reports a seed entry that is not a valid multiaddr;
	// the wrapped text names the entry.
	ErrBadMultiaddr = errors.New("bootstrap: bad multiaddr")
	// ErrMissingPeerID reports a seed multiaddr without a /p2p/<id>
	// component (or with only a peer ID and no transport address).
	ErrMissingPeerID = errors.New("bootstrap: multiaddr lacks /p2p/<peer-id>")
	// ErrInvalidConfig is returned by NewDialer for an unusable
	// DialerConfig.
	ErrInvalidConfig = errors.New("bootstrap: invalid dialer config")
)
