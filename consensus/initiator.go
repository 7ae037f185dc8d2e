package consensus

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
)

// Propose starts an instance for op at the current prestate (SPEC §5.5
// step 1) and returns its cid. An op invalid here gives ErrInvalidOp and
// nothing is sent.
func (n *Node) Propose(op []byte, now time.Time) ([32]byte, error) {
	n.now = now
	opHash, err := OpHashOf(n.sc, op)
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: %w", ErrInvalidOp, err)
	}
	if _, err := n.sc.Execute(op); err != nil {
		return [32]byte{}, fmt.Errorf("%w: %w", ErrInvalidOp, err)
	}
	nonce := n.randU64()
	cid := CIDOf(n.pre, opHash, nonce)
	inst := n.instance(cid)
	x := &Execute{CID: cid, PrestateHash: n.pre, OpHash: opHash, Nonce: nonce, Op: append([]byte(nil), op...),
		Scope: n.com.Scope, KeyEpoch: n.com.KeyEpoch}
	n.adoptExecute(inst, x, n.cfg.Self)
	inst.isInit, inst.state = true, StateCollecting
	x.Packages = n.buildPackages(inst)
	for _, m := range n.com.Members {
		if m.Witness != n.cfg.Self {
			n.send(m.Witness, x)
		}
	}
	n.send(n.cfg.Self, x)
	inst.fbAt = now.Add(n.tm.fallback)
	inst.timeoutAt = now.Add(n.tm.timeout)
	n.drain()
	return cid, nil
}

// buildPackages builds the primary package and ≤ FastPathSpareSets spares
// from cached commitments, each with a fresh own commitment (SPEC §5.5
// step 1). Witnesses are preferred by fewest uses, then lowest RTT.
func (n *Node) buildPackages(inst *instance) []SigningPackage {
	var out []SigningPackage
	uses := map[WitnessID]int{}
	for k := 0; k <= n.cfg.FastPathSpareSets; k++ {
		others := n.pickCached(uses, int(n.com.Threshold)-1)
		if others == nil {
			break
		}
		own, err := n.issue(initiatorFor(n.cfg.Self), false)
		if err != nil {
			break
		}
		cms := append(others, own)
		sp, list, ok := n.packageOf(cms)
		if !ok {
			break
		}
		n.addPackage(inst, sp, list, PathFast1)
		out = append(out, sp)
	}
	return out
}

// pickCached takes one cached commitment from each of k witnesses, or
// returns nil when fewer than k have one.
func (n *Node) pickCached(uses map[WitnessID]int, k int) []SignedCommitment {
	var cands []Member
	for _, m := range n.com.Members {
		if m.Witness != n.cfg.Self && len(n.pool.cache[m.Witness]) > 0 {
			cands = append(cands, m)
		}
	}
	if len(cands) < k {
		return nil
	}
	slices.SortFunc(cands, func(a, b Member) int {
		return cmp.Or(cmp.Compare(uses[a.Witness], uses[b.Witness]),
			cmp.Compare(n.rtt[a.Witness], n.rtt[b.Witness]), cmp.Compare(a.FrostID, b.FrostID))
	})
	out := make([]SignedCommitment, 0, k)
	for _, m := range cands[:k] {
		sc, _ := n.take(m.Witness)
		uses[m.Witness]++
		out = append(out, sc)
	}
	return out
}

// packageOf sorts commitments by FrostID into a SigningPackage.
func (n *Node) packageOf(cms []SignedCommitment) (SigningPackage, []frostx.Commitment, bool) {
	list := make([]frostx.Commitment, 0, len(cms))
	for _, sc := range cms {
		c, err := n.decodeCommitment(sc.Commitment)
		if err != nil {
			return SigningPackage{}, nil, false
		}
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b frostx.Commitment) int { return cmp.Compare(a.Signer, b.Signer) })
	var sp SigningPackage
	for _, c := range list {
		sp.Signers = append(sp.Signers, c.Signer)
		sp.Commitments = append(sp.Commitments, append([]byte(nil), c.Bytes[:]...))
	}
	return sp, list, true
}

// onSignShare handles a witness's vote and shares (SPEC §5.5 step 5).
func (n *Node) onSignShare(from WitnessID, m *SignShare) error {
	for _, sc := range m.Next {
		if sc.Witness == from {
			n.cacheCommitment(sc)
		}
	}
	inst, ok := n.insts[m.CID]
	if !ok || inst.exec == nil || inst.commit != nil {
		return nil
	}
	if m.Vote.Witness != from {
		return fmt.Errorf("%w: vote of another witness", ErrInvalidMessage)
	}
	if err := n.checkVote(inst, &m.Vote); err != nil {
		return err
	}
	_, evErr := n.mergeEvidence(inst, m.Evidence)
	n.addVote(inst, m.Vote)
	for _, ps := range m.Shares {
		if _, err := n.addShare(inst, from, ps); err != nil {
			return err
		}
	}
	return evErr
}

// onNonceCommit collects fast2 commitments; at t the initiator sends
// SignRequest (SPEC §5.5 step 5).
func (n *Node) onNonceCommit(from WitnessID, m *NonceCommit) error {
	inst, ok := n.insts[m.CID]
	if !ok || !inst.isInit || inst.commit != nil || inst.ncFrom[from] || from == n.cfg.Self {
		return nil
	}
	if m.Commitment.Witness != from {
		return fmt.Errorf("%w: nonce commit of another witness", ErrInvalidMessage)
	}
	if _, err := n.checkCommitment(&m.Commitment, initiatorFor(n.cfg.Self)); err != nil {
		return err
	}
	inst.ncFrom[from] = true
	inst.nonceCommits = append(inst.nonceCommits, m.Commitment)
	n.maybeSignRequest(inst)
	return nil
}

// maybeSignRequest sends one fast2 SignRequest once t−1 other witnesses
// gave NonceCommits.
func (n *Node) maybeSignRequest(inst *instance) {
	t := int(n.com.Threshold)
	if inst.signRequested || len(inst.nonceCommits) < t-1 {
		return
	}
	own, err := n.issue(initiatorFor(n.cfg.Self), false)
	if err != nil {
		return
	}
	cms := append(slices.Clone(inst.nonceCommits[:t-1]), own)
	sp, list, ok := n.packageOf(cms)
	if !ok {
		return
	}
	inst.signRequested = true
	n.addPackage(inst, sp, list, PathFast2)
	for _, sc := range cms {
		n.send(sc.Witness, &SignRequest{CID: inst.cid, Package: sp})
	}
}

// onStateMismatch: the initiator sends Conflict and enters fallback.
func (n *Node) onStateMismatch(from WitnessID, m *StateMismatch) error {
	inst, ok := n.insts[m.CID]
	if !ok || !inst.isInit || inst.commit != nil || m.Expected != inst.pre {
		return nil
	}
	n.sendConflict(inst)
	n.enterFallback(inst, FallbackMismatch)
	return nil
}

// onVotesChanged reacts to a new vote: ≥ 2 rids at the initiator ⇒
// Conflict (SPEC §5.5); in fallback the state is re-emitted.
func (n *Node) onVotesChanged(inst *instance) {
	if inst.fb != nil {
		inst.fb.changed = true
	}
	if inst.isInit && inst.distinctRIDs() >= 2 {
		n.sendConflict(inst)
		n.enterFallback(inst, FallbackConflict)
	}
}

func (n *Node) sendConflict(inst *instance) {
	if inst.conflictSent {
		return
	}
	inst.conflictSent = true
	var votes []Vote
	for _, m := range n.com.Members {
		if v, ok := inst.votes[m.Witness]; ok {
			votes = append(votes, v)
		}
	}
	for _, m := range n.com.Members {
		if m.Witness != n.cfg.Self {
			n.send(m.Witness, &Conflict{CID: inst.cid, Votes: votes, Evidence: n.evidenceFor(inst, m.Witness)})
		}
	}
}
