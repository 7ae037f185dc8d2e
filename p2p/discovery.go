package p2p

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/discovery"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Discovery timing. Advertising fails while the routing table is empty
// (and the library helper would then back off 2 minutes), so the loop
// waits for routing-table peers before advertising.
const (
	discoveryTick       = 250 * time.Millisecond
	advertiseRetry      = 5 * time.Second
	advertiseTimeout    = 30 * time.Second
	findMinInterval     = 500 * time.Millisecond
	findMaxInterval     = 30 * time.Second
	findLimit           = 64
	discoveryDialTimout = 10 * time.Second
)

// RelayNamespace is the DHT namespace relay-service hosts advertise
// (SPEC §15).
const RelayNamespace = "aura/relay"

// discoveryState is the discovery loop's schedule, owned by that loop.
type discoveryState struct {
	advertise     []string             // namespaces this host advertises
	nextAdvertise map[string]time.Time // per namespace
	nextFind      time.Time
	findEvery     time.Duration
}

// discoveryLoop advertises aura/rdv/<Neighbourhood> once the routing table
// is non-empty (re-advertising before the TTL lapses) and periodically
// finds and dials peers of the namespace and of the routing table, backing
// off while nothing new turns up. It runs until Close.
func (h *Host) discoveryLoop() {
	ns := RendezvousNamespace(h.cfg.Neighbourhood)
	st := discoveryState{advertise: []string{ns}, nextAdvertise: map[string]time.Time{}, findEvery: findMinInterval}
	if h.cfg.Bootstrap || h.cfg.EnableRelayService {
		st.advertise = append(st.advertise, RelayNamespace)
	}
	tick := time.NewTicker(discoveryTick)
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-tick.C:
		}
		if h.RoutingTableSize() == 0 {
			continue
		}
		h.discoveryStep(ns, &st, time.Now())
	}
}

func (h *Host) discoveryStep(ns string, st *discoveryState, now time.Time) {
	for _, a := range st.advertise {
		if !now.Before(st.nextAdvertise[a]) {
			st.nextAdvertise[a] = now.Add(h.advertise(a))
		}
	}
	if now.Before(st.nextFind) {
		return
	}
	if n := h.findAndDial(ns); n > 0 {
		st.findEvery = findMinInterval
	} else {
		st.findEvery = min(2*st.findEvery, findMaxInterval)
	}
	st.nextFind = now.Add(st.findEvery)
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
// table and returns how many new connections it made.
func (h *Host) findAndDial(ns string) int {
	ctx, cancel := context.WithTimeout(h.ctx, advertiseTimeout)
	defer cancel()
	found, err := h.disc.FindPeers(ctx, ns, discovery.Limit(findLimit))
	if err != nil {
		h.log.Debug("find peers failed", "ns", ns, "err", err)
	}
	n := 0
	for ai := range found {
		n += h.dialNew(ai)
	}
	for _, p := range h.dht.RoutingTable().ListPeers() {
		n += h.dialNew(h.host.Peerstore().PeerInfo(p))
	}
	return n
}

// dialNew dials ai if it is a new, dialable peer; it returns 1 on a new
// connection.
func (h *Host) dialNew(ai peer.AddrInfo) int {
	if ai.ID == h.host.ID() || len(ai.Addrs) == 0 || h.connected(ai.ID) || h.ctx.Err() != nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(h.ctx, discoveryDialTimout)
	defer cancel()
	if err := h.Connect(ctx, ai); err != nil {
		h.log.Debug("discovery dial failed", "peer", ai.ID, "err", err)
		return 0
	}
	return 1
}
