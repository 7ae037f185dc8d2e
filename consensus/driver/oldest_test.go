package driver

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestSimOldestInstanceAge checks that the driver reports
// aura_consensus_oldest_instance_age_seconds on every tick
// (Metrics.OldestInstanceAge from Node.OldestUndecided): 0 while nothing is
// pending; with {3, 4} partitioned away and the initiator crashed after
// its Execute, members 1 and 2 hold the instance with t−1 votes and report
// an age that follows virtual time; after the partition heals the fallback
// commits and every live member reports 0.
func TestSimOldestInstanceAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSimCluster(t, 3, 5, 3, simLatency, memberCfg{delta: 100 * time.Millisecond})
		defer c.close()
		f, _ := c.propose(0, 1, c.ms) // warm pools
		c.apply(f, c.ms)
		tick := c.ms[1].svc.cfg.TickInterval
		c.net.Advance(2 * tick)
		checkReportedAge(t, c.ms, 0)
		tfb, round, _, err := c.ms[1].svc.Timing(context.Background())
		if err != nil {
			t.Fatal(err)
		}

		pre := c.scope
		c.net.Partition([]peer.ID{c.peer(0), c.peer(1), c.peer(2)}, []peer.ID{c.peer(3), c.peer(4)})
		proposed := time.Now()
		cid, _ := c.crashAfterExecute(0, 5, simLatency)
		c.net.Advance(tfb + 3*round)
		live := without(c.ms, 0)
		for _, m := range live {
			for _, f := range m.storedCommits(t) {
				if f.CID == cid {
					t.Fatalf("member %d committed with t−1 witnesses reachable", m.i)
				}
			}
		}
		for _, m := range c.ms[1:3] {
			last, _ := m.met.age()
			elapsed := time.Since(proposed)
			// Created when the Execute arrived (one latency after Propose),
			// reported on each tick: at most one tick stale.
			if last <= tfb || last > elapsed || last < elapsed-simLatency-tick {
				t.Fatalf("member %d reports age %v, want in [%v, %v] and > T_fallback %v",
					m.i, last, elapsed-simLatency-tick, elapsed, tfb)
			}
		}
		checkReportedAge(t, c.ms[3:], 0) // never saw the instance

		a1, _ := c.ms[1].met.age()
		c.net.Advance(time.Second)
		if a2, _ := c.ms[1].met.age(); a2-a1 < time.Second-tick || a2-a1 > time.Second+tick {
			t.Fatalf("reported age grew by %v over 1s of virtual time", a2-a1)
		}

		c.net.Heal()
		for _, m := range live {
			m.waitCommit(t, cid, 20*round)
		}
		c.net.Advance(2 * tick)
		checkReportedAge(t, live, 0)
		checkAgree(t, live, cid, pre)
	})
}

// checkReportedAge asserts that each member reported at least once and
// that its last OldestInstanceAge was want.
func checkReportedAge(t *testing.T, ms []*member, want time.Duration) {
	t.Helper()
	for _, m := range ms {
		if last, n := m.met.age(); n == 0 || last != want {
			t.Fatalf("member %d: last reported age %v after %d reports, want %v", m.i, last, n, want)
		}
	}
}
