package consensus

import (
	"testing"
	"time"
)

// commitAt runs until all nodes in who stored a commit of cid; it returns
// the virtual time the first node (the initiator) stored it.
func (c *cluster) waitCommit(tb testing.TB, cid [32]byte, who []int, limit time.Duration) {
	tb.Helper()
	if !c.runUntil(c.now.Add(limit), func() bool { return c.committedAll(cid, who) }) {
		tb.Fatalf("no commit on %v within %v (sent %v)", who, limit, c.sent)
	}
}

// TestFast1WarmPools is SPEC §16.1: n=5, t=3, pools warmed by a preceding
// instance (pipelined Next): the commit lands within one round trip of
// messages, Path=fast1, one Commit FactID per instance on all replicas.
func TestFast1WarmPools(t *testing.T) {
	c := newCluster(t, 3, 5, 1)
	c.start()
	c.runFor(100 * time.Millisecond) // deliver CommitmentAnnounce
	warm := c.propose(0, opAdd(1))
	c.waitCommit(t, warm, c.all(), time.Second)
	c.apply(c.commitsOf(0, warm)[0], c.all())
	c.runFor(100 * time.Millisecond)

	start := c.now
	cid := c.propose(0, opAdd(2))
	if !c.runUntil(c.now.Add(time.Second), func() bool { return len(c.commitsOf(0, cid)) > 0 }) {
		t.Fatal("initiator did not commit")
	}
	if rtt := 2 * c.maxDelay; c.now.Sub(start) > rtt {
		t.Fatalf("fast1 commit took %v > one round trip %v", c.now.Sub(start), rtt)
	}
	c.waitCommit(t, cid, c.all(), time.Second)
	for i := range c.n {
		if f := c.commitsOf(i, cid); len(f) != 1 || f[0].Path != PathFast1 {
			t.Fatalf("node %d: commits %d path %v", i, len(f), f[0].Path)
		}
	}
	c.checkSafety(c.all())
	if st, _ := c.nodes[3].State(cid); st != StateCommitted {
		t.Fatalf("witness state %v", st)
	}
	c.nodes[0].Resolve(cid, false)
	if o := c.nodes[0].Ready().Outcomes; len(o) != 1 || o[0].Kind != Superseded || o[0].Fact.CID != cid {
		t.Fatalf("Resolve outcome %+v", o)
	}
}

// TestFast2ColdThenFast1 is SPEC §16.2: cold pools give fast2 (2 RTTs);
// the piggybacked Next commitments make the next instance fast1.
func TestFast2ColdThenFast1(t *testing.T) {
	c := newCluster(t, 3, 5, 2) // no Start: cold pools
	start := c.now
	cid := c.propose(1, opAdd(5))
	if !c.runUntil(c.now.Add(time.Second), func() bool { return len(c.commitsOf(1, cid)) > 0 }) {
		t.Fatal("initiator did not commit")
	}
	if d := c.now.Sub(start); d > 4*c.maxDelay {
		t.Fatalf("fast2 took %v > two round trips", d)
	}
	c.waitCommit(t, cid, c.all(), time.Second)
	if p := c.commitsOf(1, cid)[0].Path; p != PathFast2 {
		t.Fatalf("cold path %d, want fast2", p)
	}
	c.checkSafety(c.all())
	c.apply(c.commitsOf(1, cid)[0], c.all())
	next := c.propose(1, opAdd(6))
	c.waitCommit(t, next, c.all(), time.Second)
	if p := c.commitsOf(1, next)[0].Path; p != PathFast1 {
		t.Fatalf("next path %d, want fast1", p)
	}
}

// TestInvalidOpNothingSent: ErrInvalidOp at the initiator, nothing sent.
func TestInvalidOpNothingSent(t *testing.T) {
	c := newCluster(t, 3, 5, 3)
	if _, err := c.nodes[0].Propose(opAdd(0), c.now); !errIs(err, ErrInvalidOp) {
		t.Fatalf("Propose invalid op: %v", err)
	}
	if c.nodes[0].HasReady() {
		t.Fatal("invalid op produced output")
	}
}
