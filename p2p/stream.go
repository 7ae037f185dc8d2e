package p2p

import (
	"context"
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/protocols"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	msmux "github.com/multiformats/go-multistream"
)

// stream adapts a libp2p stream to Stream: uvarint frames capped at
// protocols.MaxFrame(proto). A frame over the cap or a malformed prefix
// resets the stream and counts a misbehaviour point against the remote.
type stream struct {
	s   network.Stream
	fr  *protocols.FrameReader
	max int
	h   *Host
}

var _ Stream = (*stream)(nil)

func (h *Host) wrap(s network.Stream) *stream {
	max := protocols.MaxFrame(s.Protocol())
	return &stream{s: s, fr: protocols.NewFrameReader(s, max), max: max, h: h}
}

// ReadFrame implements Stream.
func (st *stream) ReadFrame() ([]byte, error) {
	b, err := st.fr.ReadFrame()
	if err == nil {
		return b, nil
	}
	if kind := badFrameKind(err); kind != "" {
		st.punish(kind)
		return nil, err
	}
	return nil, mapStreamErr(err)
}

// punish resets the stream and records a misbehaviour point.
func (st *stream) punish(kind string) {
	_ = st.s.Reset()
	proto := string(st.s.Protocol())
	st.h.cfg.Metrics.StreamReset(proto, kind)
	st.h.ReportMisbehaviour(st.s.Conn().RemotePeer(), proto, kind)
}

func badFrameKind(err error) string {
	switch {
	case errors.Is(err, protocols.ErrFrameTooLarge):
		return KindOversize
	case errors.Is(err, protocols.ErrBadFrame):
		return KindBadFrame
	}
	return ""
}

// WriteFrame implements Stream. An oversize frame fails with
// protocols.ErrFrameTooLarge before anything is written.
func (st *stream) WriteFrame(frame []byte) error {
	return mapStreamErr(protocols.WriteFrame(st.s, frame, st.max))
}

// CloseWrite implements Stream.
func (st *stream) CloseWrite() error { return mapStreamErr(st.s.CloseWrite()) }

// Close implements Stream.
func (st *stream) Close() error { return mapStreamErr(st.s.Close()) }

// Reset implements Stream.
func (st *stream) Reset() error { return st.s.Reset() }

// RemotePeer implements Stream.
func (st *stream) RemotePeer() peer.ID { return st.s.Conn().RemotePeer() }

// Protocol implements Stream.
func (st *stream) Protocol() protocol.ID { return st.s.Protocol() }

// mapStreamErr makes resets match ErrStreamReset, keeping the cause.
func mapStreamErr(err error) error {
	if err != nil && errors.Is(err, network.ErrReset) && !errors.Is(err, ErrStreamReset) {
		return fmt.Errorf("%w: %w", ErrStreamReset, err)
	}
	return err
}

// Open implements Transport. A peer that does not speak proto gives
// ErrNoProtocol; one that cannot be dialled (or is gated) gives
// ErrUnreachable; ctx expiry gives ctx's error. Causes are wrapped.
func (h *Host) Open(ctx context.Context, p peer.ID, proto protocol.ID) (Stream, error) {
	if h.isClosed() {
		return nil, ErrClosed
	}
	if h.gater.gated(p) {
		return nil, fmt.Errorf("%w: %w: %s", ErrUnreachable, ErrGated, p)
	}
	s, err := h.host.NewStream(ctx, p, proto)
	if err != nil {
		return nil, mapOpenErr(ctx, err)
	}
	return h.wrap(s), nil
}

func mapOpenErr(ctx context.Context, err error) error {
	var ns msmux.ErrNotSupported[protocol.ID]
	switch {
	case errors.As(err, &ns):
		return fmt.Errorf("%w: %w", ErrNoProtocol, err)
	case ctx.Err() != nil:
		return fmt.Errorf("p2p: open: %w", errors.Join(ctx.Err(), err))
	case errors.Is(err, network.ErrReset):
		return fmt.Errorf("%w: %w", ErrStreamReset, err)
	default:
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
}

// Handle implements Transport. Handlers run on libp2p's goroutine; Close
// waits for running handlers after resetting their streams.
func (h *Host) Handle(proto protocol.ID, fn StreamHandler) {
	h.host.SetStreamHandler(proto, func(s network.Stream) {
		if !h.enterHandler() {
			_ = s.Reset()
			return
		}
		defer h.handlers.Done()
		fn(h.wrap(s))
	})
}

// enterHandler registers a running handler unless the host is closing.
func (h *Host) enterHandler() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.handlers.Add(1)
	return true
}

// RemoveHandler implements Transport.
func (h *Host) RemoveHandler(proto protocol.ID) { h.host.RemoveStreamHandler(proto) }

func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}
