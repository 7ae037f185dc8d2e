package consensus

import (
	"testing"
	"time"
)

// checkAges asserts OldestUndecided(now) on each listed node.
func (c *cluster) checkAges(t *testing.T, who []int, now time.Time, want time.Duration) {
	t.Helper()
	for _, i := range who {
		if a := c.nodes[i].OldestUndecided(now); a != want {
			t.Fatalf("node %d: OldestUndecided = %v, want %v", i, a, want)
		}
	}
}

// TestOldestUndecided checks the accessor behind
// aura_consensus_oldest_instance_age_seconds (SPEC §14): the age of the
// oldest held instance without a Commit, computed from the caller's now.
// A fast-path instance counts from its Propose at the initiator and drops
// to 0 once decided; an instance stuck after an initiator crash with only
// t−1 witnesses reachable ages with now (and only with now); after the
// partition heals the fallback commits and every node reports 0.
func TestOldestUndecided(t *testing.T) {
	c := newCluster(t, 3, 5, 11)
	c.start()
	c.runFor(100 * time.Millisecond)
	c.checkAges(t, c.all(), c.now, 0)

	// Fast path: counted at the initiator from Propose, 0 once decided.
	warm := c.propose(0, opAdd(1))
	c.checkAges(t, []int{0}, c.now.Add(7*time.Millisecond), 7*time.Millisecond)
	c.checkAges(t, []int{0}, c.now.Add(-time.Millisecond), 0) // now before creation
	c.waitCommit(t, warm, c.all(), time.Second)
	c.checkAges(t, c.all(), c.now, 0)
	c.apply(c.commitsOf(0, warm)[0], c.all())
	c.runFor(100 * time.Millisecond)

	// Stuck: {3, 4} cut off, the initiator crashes after its Execute, so
	// 1 and 2 hold the instance with t−1 = 2 votes and cannot commit.
	tfb, round, _ := c.nodes[1].Timing()
	far := func(i int) bool { return i >= 3 }
	c.cut = func(from, to int) bool { return far(from) != far(to) }
	proposed := c.now
	cid := c.crashAfterExecute(0, opAdd(2), nil)
	c.runFor(tfb + 3*round)
	live := []int{1, 2, 3, 4}
	for _, i := range live {
		if len(c.commitsOf(i, cid)) != 0 {
			t.Fatalf("node %d committed with t−1 witnesses reachable", i)
		}
	}
	for _, i := range []int{1, 2} {
		if st, _ := c.nodes[i].State(cid); st != StateFallback {
			t.Fatalf("node %d: state %v, want fallback", i, st)
		}
		a := c.nodes[i].OldestUndecided(c.now)
		if a <= tfb || a > c.now.Sub(proposed) {
			t.Fatalf("node %d: age %v, want in (T_fallback %v, %v]", i, a, tfb, c.now.Sub(proposed))
		}
		if b := c.nodes[i].OldestUndecided(c.now.Add(time.Hour)); b != a+time.Hour {
			t.Fatalf("node %d: age an hour later %v, want %v", i, b, a+time.Hour)
		}
		if c.nodes[i].HasReady() {
			t.Fatalf("node %d: the accessor produced output", i)
		}
	}
	c.checkAges(t, []int{3, 4}, c.now, 0) // never saw the instance

	t1, a1 := c.now, c.nodes[1].OldestUndecided(c.now)
	c.runFor(2 * round)
	if a2 := c.nodes[1].OldestUndecided(c.now); a2-a1 != c.now.Sub(t1) {
		t.Fatalf("age grew by %v over %v of virtual time", a2-a1, c.now.Sub(t1))
	}

	// Healed: 3 and 4 learn the instance from gossip, the fallback
	// commits, and the age is 0 everywhere.
	c.cut = nil
	c.waitCommit(t, cid, live, 20*round)
	c.checkAges(t, live, c.now, 0)
	c.checkSafety(live)
}
