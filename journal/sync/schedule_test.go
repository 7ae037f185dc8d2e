package sync

import (
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
)

func testScheduler(seed uint64) (*scheduler, journal.Namespace, []peer.ID) {
	cfg := DefaultServiceConfig()
	cfg.Seed = seed
	ids := simnet.PeerIDs(6)
	sc := newScheduler(cfg, ids[0])
	ns := journal.ContextNS(journal.ContextID{1})
	sc.setPeers(ns, ids[1:])
	return sc, ns, ids[1:]
}

// TestSchedulerRoundRobin: each pass visits every peer once, in a
// shuffled order that depends on the seed.
func TestSchedulerRoundRobin(t *testing.T) {
	sc, ns, peers := testScheduler(1)
	peers = slices.Sorted(slices.Values(peers))
	now := time.Unix(0, 0)
	var firstPass []peer.ID
	for pass := range 3 {
		var seen []peer.ID
		for range peers {
			c := sc.candidates(ns, now, nil)
			if len(c) == 0 {
				t.Fatalf("pass %d: no candidate", pass)
			}
			sc.started(ns, c[0])
			sc.finished(ns, c[0], false, true, true, now)
			seen = append(seen, c[0])
			now = now.Add(time.Hour) // past the gap
		}
		if pass == 0 {
			firstPass = slices.Clone(seen)
		}
		slices.Sort(seen)
		if !slices.Equal(seen, peers) {
			t.Fatalf("pass %d visited %v, want each of %v once", pass, seen, peers)
		}
	}
	other, _, _ := testScheduler(2)
	c := other.candidates(ns, now, nil)
	if slices.Equal(c, firstPass) {
		t.Log("seeds 1 and 2 shuffled alike (possible, 1/120)")
	}
}

// TestSchedulerGapBusyBackoff: a peer synced less than SyncPeerGap ago, a
// busy peer and a backing-off peer are skipped; backoff doubles to 30 s.
func TestSchedulerGapBusyBackoff(t *testing.T) {
	sc, ns, peers := testScheduler(3)
	now := time.Unix(0, 0)
	p := peers[0]
	has := func(at time.Time) bool { return slices.Contains(sc.candidates(ns, at, nil), p) }
	sc.started(ns, p)
	if has(now) {
		t.Fatal("busy peer offered")
	}
	sc.finished(ns, p, false, true, true, now)
	if has(now.Add(sc.gap - time.Millisecond)) {
		t.Fatal("peer offered within SyncPeerGap")
	}
	if !has(now.Add(sc.gap)) {
		t.Fatal("peer not offered after SyncPeerGap")
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
		8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for n, w := range want {
		now = now.Add(time.Hour)
		sc.started(ns, p)
		sc.finished(ns, p, false, true, false, now)
		if has(now.Add(w-time.Millisecond)) || !has(now.Add(w)) {
			t.Fatalf("failure %d: backoff is not %v", n+1, w)
		}
	}
	sc.started(ns, p)
	sc.finished(ns, p, false, true, true, now)
	if sc.fails[sessionKey{ns, p}] != 0 {
		t.Fatal("success did not reset the backoff")
	}
	live := func(q peer.ID) bool { return q != peers[1] }
	if slices.Contains(sc.candidates(ns, now.Add(time.Hour), live), peers[1]) {
		t.Fatal("peer without a live connection offered")
	}
}

// TestSchedulerInbound: ≤ SyncMaxInbound inbound sessions and one per
// (peer, namespace); an outbound session to the same peer may coexist.
func TestSchedulerInbound(t *testing.T) {
	sc, ns, peers := testScheduler(4)
	if !sc.acquireInbound(ns, peers[0]) || sc.acquireInbound(ns, peers[0]) {
		t.Fatal("second inbound session from one peer admitted")
	}
	sc.started(ns, peers[0])
	sc.finished(ns, peers[0], true, true, true, time.Unix(0, 0))
	if !sc.acquireInbound(ns, peers[0]) {
		t.Fatal("inbound refused after release while outbound runs")
	}
	for i := 1; i < sc.maxInbound; i++ {
		if !sc.acquireInbound(journal.ContextNS(journal.ContextID{byte(i + 1)}), peers[1]) {
			t.Fatalf("inbound %d refused", i+1)
		}
	}
	if sc.acquireInbound(ns, peers[2]) {
		t.Fatal("inbound beyond SyncMaxInbound admitted")
	}
}
