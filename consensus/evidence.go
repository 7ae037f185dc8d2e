package consensus

import "fmt"

// checkVote verifies a vote for inst: cid and prestate, member, key epoch,
// signature.
func (n *Node) checkVote(inst *instance, v *Vote) error {
	if v.CID != inst.cid || (inst.exec != nil && v.PrestateHash != inst.pre) {
		return fmt.Errorf("%w: vote for another instance", ErrInvalidMessage)
	}
	if v.KeyEpoch != n.com.KeyEpoch {
		return fmt.Errorf("%w: vote key epoch", ErrInvalidMessage)
	}
	m, ok := n.com.Member(v.Witness)
	if !ok || !n.sigOK(m.VoteKey, v.SigningHash(), v.Sig) {
		return fmt.Errorf("%w: vote signer or signature", ErrInvalidMessage)
	}
	return nil
}

// addVote records a verified vote; a second rid from one witness makes an
// EquivocationProof (SPEC §5.7). It reports whether anything was new.
func (n *Node) addVote(inst *instance, v Vote) bool {
	prev, ok := inst.votes[v.Witness]
	if !ok {
		inst.votes[v.Witness] = v
		n.addRID(inst, v.RID)
		n.onVotesChanged(inst)
		return true
	}
	if prev.RID == v.RID {
		return false
	}
	return n.addProof(inst, EquivocationProof{Vote1: prev, Vote2: v})
}

// addProof stores a verified proof, excludes its witness from every bucket
// of the instance and reports whether it was new.
func (n *Node) addProof(inst *instance, p EquivocationProof) bool {
	id := p.id()
	if inst.proofIDs[id] {
		return false
	}
	inst.proofIDs[id] = true
	w := p.Vote1.Witness
	if !inst.equiv[w] {
		n.m.Equivocation()
	}
	inst.equiv[w] = true
	inst.proofs = append(inst.proofs, p)
	n.out.Evidence = append(n.out.Evidence, p)
	if m, ok := n.com.Member(w); ok {
		for _, b := range inst.shares {
			delete(b, m.FrostID)
		}
	}
	delete(inst.pending, w)
	return true
}

// checkProof verifies a proof on its own: two valid votes by one witness,
// same (cid, prestateHash), different rids.
func (n *Node) checkProof(inst *instance, p *EquivocationProof) error {
	a, b := &p.Vote1, &p.Vote2
	if a.Witness != b.Witness || a.CID != b.CID || a.PrestateHash != b.PrestateHash || a.RID == b.RID {
		return fmt.Errorf("%w: proof votes do not equivocate", ErrInvalidMessage)
	}
	if err := n.checkVote(inst, a); err != nil {
		return err
	}
	return n.checkVote(inst, b)
}

// mergeEvidence verifies and adds received proofs; reports anything new.
func (n *Node) mergeEvidence(inst *instance, ps []EquivocationProof) (bool, error) {
	var firstErr error
	learned := false
	for i := range ps {
		if err := n.checkProof(inst, &ps[i]); err != nil {
			firstErr = err
			continue
		}
		if n.addProof(inst, ps[i]) {
			learned = true
		}
	}
	return learned, firstErr
}

// evidenceFor returns ≤ 16 proofs not yet sent to w and marks them sent.
func (n *Node) evidenceFor(inst *instance, w WitnessID) []EquivocationProof {
	sent := inst.sentEv[w]
	if sent == nil {
		sent = make(map[[32]byte]bool)
		inst.sentEv[w] = sent
	}
	var out []EquivocationProof
	for _, p := range inst.proofs {
		if id := p.id(); !sent[id] && len(out) < 16 {
			sent[id] = true
			out = append(out, p)
		}
	}
	return out
}

// newestEvidence returns the newest ≤ 16 proofs (topic messages).
func newestEvidence(inst *instance) []EquivocationProof {
	ps := inst.proofs
	if len(ps) > 16 {
		ps = ps[len(ps)-16:]
	}
	return append([]EquivocationProof(nil), ps...)
}

// goodVotes counts non-equivocating votes for rid.
func (inst *instance) goodVotes(rid [32]byte) int {
	c := 0
	for w, v := range inst.votes {
		if v.RID == rid && !inst.equiv[w] {
			c++
		}
	}
	return c
}

// distinctRIDs counts rids among non-equivocating votes.
func (inst *instance) distinctRIDs() int {
	seen := map[[32]byte]bool{}
	for w, v := range inst.votes {
		if !inst.equiv[w] {
			seen[v.RID] = true
		}
	}
	return len(seen)
}
