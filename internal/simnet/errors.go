package simnet

import "errors"

// Sentinels specific to the simulator. Transport-level conditions use the
// p2p sentinels (p2p.ErrStreamReset, p2p.ErrUnreachable, p2p.ErrNoProtocol,
// p2p.ErrNotSubscribed, p2p.ErrSubscriptionCancelled, p2p.ErrClosed) and
// oversize frames protocols.ErrFrameTooLarge, so protocol code under test
// matches the same errors it sees on libp2p.
var (
	// ErrNotQuiet is returned by RunUntilQuiet when network events are
	// still pending after its virtual-time bound (a livelock or a protocol
	// that never stops sending).
	ErrNotQuiet = errors.New("simnet: network not quiet within bound")
	// ErrStreamClosed is returned by WriteFrame after CloseWrite/Close and
	// by ReadFrame after Close on the same end.
	ErrStreamClosed = errors.New("simnet: stream closed")
	// ErrAlreadySubscribed is returned by Subscribe when the node already
	// holds an active subscription to the topic.
	ErrAlreadySubscribed = errors.New("simnet: topic already subscribed")
	// ErrValidationFailed is returned by Publish when the publisher's own
	// validator rejects or ignores the message (libp2p's ValidationError);
	// nothing is sent.
	ErrValidationFailed = errors.New("simnet: local message failed validation")
	// ErrBadConfig reports an invalid Config or LinkConfig.
	ErrBadConfig = errors.New("simnet: invalid config")
)
