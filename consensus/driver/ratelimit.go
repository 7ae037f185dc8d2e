package driver

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// FallbackPeerRate (SPEC §10): per forwarding peer, at most 20 fallback
// messages and 256 KiB per second; beyond it the validator Ignores.
const (
	fallbackPeerMsgs  = 20
	fallbackPeerBytes = 256 << 10
	maxRatePeers      = 4096
)

// peerRate is a fixed one-second window per forwarding peer. It is safe
// for concurrent use (validators run on pubsub goroutines).
type peerRate struct {
	mu sync.Mutex
	m  map[peer.ID]*rateWindow
}

type rateWindow struct {
	start       time.Time
	msgs, bytes int
}

// allow records one message of n bytes from p at now; false once p is
// over FallbackPeerRate in the current second.
func (r *peerRate) allow(p peer.ID, n int, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil || len(r.m) > maxRatePeers {
		r.m = map[peer.ID]*rateWindow{}
	}
	w, ok := r.m[p]
	if !ok || now.Sub(w.start) >= time.Second {
		w = &rateWindow{start: now}
		r.m[p] = w
	}
	if w.msgs+1 > fallbackPeerMsgs || w.bytes+n > fallbackPeerBytes {
		return false
	}
	w.msgs, w.bytes = w.msgs+1, w.bytes+n
	return true
}
