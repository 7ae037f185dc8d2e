package sync

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/journal"
)

// Directions of a session in scheduler.active.
const (
	dirOut uint8 = 1 << iota
	dirIn
)

// sessionKey is one (namespace, peer) pair: at most one session each way.
type sessionKey struct {
	ns   journal.Namespace
	peer peer.ID
}

// rotation is one namespace's shuffled round-robin over its member peers.
type rotation struct {
	order []peer.ID // current shuffled pass
	next  int       // index of the next peer to try in order
}

// scheduler is the deterministic core of SPEC §9 "Schedule and bounds":
// peer choice, SyncPeerGap, failure backoff, one session per (peer,
// namespace) and the inbound cap. It reads no clock (now is an
// argument), does no I/O and draws only from its seeded rand. The
// service's run goroutine owns it.
type scheduler struct {
	gap, base, maxBackoff time.Duration
	maxInbound            int
	self                  peer.ID
	rng                   *rand.Rand

	rot      map[journal.Namespace]*rotation
	lastSync map[sessionKey]time.Time
	fails    map[sessionKey]int
	until    map[sessionKey]time.Time
	active   map[sessionKey]uint8 // dirOut | dirIn
	inbound  int
}

func newScheduler(cfg ServiceConfig, self peer.ID) *scheduler {
	return &scheduler{
		gap: cfg.SyncPeerGap, base: cfg.BackoffBase, maxBackoff: cfg.BackoffMax,
		maxInbound: cfg.SyncMaxInbound, self: self,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x73796e63)),
		rot:      map[journal.Namespace]*rotation{},
		lastSync: map[sessionKey]time.Time{}, fails: map[sessionKey]int{},
		until: map[sessionKey]time.Time{}, active: map[sessionKey]uint8{},
	}
}

// setPeers installs ns's member peers (self excluded by the caller). The
// rotation restarts with a fresh shuffle only if the set changed.
func (sc *scheduler) setPeers(ns journal.Namespace, peers []peer.ID) {
	r := sc.rot[ns]
	if r != nil && sameSet(r.order, peers) {
		return
	}
	r = &rotation{order: slices.Clone(peers)}
	slices.Sort(r.order)
	sc.shuffle(r)
	sc.rot[ns] = r
}

func sameSet(a, b []peer.ID) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func (sc *scheduler) shuffle(r *rotation) {
	sc.rng.Shuffle(len(r.order), func(i, j int) { r.order[i], r.order[j] = r.order[j], r.order[i] })
	r.next = 0
}

// eligible: not busy, not backing off, not synced within SyncPeerGap.
func (sc *scheduler) eligible(k sessionKey, now time.Time) bool {
	if sc.active[k]&dirOut != 0 {
		return false
	}
	if u, ok := sc.until[k]; ok && now.Before(u) {
		return false
	}
	if t, ok := sc.lastSync[k]; ok && now.Sub(t) < sc.gap {
		return false
	}
	return true
}

// candidates lists ns's eligible peers in round-robin order from the
// cursor, filtered by live (nil: every peer). The caller tries them in
// order and calls started with the first that opens.
func (sc *scheduler) candidates(ns journal.Namespace, now time.Time, live func(peer.ID) bool) []peer.ID {
	r := sc.rot[ns]
	if r == nil {
		return nil
	}
	var out []peer.ID
	for i := range r.order {
		p := r.order[(r.next+i)%len(r.order)]
		if sc.eligible(sessionKey{ns, p}, now) && (live == nil || live(p)) {
			out = append(out, p)
		}
	}
	return out
}

// started records an outbound reconcile session with p and moves the
// cursor past p; a completed pass reshuffles.
func (sc *scheduler) started(ns journal.Namespace, p peer.ID) {
	sc.active[sessionKey{ns, p}] |= dirOut
	r := sc.rot[ns]
	if r == nil {
		return
	}
	if i := slices.Index(r.order, p); i >= 0 {
		if i < r.next {
			sc.shuffle(r) // wrapped past the end: a new pass
			return
		}
		r.next = i + 1
		if r.next >= len(r.order) {
			sc.shuffle(r)
		}
	}
}

// tryPush records an outbound push session with p unless an outbound
// session with p runs; it does not move the rotation.
func (sc *scheduler) tryPush(ns journal.Namespace, p peer.ID) bool {
	k := sessionKey{ns, p}
	if sc.active[k]&dirOut != 0 {
		return false
	}
	sc.active[k] |= dirOut
	return true
}

// acquireInbound admits an inbound session from p for ns: at most
// SyncMaxInbound at once and one per (peer, namespace). An outbound
// session to p may run at the same time: refusing one of two crossed
// sessions would only cost a reset and a backoff.
func (sc *scheduler) acquireInbound(ns journal.Namespace, p peer.ID) bool {
	k := sessionKey{ns, p}
	if sc.inbound >= sc.maxInbound || sc.active[k]&dirIn != 0 {
		return false
	}
	sc.active[k] |= dirIn
	sc.inbound++
	return true
}

// finished releases a session. ok means it ended without error: p is
// synced now and its backoff resets; a failure backs off
// base·2ⁿ ≤ max. A push (sync false) only releases.
func (sc *scheduler) finished(ns journal.Namespace, p peer.ID, inbound, sync, ok bool, now time.Time) {
	k := sessionKey{ns, p}
	d := dirOut
	if inbound {
		d = dirIn
		sc.inbound--
	}
	if sc.active[k] &^= d; sc.active[k] == 0 {
		delete(sc.active, k)
	}
	switch {
	case ok && sync:
		sc.lastSync[k] = now
		delete(sc.fails, k)
		delete(sc.until, k)
	case !ok && !inbound:
		sc.fails[k]++
		sc.until[k] = now.Add(sc.backoff(sc.fails[k]))
	}
}

// backoff is base·2^(n-1) capped at max, for the n-th failure in a row.
func (sc *scheduler) backoff(n int) time.Duration {
	d := sc.base
	for i := 1; i < n && d < sc.maxBackoff; i++ {
		d *= 2
	}
	return min(d, sc.maxBackoff)
}
