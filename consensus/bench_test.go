package consensus

import (
	"testing"
	"time"
)

// BenchmarkFast1Instance measures one warm fast1 instance (n=5, t=3),
// FROST included, in the pure harness.
func BenchmarkFast1Instance(b *testing.B) {
	c := newCluster(b, 3, 5, 30)
	c.start()
	c.runFor(100 * time.Millisecond)
	k := uint64(1)
	for b.Loop() {
		cid := c.propose(0, opAdd(k))
		k++
		if !c.runUntil(c.now.Add(time.Second), func() bool { return c.committedAll(cid, c.all()) }) {
			b.Fatal("no commit")
		}
		c.apply(c.commitsOf(0, cid)[0], c.all())
	}
}

// BenchmarkVerifyCommit measures SPEC §5.8 verification of one commit.
func BenchmarkVerifyCommit(b *testing.B) {
	c := newCluster(b, 3, 5, 31)
	cid := c.propose(0, opAdd(1))
	c.runFor(time.Second)
	f := c.commitsOf(0, cid)[0]
	for b.Loop() {
		if err := VerifyCommit(&f, c.scopes[1]); err != nil {
			b.Fatal(err)
		}
	}
}
