package p2p

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const netPeers = 20

// TestNetwork20 is SPEC §16.43 plus the GossipSub burst: one bootstrap
// node and 20 peers on loopback with the public-reachability override.
func TestNetwork20(t *testing.T) {
	m := newCountingMetrics()
	boot, peers := startNetworkM(t, netPeers, m)
	t.Cleanup(func() { t.Logf("drops: %v", m.snapshotDropped()) })
	all := append([]*Host{boot}, peers...)
	n := len(all)

	t.Run("joined", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		start := time.Now()
		for i, h := range all {
			if err := h.WaitJoined(ctx, n); err != nil {
				t.Fatalf("host %d: %v (rt=%d)", i, err, h.RoutingTableSize())
			}
		}
		t.Logf("all %d joined in %s", n, time.Since(start))
	})
	t.Run("dht_server_and_discovery", func(t *testing.T) {
		for i, h := range all {
			if !h.DHTServer() {
				t.Errorf("host %d: DHT not in server mode", i)
			}
			if rt := h.RoutingTableSize(); rt < 5 {
				t.Errorf("host %d: routing table %d < 5", i, rt)
			}
		}
		hasHop := func(h *Host) bool {
			return slices.Contains(h.LibP2P().Mux().Protocols(), "/libp2p/circuit/relay/0.2.0/hop")
		}
		if !hasHop(boot) || hasHop(peers[0]) {
			t.Errorf("relay v2 service: bootstrap %v, peer %v; want only on bootstrap", hasHop(boot), hasHop(peers[0]))
		}
		// Every peer finds at least 5 non-bootstrap peers and connects.
		eventually(t, 30*time.Second, "≥5 non-bootstrap connections per peer", func() bool {
			for _, h := range peers {
				if len(h.ConnectedPeers())-1 < 5 {
					return false
				}
			}
			return true
		})
	})
	topic := FallbackTopic(DefaultNeighbourhood)
	subs := subscribeAll(t, all, topic)
	t.Run("broadcast", func(t *testing.T) {
		waitMeshes(t, all, topic)
		for i, h := range all {
			if err := h.Publish(context.Background(), topic, []byte(fmt.Sprintf("hello from %d", i))); err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
		}
		counts := drain(t, subs, n, 30*time.Second, nil)
		for i, c := range counts {
			if c != n {
				t.Errorf("host %d received %d/%d", i, c, n)
			}
		}
	})
	t.Run("burst", func(t *testing.T) {
		// Always a sample; the full 10 000 behind AURA_LONG=1.
		total := 2000
		switch {
		case os.Getenv("AURA_LONG") == "1":
			total = 10000
		case raceEnabled:
			total = 100
		}
		burst(t, all[1:], subs, topic, total)
	})
}

func subscribeAll(t *testing.T, hs []*Host, topic string) []Subscription {
	t.Helper()
	subs := make([]Subscription, len(hs))
	for i, h := range hs {
		s, err := h.Subscribe(topic, nil)
		if err != nil {
			t.Fatalf("subscribe %d: %v", i, err)
		}
		subs[i] = s
		t.Cleanup(s.Cancel)
	}
	return subs
}

func waitMeshes(t testing.TB, hs []*Host, topic string) {
	t.Helper()
	eventually(t, 30*time.Second, "every mesh non-empty", func() bool {
		for _, h := range hs {
			if h.MeshSize(topic) < 1 {
				return false
			}
		}
		return true
	})
}

// drain reads want distinct messages from every subscription (or until d)
// and returns the distinct counts; onMsg, if set, sees every message.
func drain(t testing.TB, subs []Subscription, want int, d time.Duration, onMsg func(i int, data []byte)) []int {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	counts := make([]int, len(subs))
	var wg sync.WaitGroup
	for i, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := make(map[string]struct{}, want)
			for len(seen) < want {
				m, err := s.Next(ctx)
				if err != nil {
					break
				}
				seen[string(m.Data)] = struct{}{}
				if onMsg != nil {
					onMsg(i, m.Data)
				}
			}
			counts[i] = len(seen)
		}()
	}
	wg.Wait()
	return counts
}

// burstMsg is a 64-byte message tagged as burst traffic.
// Each burst run uses a fresh epoch: ids are content-addressed, so a
// repeated payload would be deduplicated.
func burstMsg(epoch uint64, pub, seq int) []byte {
	msg := make([]byte, 64)
	binary.BigEndian.PutUint64(msg[12:], epoch)
	binary.BigEndian.PutUint32(msg[0:], burstTag)
	binary.BigEndian.PutUint32(msg[4:], uint32(pub))
	binary.BigEndian.PutUint32(msg[8:], uint32(seq))
	return msg
}

const burstTag = 0xB0B5

var burstEpoch atomic.Uint64

// countBurst reads sub until it holds want distinct burst messages or ctx
// ends, publishing its progress in got.
func countBurst(ctx context.Context, sub Subscription, want int, got *atomic.Int64) {
	seen := make(map[string]struct{}, want)
	for len(seen) < want {
		m, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if len(m.Data) == 64 && binary.BigEndian.Uint32(m.Data) == burstTag {
			if _, dup := seen[string(m.Data)]; !dup {
				seen[string(m.Data)] = struct{}{}
				got.Add(1)
			}
		}
	}
}

// burstWindow is how many messages may be in flight network-wide: GossipSub
// has no backpressure (full queues drop), so the publishers are paced by
// delivery, in rounds of burstWindow messages.
const burstWindow = 500

// burst publishes total distinct messages spread over pubs in rounds of
// burstWindow and checks every subscription receives all of them (0 lost).
// A round that is not fully delivered within its deadline fails the test
// with the per-receiver loss.
func burst(t testing.TB, pubs []*Host, subs []Subscription, topic string, total int) time.Duration {
	per := total / len(pubs)
	total = per * len(pubs)
	epoch := burstEpoch.Add(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make([]atomic.Int64, len(subs))
	var recvWG sync.WaitGroup
	for i, s := range subs {
		recvWG.Add(1)
		go func() {
			defer recvWG.Done()
			countBurst(ctx, s, total, &got[i])
		}()
	}
	defer recvWG.Wait()
	defer cancel()
	start := time.Now()
	perRound := max(1, burstWindow/len(pubs))
	for sent := 0; sent < per; sent += perRound {
		n := min(perRound, per-sent)
		publishRound(t, pubs, topic, epoch, sent, n)
		want := int64((sent + n) * len(pubs))
		if !waitDelivered(got, want, 60*time.Second) {
			for i := range got {
				if c := got[i].Load(); c < want {
					t.Errorf("receiver %d got %d/%d (lost %d)", i, c, want, want-c)
				}
			}
			return 0
		}
	}
	dur := time.Since(start)
	t.Logf("burst: %d messages from %d publishers to %d receivers, 0 lost, in %s (%.0f msg/s delivered per receiver)",
		total, len(pubs), len(subs), dur, float64(total)/dur.Seconds())
	return dur
}

// publishRound has every publisher publish n messages starting at seq.
func publishRound(t testing.TB, pubs []*Host, topic string, epoch uint64, seq, n int) {
	var wg sync.WaitGroup
	for i, h := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := seq; k < seq+n; k++ {
				if err := h.Publish(context.Background(), topic, burstMsg(epoch, i, k)); err != nil {
					t.Errorf("publish %d/%d: %v", i, k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// waitDelivered polls until every counter reaches want or d passes.
func waitDelivered(got []atomic.Int64, want int64, d time.Duration) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		done := true
		for i := range got {
			if got[i].Load() < want {
				done = false
				break
			}
		}
		if done {
			return true
		}
		<-tick.C
	}
	return false
}
