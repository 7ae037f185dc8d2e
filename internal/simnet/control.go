package simnet

import (
	"fmt"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// DefaultQuietBound is the virtual-time bound RunUntilQuiet uses when given
// max <= 0.
const DefaultQuietBound = time.Hour

// Partition splits the network: peers in different groups cannot exchange
// anything. Peers not listed form one extra group together. It replaces any
// earlier partition. Traffic already in flight across the cut is cut when it
// would be delivered (stream events then reset their stream); Open across
// the cut fails with p2p.ErrUnreachable. Idle streams across the cut are not
// reset until something is sent on them.
func (n *Network) Partition(groups ...[]peer.ID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.group = map[peer.ID]int{}
	for i, g := range groups {
		for _, id := range g {
			n.group[id] = i + 1
		}
	}
}

// Heal removes the partition (link overrides stay).
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.group = nil
}

// Isolate partitions id away from everyone else.
func (n *Network) Isolate(id peer.ID) { n.Partition([]peer.ID{id}) }

// DefaultLink is the LinkConfig every link has without SetLink.
func (n *Network) DefaultLink() LinkConfig {
	return LinkConfig{Latency: n.cfg.Latency, Jitter: n.cfg.Jitter, Drop: n.cfg.DropRate}
}

// SetLink overrides the directed link from → to. Call it twice (or use
// SetLinkBoth) for a symmetric change. It panics on an invalid LinkConfig.
func (n *Network) SetLink(from, to peer.ID, lc LinkConfig) {
	if err := lc.Validate(); err != nil {
		panic(err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.links[linkID{from, to}] = lc
}

// SetLinkBoth overrides both directions between a and b.
func (n *Network) SetLinkBoth(a, b peer.ID, lc LinkConfig) {
	n.SetLink(a, b, lc)
	n.SetLink(b, a, lc)
}

// ClearLink restores the default for the directed link from → to.
func (n *Network) ClearLink(from, to peer.ID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.links, linkID{from, to})
}

func (n *Network) linkLocked(from, to peer.ID) LinkConfig {
	if lc, ok := n.links[linkID{from, to}]; ok {
		return lc
	}
	return n.DefaultLink()
}

// cutLocked reports whether traffic from → to cannot pass the partition or
// a down link right now (node liveness is checked separately).
func (n *Network) cutLocked(from, to peer.ID) bool {
	if n.group != nil && n.group[from] != n.group[to] {
		return true
	}
	return n.linkLocked(from, to).Down
}

// Crash kills the current incarnation of id: every stream it holds is
// reset at both ends immediately, its handlers and subscriptions are
// removed (Next returns p2p.ErrClosed), its transport methods return
// p2p.ErrClosed, and traffic to it is cut. Idempotent.
func (n *Network) Crash(id peer.ID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.crashLocked(n.nodes[id])
}

// Restart crashes id if alive and returns a fresh Node with the same peer
// ID and a new incarnation; the test rebuilds its services on it.
func (n *Network) Restart(id peer.ID) *Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	old := n.nodes[id]
	if old == nil || n.closed {
		panic(fmt.Sprintf("simnet: Restart(%s): unknown peer or closed network", id))
	}
	n.crashLocked(old)
	return n.newNodeLocked(id)
}

func (n *Network) crashLocked(nd *Node) {
	if nd == nil || !nd.alive {
		return
	}
	nd.alive = false
	for e := range nd.ends {
		n.resetBothLocked(e)
	}
	clear(nd.handlers)
	for topic, s := range nd.subs {
		n.unsubscribeLocked(s)
		s.closed = true
		s.wake()
		delete(nd.subs, topic)
	}
}

// RunUntilQuiet lets virtual time run until no network event is scheduled
// and every goroutine in the bubble is blocked, or until max of virtual
// time has passed (max <= 0 means DefaultQuietBound), then returns
// ErrNotQuiet. Protocol timers that are still pending do not count as
// activity: after it returns, Advance lets them fire. Call it only from
// the bubble's test goroutine (it uses synctest.Wait).
func (n *Network) RunUntilQuiet(max time.Duration) error {
	if max <= 0 {
		max = DefaultQuietBound
	}
	deadline := time.Now().Add(max)
	for {
		synctest.Wait()
		pending, next := n.nextWake()
		if pending == 0 {
			return nil
		}
		now := time.Now()
		if !now.Before(deadline) {
			return fmt.Errorf("%w: %d events pending after %v", ErrNotQuiet, pending, max)
		}
		if next.After(deadline) {
			next = deadline
		}
		time.Sleep(max1ns(next.Sub(now)))
	}
}

// Advance sleeps d of virtual time (deliveries and protocol timers run
// meanwhile) and then waits until every goroutine in the bubble is blocked.
// Test goroutine only.
func (n *Network) Advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func (n *Network) nextWake() (int, time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) == 0 {
		return 0, time.Time{}
	}
	at := n.queue[0].at
	if !at.After(n.lastAt) {
		at = n.lastAt.Add(time.Nanosecond)
	}
	return len(n.queue), at
}

func max1ns(d time.Duration) time.Duration {
	if d < time.Nanosecond {
		return time.Nanosecond
	}
	return d
}
