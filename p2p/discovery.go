package p2p

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/discovery"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Discovery timing. Advertising fails while the routing table is empty
// (and the library helper would then back off 2 minutes), so the
// advertise loop waits for routing-table peers before advertising.
const (
	discoveryTick        = 250 * time.Millisecond
	advertiseRetry       = 5 * time.Second
	advertiseTimeout     = 30 * time.Second
	findMinInterval      = 500 * time.Millisecond
	findMaxInterval      = 30 * time.Second
	findLimit            = 64
	findTimeout          = 10 * time.Second
	discoveryDialTimeout = 10 * time.Second
	// discoveryDialParallel bounds concurrent discovery dials per host.
	discoveryDialParallel = 8
	// While the routing table is empty but the host has connections, the
	// routing loop re-runs the DHT's low-peer fix (add every connected DHT
	// server after a lookup check) and a refresh every routingFixEvery.
	routingFixEvery = time.Second
)

// RelayNamespace is the DHT namespace relay-service hosts advertise
// (SPEC §15).
const RelayNamespace = "aura/relay"

// startDiscovery starts the three discovery loops. Each owns its own
// schedule, so a slow advertise (a DHT provide walks the network) never
// delays finding and dialing peers, and neither delays the routing fix.
func (h *Host) startDiscovery() {
	ns := RendezvousNamespace(h.cfg.Neighbourhood)
	adv := []string{ns}
	if h.cfg.Bootstrap || h.cfg.EnableRelayService {
		adv = append(adv, RelayNamespace)
	}
	h.goLoop(func() { h.advertiseLoop(adv) })
	h.goLoop(func() { h.findLoop(ns) })
	h.goLoop(h.routingLoop)
}

// every calls step on each discoveryTick until Close.
func (h *Host) every(step func(now time.Time)) {
	tick := time.NewTicker(discoveryTick)
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case now := <-tick.C:
			step(now)
		}
	}
}

// advertiseLoop provides each namespace once the routing table is
// non-empty, re-advertising before the TTL lapses (retrying after
// advertiseRetry on failure).
func (h *Host) advertiseLoop(namespaces []string) {
	next := make(map[string]time.Time, len(namespaces))
	h.every(func(now time.Time) {
		if h.RoutingTableSize() == 0 {
			return
		}
		for _, a := range namespaces {
			if !now.Before(next[a]) {
				next[a] = time.Now().Add(h.advertise(a))
			}
		}
	})
}

// findLoop periodically finds and dials peers of the namespace and of
// the routing table, backing off while nothing new turns up.
func (h *Host) findLoop(ns string) {
	var nextFind time.Time
	every := findMinInterval
	h.every(func(now time.Time) {
		if h.RoutingTableSize() == 0 || now.Before(nextFind) {
			return
		}
		if h.findAndDial(ns) > 0 {
			every = findMinInterval
		} else {
			every = min(2*every, findMaxInterval)
		}
		nextFind = time.Now().Add(every)
	})
}

// routingLoop re-runs dht.Bootstrap (the DHT's low-peer fix plus a
// refresh) every routingFixEvery while the routing table is empty and the
// host has connections. The DHT only adds a connected peer after identify
// and a lookup check; if that check fails (a loaded seed answering late),
// the library retries only every two minutes, and with an empty table
// neither its refresh nor our find loop can add anyone. Once the table has
// a peer, the library's refresh fills it.
func (h *Host) routingLoop() {
	var next time.Time
	h.every(func(now time.Time) {
		if now.Before(next) || h.RoutingTableSize() > 0 || len(h.host.Network().Peers()) == 0 {
			return
		}
		h.RefreshRouting()
		next = now.Add(routingFixEvery)
	})
}

// advertise provides ns and returns the delay before the next advertise.
func (h *Host) advertise(ns string) time.Duration {
	ctx, cancel := context.WithTimeout(h.ctx, advertiseTimeout)
	defer cancel()
	ttl, err := h.disc.Advertise(ctx, ns)
	if err != nil {
		h.log.Debug("advertise failed", "ns", ns, "err", err)
		return advertiseRetry
	}
	return ttl * 7 / 8
}

// findAndDial dials unconnected peers found under ns or in the routing
// table, at most discoveryDialParallel at a time, and returns how many
// new connections it made.
func (h *Host) findAndDial(ns string) int {
	ctx, cancel := context.WithTimeout(h.ctx, findTimeout)
	defer cancel()
	found, err := h.disc.FindPeers(ctx, ns, discovery.Limit(findLimit))
	if err != nil {
		h.log.Debug("find peers failed", "ns", ns, "err", err)
	}
	var cands []peer.AddrInfo
	for ai := range found {
		cands = append(cands, ai)
	}
	for _, p := range h.dht.RoutingTable().ListPeers() {
		cands = append(cands, h.host.Peerstore().PeerInfo(p))
	}
	return h.dialAll(cands)
}

// dialAll dials the new, dialable peers among cands, at most
// discoveryDialParallel at a time, and returns how many connected.
func (h *Host) dialAll(cands []peer.AddrInfo) int {
	var n atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, discoveryDialParallel)
	seen := make(map[peer.ID]bool, len(cands))
	for _, ai := range cands {
		if seen[ai.ID] || !h.dialable(ai) {
			continue
		}
		seen[ai.ID] = true
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n.Add(int64(h.dialNew(ai)))
		}()
	}
	wg.Wait()
	return int(n.Load())
}

// dialable reports whether ai is another peer with addresses that is not
// connected yet.
func (h *Host) dialable(ai peer.AddrInfo) bool {
	return ai.ID != h.host.ID() && len(ai.Addrs) > 0 && !h.connected(ai.ID) && h.ctx.Err() == nil
}

// dialNew dials ai if it is a new, dialable peer; it returns 1 on a new
// connection.
func (h *Host) dialNew(ai peer.AddrInfo) int {
	if !h.dialable(ai) {
		return 0
	}
	ctx, cancel := context.WithTimeout(h.ctx, discoveryDialTimeout)
	defer cancel()
	if err := h.Connect(ctx, ai); err != nil {
		h.log.Debug("discovery dial failed", "peer", ai.ID, "err", err)
		return 0
	}
	return 1
}
