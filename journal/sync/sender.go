package sync

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// Outbound is one sync frame handed to the guarded sender.
type Outbound struct {
	// NS is the session's namespace: the budget's context (or, for an
	// authority namespace, the per-device budget).
	NS journal.Namespace
	// Peer is the stream's remote peer.
	Peer peer.ID
	// Frame is the decoded frame (its Kind selects the capability and
	// whether a receipt travels, SPEC §9 "Guards").
	Frame Frame
	// Bytes is the encoded frame without a receipt; cost is computed
	// from its length.
	Bytes []byte
}

// Sender performs the guarded send of SPEC §6.4 for one sync frame:
// charge, receipt, then st.WriteFrame. An error means nothing was
// written for a guard failure (the caller resets the stream) or the
// transport failed. The flow layer implements it; PassThrough stands in
// until the guard chain lands. Sessions call it from one goroutine per
// stream.
type Sender interface {
	SendFrame(ctx context.Context, st p2p.Stream, out Outbound) error
}

// PassThrough is the Sender without a guard chain: it writes the bytes.
type PassThrough struct{}

// SendFrame implements Sender.
func (PassThrough) SendFrame(_ context.Context, st p2p.Stream, out Outbound) error {
	return st.WriteFrame(out.Bytes)
}
