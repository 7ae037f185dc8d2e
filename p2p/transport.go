package p2p

import (
	"context"
	"errors"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Transport is the whole network surface protocol packages see (SPEC §15).
// It is implemented on libp2p by Host.Transport and, deterministically, by
// internal/simnet. Protocol code never receives a Transport directly once
// the guard chain exists: it gets a guarded sender built on one (SPEC §6.4).
type Transport interface {
	// Self is the local peer ID.
	Self() peer.ID
	// Open opens a stream to p speaking proto. Frames on it are capped at
	// protocols.MaxFrame(proto).
	Open(ctx context.Context, p peer.ID, proto protocol.ID) (Stream, error)
	// Handle registers h for inbound streams of proto, replacing any
	// previous handler. h runs on its own goroutine and owns the stream.
	Handle(proto protocol.ID, h StreamHandler)
	// RemoveHandler unregisters proto.
	RemoveHandler(proto protocol.ID)
	// Publish sends data on topic. The topic must have been joined by
	// Subscribe first.
	Publish(ctx context.Context, topic string, data []byte) error
	// Subscribe joins topic; v (may be nil: accept all) runs on every
	// message before it is delivered or forwarded.
	Subscribe(topic string, v Validator) (Subscription, error)
}

// StreamHandler serves one inbound stream.
type StreamHandler func(Stream)

// Stream is a bidirectional stream of length-prefixed frames (uvarint
// length then payload) capped per protocol (SPEC §10). A frame over the cap
// or a malformed prefix fails ReadFrame with protocols.ErrFrameTooLarge or
// protocols.ErrBadFrame and the stream is reset.
type Stream interface {
	ReadFrame() ([]byte, error)
	WriteFrame(frame []byte) error
	// CloseWrite half-closes: the remote reads io.EOF after the last frame.
	CloseWrite() error
	// Close closes both directions gracefully.
	Close() error
	// Reset aborts the stream in both directions; the remote sees
	// ErrStreamReset. It is the only thing a misbehaving or refused peer
	// observes (SPEC §6.6).
	Reset() error
	RemotePeer() peer.ID
	Protocol() protocol.ID
}

// ValidationResult is a topic validator's verdict.
type ValidationResult int

const (
	// Accept delivers and forwards the message.
	Accept ValidationResult = iota
	// Reject drops the message and penalises the forwarder.
	Reject
	// Ignore drops the message without penalty.
	Ignore
)

// Validator judges a topic message received from peer from (the
// forwarder, not necessarily the originator).
type Validator func(ctx context.Context, from peer.ID, data []byte) ValidationResult

// Message is one delivered topic message.
type Message struct {
	Topic string
	// From is the peer that forwarded it to us (StrictNoSign topics carry
	// no originator).
	From peer.ID
	Data []byte
	// Local is true for messages this node published itself.
	Local bool
}

// Subscription delivers accepted topic messages in order.
type Subscription interface {
	// Next blocks until a message arrives, ctx ends, or the subscription
	// is cancelled (ErrSubscriptionCancelled).
	Next(ctx context.Context) (*Message, error)
	Cancel()
}

var (
	// ErrStreamReset is returned by stream operations after either side
	// reset the stream.
	ErrStreamReset = errors.New("p2p: stream reset")
	// ErrSubscriptionCancelled is returned by Next after Cancel.
	ErrSubscriptionCancelled = errors.New("p2p: subscription cancelled")
	// ErrNotSubscribed is returned by Publish on a topic never joined.
	ErrNotSubscribed = errors.New("p2p: topic not joined")
	// ErrNoProtocol is returned by Open when the remote does not speak proto.
	ErrNoProtocol = errors.New("p2p: protocol not supported by peer")
	// ErrUnreachable is returned by Open when the remote cannot be reached.
	ErrUnreachable = errors.New("p2p: peer unreachable")
	// ErrClosed is returned after the transport was closed.
	ErrClosed = errors.New("p2p: transport closed")
)
