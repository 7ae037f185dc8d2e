package sync

import (
	"os"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// healRun is one §16.25 scenario's measurements.
type healRun struct {
	intervals int // SyncIntervals after heal until converged (-1: never)
	entries   int
	rounds    map[string]int
	resets    map[string]int
	symbols   uint64
	stored    int
	sent      int
}

// runHeal builds n replicas of one static context on simnet, partitions
// them in halves, has each write perSide facts, heals and steps virtual
// time in SyncInterval/10 until every replica holds identical EntryIDs,
// C[0] and reduced state, or maxIntervals pass.
func runHeal(t *testing.T, seed int64, n, writes int, drop float64, maxIntervals int) healRun {
	var out healRun
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, uint64(seed))
		net := simnet.New(simnet.Config{Seed: seed, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, DropRate: drop})
		defer net.Close()
		fx := journaltest.NewStaticContext("heal", n)
		nodes := net.AddNodes(n)
		trs := make([]p2p.Transport, n)
		for i, nd := range nodes {
			trs[i] = nd
		}
		cfg := DefaultServiceConfig()
		ids := net.Peers()
		net.Partition(ids[:n/2], ids[n/2:])
		rs := startReplicas(t, fx, trs, cfg, nil)
		defer closeReplicas(rs)
		for _, r := range rs {
			r.write(t, fx, "w", writes)
		}
		net.Advance(3 * cfg.SyncInterval) // pushes and in-side rounds
		net.Heal()
		want := 1 + n + n*writes
		out.intervals = -1
		step := cfg.SyncInterval / 10
		for k := 1; k <= maxIntervals*10; k++ {
			net.Advance(step)
			if converged(t, rs, fx.NS(), want) {
				out.intervals = (k + 9) / 10
				break
			}
		}
		out.entries = want
		out.rounds, out.resets, out.symbols, out.stored, out.sent = sumMetrics(rs)
	})
	return out
}

func sumMetrics(rs []*replica) (rounds, resets map[string]int, symbols uint64, stored, sent int) {
	rounds, resets = map[string]int{}, map[string]int{}
	for _, r := range rs {
		ro, re, sy, st, se := r.m.snapshot()
		for k, v := range ro {
			rounds[k] += v
		}
		for k, v := range re {
			resets[k] += v
		}
		symbols += sy
		stored += st
		sent += se
	}
	return
}

func TestHealConverges(t *testing.T) {
	// SPEC §16.25: 10 replicas, 5/5, writes on both sides, heal: identical
	// C[0] within ⌈log₂ 10⌉+3 = 7 SyncIntervals.
	seeds := []int64{1, 2, 3}
	if os.Getenv("AURA_LONG") == "1" {
		seeds = seeds[:0]
		for s := int64(1); s <= 200; s++ {
			seeds = append(seeds, s)
		}
	}
	worst := 0
	for _, seed := range seeds {
		r := runHeal(t, seed, 10, 3, 0, 7)
		if r.intervals < 0 {
			t.Fatalf("seed %d: not converged within 7 intervals after heal (rounds %v resets %v)", seed, r.rounds, r.resets)
		}
		worst = max(worst, r.intervals)
		t.Logf("seed %d: converged in %d intervals; %d entries; rounds %v; resets %v; symbols %d; stored %d; bytes sent %d",
			seed, r.intervals, r.entries, r.rounds, r.resets, r.symbols, r.stored, r.sent)
	}
	t.Logf("worst: %d intervals over %d seeds", worst, len(seeds))
}

func TestHealConvergesUnderLoss(t *testing.T) {
	// 20% seeded frame loss (each loss resets its session): still converges.
	seeds := []int64{1, 2}
	if os.Getenv("AURA_LONG") == "1" {
		seeds = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	}
	worst := 0
	for _, seed := range seeds {
		r := runHeal(t, seed, 10, 3, 0.2, 30)
		if r.intervals < 0 {
			t.Fatalf("seed %d: not converged within 30 intervals under 20%% loss (rounds %v resets %v)", seed, r.rounds, r.resets)
		}
		worst = max(worst, r.intervals)
		t.Logf("seed %d (20%% loss): converged in %d intervals; rounds %v; resets %v; bytes sent %d",
			seed, r.intervals, r.rounds, r.resets, r.sent)
	}
	t.Logf("worst under loss: %d intervals", worst)
}

var _ = peer.ID("")
