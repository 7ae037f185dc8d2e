package consensus

import (
	"testing"
	"time"
)

// TestBogusCommitmentsIgnored is SPEC §16.37 (first half): unsigned or
// mis-signed commitments for w, commitments with another member's signer
// id, and commitments For another initiator never enter a package, and a
// package naming a commitment For another initiator gets no share.
func TestBogusCommitmentsIgnored(t *testing.T) {
	c := newCluster(t, 3, 5, 13)
	c.start()
	c.runFor(100 * time.Millisecond)
	n0, n1 := c.nodes[0], c.nodes[1]
	w := witness(1)
	fresh := func(forKey [32]byte) SignedCommitment {
		sc, err := n1.issue(forKey, false)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	n0.pool.cache[w] = nil
	badSig := fresh(initiatorFor(witness(0)))
	badSig.Sig[3] ^= 1
	otherFor := fresh(initiatorFor(witness(2)))
	wrongID := fresh(initiatorFor(witness(0)))
	wrongID.Witness = witness(3) // signer id in the bytes is 2, member 3 has FrostID 4
	wrongID.Sig = signHash(c.ks.vkeys[3], wrongID.SigningHash())
	unsigned := fresh(initiatorFor(witness(0)))
	unsigned.Sig = [64]byte{}
	before3 := len(n0.pool.cache[witness(3)])
	for _, sc := range []SignedCommitment{badSig, otherFor, wrongID, unsigned} {
		_ = n0.Step(sc.Witness, &CommitmentAnnounce{KeyEpoch: c.ks.com.KeyEpoch, Commitments: []SignedCommitment{sc}}, c.now)
	}
	if len(n0.pool.cache[w]) != 0 || len(n0.pool.cache[witness(3)]) != before3 {
		t.Fatalf("bogus commitments cached: %d, %d", len(n0.pool.cache[w]), len(n0.pool.cache[witness(3)])-before3)
	}
	// Force a package naming w's commitment issued For node 2.
	forced := fresh(initiatorFor(witness(2)))
	n0.pool.cache = map[WitnessID][]SignedCommitment{w: {forced}, witness(3): n0.pool.cache[witness(3)]}
	cid := c.propose(0, opAdd(1))
	c.waitCommit(t, cid, c.all(), 2*time.Second)
	if _, unused := n1.own(forced.Commitment); !unused {
		t.Fatal("w consumed a commitment For another initiator")
	}
	c.checkSafety(c.all())
}

// TestRoundJumpNeedsNMinusTPlus1 is SPEC §16.37 (second half): one
// Byzantine member's round-(r+5) AggregateShares do not move honest
// witnesses; n−t+1 distinct signed ones do.
func TestRoundJumpNeedsNMinusTPlus1(t *testing.T) {
	c := newCluster(t, 3, 5, 14)
	c.start()
	c.runFor(100 * time.Millisecond)
	c.nodes[4] = nil
	cid := c.crashAfterExecute(0, opAdd(1), nil)
	if !c.runUntil(c.now.Add(10*time.Second), func() bool {
		i := c.nodes[1].insts[cid]
		return i != nil && i.fb != nil
	}) {
		t.Fatal("no fallback")
	}
	forged := func(from int, r uint32) *AggregateShare {
		a := &AggregateShare{CID: cid, Round: r, Witness: witness(from)}
		a.Sig = signHash(c.ks.vkeys[from], a.SigningHash())
		return a
	}
	nd := c.nodes[1]
	r0 := nd.insts[cid].fb.round
	for range 3 {
		_ = nd.Step(witness(4), forged(4, r0+5), c.now)
	}
	if r := nd.insts[cid].fb.round; r != r0 {
		t.Fatalf("one member's round-%d messages moved the round to %d", r0+5, r)
	}
	if err := nd.Step(witness(2), forged(4, r0+5), c.now); err != nil {
		t.Fatal(err)
	}
	if r := nd.insts[cid].fb.round; r != r0 {
		t.Fatal("a relayed copy counted as a second member")
	}
	_ = nd.Step(witness(0), forged(0, r0+5), c.now)
	if r := nd.insts[cid].fb.round; r != r0 {
		t.Fatal("two members (< n−t+1 = 3) moved the round")
	}
	bad := forged(3, r0+5)
	bad.Sig[0] ^= 1
	if err := nd.Step(witness(3), bad, c.now); !errIs(err, ErrInvalidMessage) {
		t.Fatalf("mis-signed AggregateShare: %v", err)
	}
	_ = nd.Step(witness(3), forged(3, r0+5), c.now)
	if r := nd.insts[cid].fb.round; r != r0+5 {
		t.Fatalf("n−t+1 signed round-%d messages left the round at %d", r0+5, r)
	}
	c.flush(1)
}

// TestBogusCommitsDoNotBlockExecute: one Byzantine member fills every
// other node's stub table (maxStubs) with Commits for unknown cids that
// never verify; a later honest Execute still creates its instance (it is
// not a stub), so the initiator commits on the fast path as usual.
func TestBogusCommitsDoNotBlockExecute(t *testing.T) {
	c := newCluster(t, 3, 5, 15)
	c.start()
	c.runFor(100 * time.Millisecond)
	byz := witness(4)
	for i := 1; i < 4; i++ {
		for k := range maxStubs {
			f := CommitFact{CID: [32]byte{0xbb, byte(k), byte(k >> 8)}, Scope: c.ks.com.Scope,
				KeyEpoch: c.ks.com.KeyEpoch, Threshold: c.ks.com.Threshold, Signers: []uint16{1, 2, 3}, Path: PathFast1}
			_ = c.nodes[i].Step(byz, &Commit{Fact: f}, c.now)
		}
		if got := c.nodes[i].stubs(); got != maxStubs {
			t.Fatalf("node %d: %d stubs, want the table full (%d)", i, got, maxStubs)
		}
	}
	cid := c.propose(0, opAdd(1))
	c.waitCommit(t, cid, []int{0, 1, 2, 3}, time.Second)
	c.checkSafety([]int{0, 1, 2, 3})
}
