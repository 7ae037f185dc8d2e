package consensus

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"
)

// fallback is an instance's leaderless-round state (SPEC §5.6).
type fallback struct {
	entered  time.Time
	round    uint32
	start    time.Time
	lastEmit time.Time
	quiet    int
	changed  bool
	myCommit map[uint32]SignedCommitment
	commits  map[uint32]map[WitnessID]SignedCommitment
	myShares map[uint32][]PackageShare
	signed   map[uint32]bool
	seen     map[WitnessID]uint32 // highest signed round per member
	// supported is when t members (self included) were first seen at ≥
	// round; zero until then. The round timer runs from it.
	supported time.Time
}

// roundWindow bounds how far ahead of the local round commitments are kept.
const roundWindow = 1

// enterFallback starts round 1 (SPEC §5.6).
func (n *Node) enterFallback(inst *instance, why FallbackReason) {
	if inst.fb != nil || inst.commit != nil || inst.exec == nil {
		return
	}
	inst.fb = &fallback{
		entered: n.now, myCommit: map[uint32]SignedCommitment{},
		commits: map[uint32]map[WitnessID]SignedCommitment{}, myShares: map[uint32][]PackageShare{},
		signed: map[uint32]bool{}, seen: map[WitnessID]uint32{},
	}
	inst.state = StateFallback
	n.m.FallbackEntered(why)
	n.startRound(inst, 1)
}

// startRound moves to round r: drops unused commitments of older rounds,
// issues the one round-r commitment (voters only) and emits at once.
func (n *Node) startRound(inst *instance, r uint32) {
	fb := inst.fb
	for old, sc := range fb.myCommit {
		if old < r {
			if is, ok := n.own(sc.Commitment); ok {
				n.evict(is.c.ID)
			}
			delete(fb.myCommit, old)
		}
	}
	for old := range fb.commits {
		if old+1 < r {
			delete(fb.commits, old)
		}
	}
	fb.round, fb.start, fb.changed = r, n.now, true
	fb.seen[n.cfg.Self] = r
	fb.supported = time.Time{}
	fb.lastEmit = time.Time{}
	n.issueRoundCommitment(inst)
}

func (n *Node) issueRoundCommitment(inst *instance) {
	fb := inst.fb
	if !inst.voted {
		return
	}
	if _, ok := fb.myCommit[fb.round]; ok {
		return
	}
	sc, err := n.issue(fbFor(inst.cid, fb.round), false)
	if err != nil {
		return
	}
	fb.myCommit[fb.round] = sc
	n.storeRoundCommitment(inst, fb.round, sc)
}

// fallbackVoted runs when a node votes while already in fallback.
func (n *Node) fallbackVoted(inst *instance) {
	n.issueRoundCommitment(inst)
	inst.fb.changed = true
}

func (n *Node) storeRoundCommitment(inst *instance, r uint32, sc SignedCommitment) bool {
	fb := inst.fb
	m := fb.commits[r]
	if m == nil {
		m = map[WitnessID]SignedCommitment{}
		fb.commits[r] = m
	}
	if _, ok := m[sc.Witness]; ok {
		return false // one per (CID, r); a second one is ignored
	}
	m[sc.Witness] = sc
	if sc.Witness == n.cfg.Self {
		fb.changed = true
	}
	n.registerRound(inst, r)
	return true
}

// fallbackTick runs round timers, signing and emission.
func (n *Node) fallbackTick(inst *instance) {
	fb := inst.fb
	if fb.supported.IsZero() && n.roundSupported(inst) {
		fb.supported = n.now
	}
	if !fb.supported.IsZero() && !n.now.Before(fb.supported.Add(n.tm.round)) {
		n.startRound(inst, fb.round+1)
	}
	n.trySign(inst)
	if n.now.Sub(fb.lastEmit) < n.cfg.GossipInterval {
		return
	}
	if fb.changed || fb.quiet >= 3 {
		n.emit(inst)
		return
	}
	fb.quiet++
	fb.lastEmit = n.now
}

// emit publishes this node's signed AggregateShare for the current round.
func (n *Node) emit(inst *instance) {
	fb := inst.fb
	a := &AggregateShare{CID: inst.cid, Round: fb.round, Witness: n.cfg.Self,
		Votes: n.orderedVotes(inst), Shares: slices.Clone(fb.myShares[fb.round]), Evidence: newestEvidence(inst)}
	if sc, ok := fb.myCommit[fb.round]; ok {
		a.Commitments = []SignedCommitment{sc}
	}
	a.Sig = signHash(n.cfg.VoteKey, a.SigningHash())
	n.publish(a, WitnessID{})
	fb.changed, fb.quiet, fb.lastEmit = false, 0, n.now
}

// orderedVotes lists known non-equivocating votes, the bucket rid first.
func (n *Node) orderedVotes(inst *instance) []Vote {
	rid, _ := n.bucketRID(inst)
	var first, rest []Vote
	for _, m := range n.com.Members {
		v, ok := inst.votes[m.Witness]
		if !ok || inst.equiv[m.Witness] {
			continue
		}
		if v.RID == rid {
			first = append(first, v)
		} else {
			rest = append(rest, v)
		}
	}
	return append(first, rest...)
}

// bucketRID is the rid with ≥ t non-equivocating votes.
func (n *Node) bucketRID(inst *instance) ([32]byte, bool) {
	for _, rid := range inst.rids {
		if inst.goodVotes(rid) >= int(n.com.Threshold) {
			return rid, true
		}
	}
	return [32]byte{}, false
}

// canonicalSet computes S_r (SPEC §5.6): odd r, the first t by
// fallback-rank of bucket voters with a round-r commitment; even r, the
// ((r/2−1) mod C(n,t))-th t-subset of members in fallback-order. nil if
// not yet known.
func (n *Node) canonicalSet(inst *instance, r uint32) []WitnessID {
	t := int(n.com.Threshold)
	cms := inst.fb.commits[r]
	if r%2 == 1 {
		rid, ok := n.bucketRID(inst)
		if !ok {
			return nil
		}
		var voters []WitnessID
		for w, v := range inst.votes {
			if _, has := cms[w]; has && v.RID == rid && !inst.equiv[w] {
				voters = append(voters, w)
			}
		}
		if len(voters) < t {
			return nil
		}
		sortByHash(voters, func(w WitnessID) [32]byte { return fbRank(inst.cid, r, w) })
		return voters[:t]
	}
	members := make([]WitnessID, 0, n.com.N())
	for _, m := range n.com.Members {
		members = append(members, m.Witness)
	}
	sortByHash(members, func(w WitnessID) [32]byte { return fbOrder(inst.cid, w) })
	idx := kSubset(len(members), t, uint64(r/2-1)%binom(len(members), t))
	out := make([]WitnessID, t)
	for i, j := range idx {
		out[i] = members[j]
	}
	return out
}

// registerRound registers S_r's package once its t round-r commitments
// are known, so shares on it can be bucketed and aggregated.
func (n *Node) registerRound(inst *instance, r uint32) {
	set := n.canonicalSet(inst, r)
	if set == nil {
		return
	}
	var cms []SignedCommitment
	for _, w := range set {
		sc, ok := inst.fb.commits[r][w]
		if !ok {
			return
		}
		cms = append(cms, sc)
	}
	if inst.pkgKeys[setKey(cms)] {
		return
	}
	if sp, list, ok := n.packageOf(cms); ok {
		n.addPackage(inst, sp, list, PathFallback)
	}
}

// trySign signs S_r's package at most once per round, if this node is in
// S_r, voted the bucket rid, and holds S_r's t round-r commitments (odd r:
// after one GossipInterval of settling).
func (n *Node) trySign(inst *instance) {
	fb := inst.fb
	r := fb.round
	if fb.signed[r] || !inst.voted || inst.commit != nil {
		return
	}
	if r%2 == 1 && n.now.Sub(fb.start) < n.cfg.GossipInterval {
		return
	}
	if rid, ok := n.bucketRID(inst); !ok || rid != inst.ownRID {
		return
	}
	set := n.canonicalSet(inst, r)
	if !slices.Contains(set, n.cfg.Self) {
		return
	}
	var cms []SignedCommitment
	for _, w := range set {
		sc, ok := fb.commits[r][w]
		if !ok {
			return
		}
		cms = append(cms, sc)
	}
	fb.signed[r] = true
	sp, _, ok := n.packageOf(cms)
	if !ok {
		return
	}
	idx := slices.Index(sp.Signers, n.self.FrostID)
	ps, err := n.signOne(inst, fbFor(inst.cid, r), &sp, idx)
	if err != nil {
		n.log.Debug("fallback sign refused", "round", r, "err", err)
		return
	}
	fb.myShares[r] = append(fb.myShares[r], ps)
	n.registerRound(inst, r)
	_, _ = n.addShare(inst, n.cfg.Self, ps)
	if inst.commit == nil {
		n.emit(inst)
	}
}

// onAggregateShare merges a peer's signed fallback state (SPEC §5.6).
func (n *Node) onAggregateShare(from WitnessID, a *AggregateShare) error {
	m, ok := n.com.Member(a.Witness)
	if !ok || a.Round == 0 || !n.sigOK(m.VoteKey, a.SigningHash(), a.Sig) {
		return fmt.Errorf("%w: aggregate share signer or signature", ErrInvalidMessage)
	}
	if f, ok := n.decided[a.CID]; ok {
		n.answerDecided(a.CID, f, from)
		return nil
	}
	inst, ok := n.insts[a.CID]
	if !ok && n.stubs() >= maxStubs {
		return nil
	}
	inst = n.instance(a.CID)
	if inst.exec == nil {
		n.fetchExecute(inst, from)
		return nil
	}
	n.enterFallback(inst, FallbackGossip)
	learned, err := n.mergeAggregate(inst, a)
	n.checkJump(inst, a.Witness, a.Round)
	n.registerRound(inst, inst.fb.round)
	if learned && inst.commit == nil {
		n.sendFanout(a, from)
	}
	return err
}

// mergeAggregate adds the votes, evidence, commitments and shares of a.
func (n *Node) mergeAggregate(inst *instance, a *AggregateShare) (bool, error) {
	learned, err := n.mergeEvidence(inst, a.Evidence)
	for i := range a.Votes {
		if e := n.checkVote(inst, &a.Votes[i]); e != nil {
			err = e
			continue
		}
		learned = n.addVote(inst, a.Votes[i]) || learned
	}
	if a.Round <= inst.fb.round+roundWindow {
		for i := range a.Commitments {
			sc := a.Commitments[i]
			if _, e := n.checkCommitment(&sc, fbFor(inst.cid, a.Round)); e != nil {
				err = e
				continue
			}
			learned = n.storeRoundCommitment(inst, a.Round, sc) || learned
		}
	}
	for _, ps := range a.Shares {
		ok, e := n.addShare(inst, a.Witness, ps)
		if e != nil {
			err = e
		}
		learned = ok || learned
	}
	return learned, err
}

// checkJump moves to the highest round r' that n−t+1 distinct members
// have signed AggregateShares for (at least one of them is honest).
func (n *Node) checkJump(inst *instance, w WitnessID, r uint32) {
	fb := inst.fb
	if r > fb.seen[w] {
		fb.seen[w] = r
	}
	need := n.com.N() - int(n.com.Threshold) + 1
	rounds := make([]uint32, 0, len(fb.seen))
	for _, x := range fb.seen {
		rounds = append(rounds, x)
	}
	if len(rounds) < need {
		return
	}
	slices.Sort(rounds)
	slices.Reverse(rounds)
	if target := rounds[need-1]; target > fb.round && inst.commit == nil {
		n.startRound(inst, target)
	}
}

// roundSupported gates the round timer [deviation from the letter of
// SPEC §5.6, liveness only]: round r's timer R starts only once t members
// (itself included) have signed round ≥ r, so honest witnesses that
// entered fallback at different times share most of each round instead
// of running offset schedules forever (with f = n−t the n−t+1 jump rule
// alone cannot merge two honest groups). A leader waits for the t-th
// member; laggards are never gated (everyone ahead counts for them).
func (n *Node) roundSupported(inst *instance) bool {
	c := 0
	for _, r := range inst.fb.seen {
		if r >= inst.fb.round {
			c++
		}
	}
	return c >= int(n.com.Threshold)
}

// fetchExecute asks a voter for an unknown instance's Execute.
func (n *Node) fetchExecute(inst *instance, from WitnessID) {
	inst.fetchFrom = from
	if n.now.Sub(inst.lastFetch) >= n.cfg.GossipInterval {
		inst.lastFetch = n.now
		n.send(from, &GetExecute{CID: inst.cid})
	}
}

// answerDecided sends the stored Commit to a peer still in fallback, at
// most once per GossipInterval.
func (n *Node) answerDecided(cid [32]byte, f *CommitFact, to WitnessID) {
	inst := n.insts[cid]
	if inst != nil {
		if last, ok := inst.lastCommitTo[to]; ok && n.now.Sub(last) < n.cfg.GossipInterval {
			return
		}
		inst.lastCommitTo[to] = n.now
	}
	n.send(to, &Commit{Fact: *f})
}

// sortByHash sorts ws by key(w), computing each key once.
func sortByHash(ws []WitnessID, key func(WitnessID) [32]byte) {
	keys := make(map[WitnessID][32]byte, len(ws))
	for _, w := range ws {
		keys[w] = key(w)
	}
	slices.SortFunc(ws, func(a, b WitnessID) int {
		ka, kb := keys[a], keys[b]
		return bytes.Compare(ka[:], kb[:])
	})
}

// binom is C(n, k), saturating at math.MaxUint64. Committees reach 256
// members (dkg.MaxParticipants) and C(68, 34) already exceeds 2^64; the
// saturated value is still exact for its only uses (canonicalSet's
// (r/2−1) mod C(n,t) with r/2 < 2^31, and kSubset's comparisons with an
// index below it). Each step r·(n−k+i)/i = C(n−k+i, i) is an exact
// division, done in 128 bits so the product cannot wrap.
func binom(n, k int) uint64 {
	if k < 0 || k > n {
		return 0
	}
	r := uint64(1)
	for i := 1; i <= k; i++ {
		hi, lo := bits.Mul64(r, uint64(n-k+i))
		if hi >= uint64(i) {
			return math.MaxUint64 // the quotient does not fit
		}
		r, _ = bits.Div64(hi, lo, uint64(i))
	}
	return r
}

// kSubset returns the idx-th k-subset of {0..n−1} in lexicographic order.
func kSubset(n, k int, idx uint64) []int {
	out := make([]int, 0, k)
	x := 0
	for len(out) < k {
		c := binom(n-x-1, k-len(out)-1)
		if idx < c {
			out = append(out, x)
		} else {
			idx -= c
		}
		x++
	}
	return out
}
