package p2p

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gater is the libp2p ConnectionGater of SPEC §6.6: it refuses dials to
// and secured connections from peers gated by the misbehaviour book. The
// mutex serialises the book; every call is short and non-blocking.
type gater struct {
	now func() time.Time

	mu     sync.Mutex
	book   *misbehaviourBook
	nAdded int
}

func newGater(now func() time.Time, limit int, span, gate time.Duration) *gater {
	return &gater{now: now, book: newMisbehaviourBook(limit, span, gate)}
}

// record adds one point against p and reports whether p just reached the
// limit and is now gated.
func (g *gater) record(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	g.nAdded++
	if g.nAdded%1024 == 0 {
		g.book.prune(now)
	}
	return g.book.add(p, now)
}

// points returns p's live misbehaviour points.
func (g *gater) points(p peer.ID) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.book.count(p, g.now())
}

// gated reports whether p is currently refused.
func (g *gater) gated(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.book.isGated(p, g.now())
}

// InterceptPeerDial implements connmgr.ConnectionGater.
func (g *gater) InterceptPeerDial(p peer.ID) bool { return !g.gated(p) }

// InterceptAddrDial implements connmgr.ConnectionGater.
func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return !g.gated(p) }

// InterceptAccept implements connmgr.ConnectionGater; the peer is not
// known yet, InterceptSecured decides.
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool { return true }

// InterceptSecured implements connmgr.ConnectionGater.
func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !g.gated(p)
}

// InterceptUpgraded implements connmgr.ConnectionGater.
func (g *gater) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	return !g.gated(c.RemotePeer()), 0
}
