package p2p

import (
	"context"
	"fmt"
	"time"
)

// joinPoll is WaitJoined's polling period.
const joinPoll = 50 * time.Millisecond

// Joined reports SPEC §14's joined state for a network of n peers:
// connected to at least one bootstrap peer (a host started with Bootstrap
// counts as its own), a routing table of at least min(5, n−1) peers, and
// subscribed to both neighbourhood topics.
func (h *Host) Joined(n int) bool {
	return !h.isClosed() && h.seedConnected() &&
		h.RoutingTableSize() >= min(5, n-1) && h.neighbourhoodJoined()
}

func (h *Host) seedConnected() bool {
	if h.cfg.Bootstrap {
		return true
	}
	for p := range h.seeds {
		if h.connected(p) {
			return true
		}
	}
	return false
}

func (h *Host) neighbourhoodJoined() bool {
	n := h.cfg.Neighbourhood
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range []string{FallbackTopic(n), RendezvousTopic(n)} {
		if ts, ok := h.topics[t]; !ok || ts.relay == nil {
			return false
		}
	}
	return true
}

// WaitJoined polls Joined(n) on a ticker until it holds (nil), ctx ends
// (ErrNotJoined wrapping ctx's error) or the host closes (ErrClosed).
func (h *Host) WaitJoined(ctx context.Context, n int) error {
	tick := time.NewTicker(joinPoll)
	defer tick.Stop()
	for !h.Joined(n) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrNotJoined, ctx.Err())
		case <-h.ctx.Done():
			return ErrClosed
		case <-tick.C:
		}
	}
	return nil
}
