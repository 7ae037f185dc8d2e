package consensus

import (
	"slices"
	"testing"
	"time"
)

// forgeVote re-signs v for another rid with the Byzantine witness's key.
func (c *cluster) forgeVote(v Vote, rid [32]byte) Vote {
	v.RID = rid
	v.Sig = signHash(c.ks.vkeys[c.index(v.Witness)], v.SigningHash())
	return v
}

// TestEquivocationEvidence is SPEC §16.3: n=5, t=3, witness w sends votes
// for two rids: every honest replica holds one Commit FactID for the
// instance and an Equivocation proof naming w, and no package aggregated
// after the proof reached its aggregator contains w.
func TestEquivocationEvidence(t *testing.T) {
	met := &countMetrics{}
	c := newCluster(t, 3, 5, 7, func(cfg *Config) {
		if cfg.Self == witness(0) {
			cfg.Metrics = met
		}
	})
	c.minDelay, c.maxDelay = 20*time.Millisecond, 20*time.Millisecond // FIFO per link
	c.start()
	c.runFor(100 * time.Millisecond)
	const w = 1
	c.onSend = func(from, to int, m Message) []Message {
		s, ok := m.(*SignShare)
		if from != w || !ok {
			return []Message{m}
		}
		bogus := *s
		bogus.Vote = c.forgeVote(s.Vote, [32]byte{0xee})
		bogus.Shares, bogus.Next = nil, nil
		return []Message{&bogus, m} // the proof reaches the initiator first
	}
	cid := c.propose(0, opAdd(9))
	honest := without(c.all(), w)
	_, round, _ := c.nodes[0].Timing()
	c.waitCommit(t, cid, honest, 10*round)
	c.runFor(time.Second)
	wid := c.ks.com.Members[w].FrostID
	for _, i := range honest {
		fs := c.commitsOf(i, cid)
		if len(fs) == 0 || slices.Contains(fs[0].Signers, wid) {
			t.Fatalf("node %d: commits %d, signers %v include the equivocator", i, len(fs), fs[0].Signers)
		}
		found := false
		for _, p := range c.stores[i].evidence {
			found = found || (p.Vote1.Witness == witness(w) && p.Vote1.CID == cid)
		}
		if !found {
			t.Fatalf("node %d holds no Equivocation proof naming w", i)
		}
	}
	c.checkSafety(honest)
	if met.equivocations != 1 || met.commits == 0 || met.conflicting != 0 {
		t.Fatalf("metrics at the initiator: %+v", met)
	}
}

// countMetrics records Metrics calls.
type countMetrics struct {
	NopMetrics
	equivocations, commits, conflicting, fallbacks int
}

func (m *countMetrics) Equivocation()                  { m.equivocations++ }
func (m *countMetrics) CommitStored(uint8)             { m.commits++ }
func (m *countMetrics) ConflictingCommit()             { m.conflicting++ }
func (m *countMetrics) FallbackEntered(FallbackReason) { m.fallbacks++ }

// TestProofVerifiesAlone: a proof with a forged vote, equal rids or two
// witnesses is refused (no false accusation, SPEC §5.7).
func TestProofVerifiesAlone(t *testing.T) {
	c := newCluster(t, 3, 5, 8)
	nd := c.nodes[0]
	inst := nd.instance([32]byte{1})
	inst.exec = &Execute{}
	v := Vote{CID: inst.cid, Witness: witness(2), KeyEpoch: c.ks.com.KeyEpoch, RID: [32]byte{1}}
	v.Sig = signHash(c.ks.vkeys[2], v.SigningHash())
	good := c.forgeVote(v, [32]byte{2})
	forged := good
	forged.Sig[0] ^= 1
	other := c.forgeVote(Vote{CID: inst.cid, Witness: witness(3), KeyEpoch: v.KeyEpoch}, [32]byte{2})
	for name, p := range map[string]EquivocationProof{
		"forged sig": {v, forged}, "same rid": {v, v}, "two witnesses": {v, other},
	} {
		if err := nd.checkProof(inst, &p); !errIs(err, ErrInvalidMessage) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := nd.checkProof(inst, &EquivocationProof{v, good}); err != nil {
		t.Fatalf("valid proof refused: %v", err)
	}
}

// TestRestartVoteLog is SPEC §16.7: a witness restarts after fsyncing its
// vote. (a) With its executor forced to another post-state it refuses to
// vote; (b) packages naming pre-restart commitments get NonceCommit, never
// a share; (d) the instance commits; (e) its CommitmentAnnounce reaches
// every member and the next instance runs fast1.
func TestRestartVoteLog(t *testing.T) {
	c := newCluster(t, 3, 5, 9)
	c.start()
	c.runFor(100 * time.Millisecond)
	const w = 2
	var exec *Execute
	c.onDeliver = func(from, to int, m Message) {
		if x, ok := m.(*Execute); ok && to == w {
			exec = x
		}
	}
	// The initiator's SignShares are lost so the instance stays open.
	c.cut = func(from, to int) bool { return to == 0 && from != 0 }
	cid := c.propose(0, opAdd(2))
	c.runFor(40 * time.Millisecond)
	if exec == nil || len(c.stores[w].votes) == 0 {
		t.Fatal("witness did not receive Execute or vote")
	}
	// (a) restart with a lying executor: the vote log refuses.
	c.scopes[w].lie = c.rng
	c.nodes[w] = c.build(w)
	if err := c.nodes[w].Step(witness(0), exec, c.now); err != nil {
		t.Fatal(err)
	}
	rd := c.nodes[w].Ready()
	for _, e := range rd.Messages {
		if _, ok := e.Msg.(*SignShare); ok {
			t.Fatal("(a) restarted witness with another post-state voted")
		}
	}
	if len(rd.VoteWrites) != 0 {
		t.Fatal("(a) vote log was rewritten")
	}
	// (b) honest executor: pre-restart commitments get NonceCommit, no share.
	c.scopes[w].lie = nil
	c.nodes[w] = c.build(w)
	if err := c.nodes[w].Step(witness(0), exec, c.now); err != nil {
		t.Fatal(err)
	}
	rd = c.nodes[w].Ready()
	var nc int
	for _, e := range rd.Messages {
		switch m := e.Msg.(type) {
		case *SignShare:
			if len(m.Shares) != 0 {
				t.Fatal("(b) share on a pre-restart commitment")
			}
		case *NonceCommit:
			nc++
		}
	}
	if nc == 0 {
		t.Fatal("(b) no NonceCommit")
	}
	// (d) the instance commits once the initiator hears the witnesses.
	c.cut = nil
	c.nodes[w].Start(c.now) // (e) announce after restart
	c.flush(w)
	_, round, _ := c.nodes[0].Timing()
	c.waitCommit(t, cid, c.all(), 10*round)
	c.checkSafety(c.all())
	c.apply(c.commitsOf(0, cid)[0], c.all())
	c.runFor(100 * time.Millisecond)
	next := c.propose(0, opAdd(3))
	c.waitCommit(t, next, c.all(), time.Second)
	if p := c.commitsOf(0, next)[0].Path; p != PathFast1 {
		t.Fatalf("(e) next instance path %d, want fast1", p)
	}
}
