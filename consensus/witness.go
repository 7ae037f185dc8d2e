package consensus

import (
	"errors"
	"fmt"
	"slices"
)

// checkExecute checks an Execute's bindings (SPEC §5.5 step 2): scope, key
// epoch, OpHash recomputed from Op, cid derivation.
func (n *Node) checkExecute(x *Execute) error {
	if x.Scope != n.com.Scope || x.KeyEpoch != n.com.KeyEpoch {
		return fmt.Errorf("%w: execute scope or key epoch", ErrInvalidMessage)
	}
	oh, err := OpHashOf(n.sc, x.Op)
	if err != nil || oh != x.OpHash {
		return fmt.Errorf("%w: execute op hash", ErrInvalidMessage)
	}
	if CIDOf(x.PrestateHash, x.OpHash, x.Nonce) != x.CID {
		return fmt.Errorf("%w: execute cid derivation", ErrInvalidMessage)
	}
	return nil
}

func (n *Node) onExecute(from WitnessID, x *Execute) error {
	if f, ok := n.decided[x.CID]; ok {
		n.send(from, &Commit{Fact: *f})
		return nil
	}
	if err := n.checkExecute(x); err != nil {
		return err
	}
	// A checked Execute makes a full instance, never a stub, so maxStubs
	// does not gate it: stubs that never verify (bogus Commits or
	// AggregateShares for unknown cids) must not block honest instances.
	inst := n.instance(x.CID)
	fetched := inst.exec == nil && inst.fetchFrom != (WitnessID{})
	n.adoptExecute(inst, x, from)
	_, evErr := n.mergeEvidence(inst, x.Evidence)
	if fetched {
		n.witnessFetched(inst)
		return evErr
	}
	if inst.initiator != from {
		return evErr // a duplicate Execute from another member
	}
	n.witnessExecute(inst, from)
	n.signPackagesFor(inst, from, x.Packages)
	return evErr
}

// witnessExecute runs SPEC §5.5 steps 2–3 (prestate, validity, vote rule).
// It reports whether this node holds a vote for the instance.
func (n *Node) witnessExecute(inst *instance, from WitnessID) bool {
	if inst.pre != n.pre {
		if inst.state != StateMismatchWait {
			inst.state = StateMismatchWait
			n.send(from, &StateMismatch{CID: inst.cid, Expected: inst.pre, Actual: n.pre, Evidence: n.evidenceFor(inst, from)})
		}
		n.armFallback(inst)
		return false
	}
	if err := n.castVote(inst); err != nil {
		n.log.Debug("no vote", "instance", inst.cid[:4], "err", err)
		return false
	}
	return true
}

// witnessFetched votes on an Execute fetched with GetExecute and joins
// the fallback (SPEC §5.6).
func (n *Node) witnessFetched(inst *instance) {
	inst.fetchFrom = WitnessID{}
	if inst.pre == n.pre {
		_ = n.castVote(inst)
	}
	n.enterFallback(inst, FallbackGossip)
}

// castVote executes the op purely and applies the vote rule: another rid
// in the vote log for (cid, prestateHash) ⇒ refuse; else the rid goes to
// VoteWrites (durable before any share is sent) and the vote is signed.
func (n *Node) castVote(inst *instance) error {
	if inst.voted {
		return nil
	}
	post, err := n.sc.Execute(inst.exec.Op)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOp, err)
	}
	rid := RIDOf(inst.pre, inst.opHash, post)
	k := voteKey(inst.cid, inst.pre)
	if logged, ok := n.votes[k]; ok && logged != rid {
		return ErrVoteRefused
	} else if !ok {
		n.votes[k] = rid
		n.out.VoteWrites = append(n.out.VoteWrites, VoteRecord{CID: inst.cid, PrestateHash: inst.pre, RID: rid})
	}
	v := Vote{CID: inst.cid, PrestateHash: inst.pre, RID: rid, Witness: n.cfg.Self, KeyEpoch: n.com.KeyEpoch}
	v.Sig = signHash(n.cfg.VoteKey, v.SigningHash())
	inst.voted, inst.vote, inst.ownRID = true, v, rid
	inst.myT = n.transcript(inst, rid) // T only from the own vote-log entry
	if inst.state == StateIdle || inst.state == StateMismatchWait {
		inst.state = StateVoted
	}
	n.addVote(inst, v)
	if inst.fb != nil {
		n.fallbackVoted(inst)
	}
	return nil
}

// signPackagesFor answers an Execute: shares for the packages naming an
// unused commitment issued For the initiator, NonceCommit when none (or a
// package names an unknown one), SignShare with Next (SPEC §5.5 step 4).
func (n *Node) signPackagesFor(inst *instance, from WitnessID, pkgs []SigningPackage) {
	if !inst.voted {
		return
	}
	shares, unknown := n.signPackages(inst, initiatorFor(from), pkgs)
	if len(shares) == 0 || unknown {
		n.sendNonceCommit(inst, from)
	}
	n.sendSignShare(inst, from, shares)
	n.armFallback(inst)
}

func (n *Node) sendNonceCommit(inst *instance, to WitnessID) {
	sc, err := n.issue(initiatorFor(to), false)
	if err != nil {
		return
	}
	n.send(to, &NonceCommit{CID: inst.cid, Commitment: sc})
}

func (n *Node) sendSignShare(inst *instance, to WitnessID, shares []PackageShare) {
	var next []SignedCommitment
	if to != n.cfg.Self {
		next = n.topUp(to)
	}
	n.send(to, &SignShare{CID: inst.cid, Vote: inst.vote, Shares: shares, Next: next,
		KeyEpoch: n.com.KeyEpoch, Evidence: n.evidenceFor(inst, to)})
}

// signPackages signs every package that names an unused commitment of
// this node issued For forKey; unknown reports a package naming one that
// is not (evicted, consumed, pre-restart, or For someone else).
func (n *Node) signPackages(inst *instance, forKey [32]byte, pkgs []SigningPackage) ([]PackageShare, bool) {
	var out []PackageShare
	unknown := false
	for i := range pkgs {
		idx := slices.Index(pkgs[i].Signers, n.self.FrostID)
		if idx < 0 || idx >= len(pkgs[i].Commitments) {
			continue
		}
		ps, err := n.signOne(inst, forKey, &pkgs[i], idx)
		if err != nil {
			unknown = true
			continue
		}
		out = append(out, ps)
	}
	return out, unknown
}

// signOne signs one package with the own commitment at idx.
func (n *Node) signOne(inst *instance, forKey [32]byte, sp *SigningPackage, idx int) (PackageShare, error) {
	is, ok := n.own(sp.Commitments[idx])
	if !ok || is.signed.For != forKey {
		return PackageShare{}, errors.New("consensus: commitment not issued for this initiator")
	}
	list, err := n.parsePackage(sp)
	if err != nil {
		return PackageShare{}, err
	}
	sh, err := n.keys.Signer.Sign(inst.myT, list)
	if err != nil {
		return PackageShare{}, err
	}
	n.consumed(is.c.ID)
	return PackageShare{PackageID: PackageID(inst.cid, inst.myT, sp.Commitments), Share: sh.Bytes[:]}, nil
}

func (n *Node) onSignRequest(from WitnessID, m *SignRequest) error {
	inst, ok := n.insts[m.CID]
	if !ok || inst.commit != nil || !inst.voted || inst.initiator != from {
		return nil
	}
	if _, err := n.parsePackage(&m.Package); err != nil {
		return err
	}
	shares, _ := n.signPackages(inst, initiatorFor(from), []SigningPackage{m.Package})
	if len(shares) == 0 {
		n.sendNonceCommit(inst, from) // SPEC §16.7(b): never a share on a foreign commitment
		return nil
	}
	n.sendSignShare(inst, from, shares)
	return nil
}

func (n *Node) onGetExecute(from WitnessID, m *GetExecute) error {
	inst, ok := n.insts[m.CID]
	if !ok || inst.exec == nil || !(inst.voted || inst.isInit) {
		if f, ok := n.decided[m.CID]; ok {
			n.send(from, &Commit{Fact: *f})
		}
		return nil
	}
	x := *inst.exec
	x.Evidence = n.evidenceFor(inst, from)
	n.send(from, &x)
	return nil
}

func (n *Node) onConflict(from WitnessID, m *Conflict) error {
	inst, ok := n.insts[m.CID]
	if !ok || inst.exec == nil || inst.commit != nil {
		return nil
	}
	var firstErr error
	for i := range m.Votes {
		if err := n.checkVote(inst, &m.Votes[i]); err != nil {
			firstErr = err
			continue
		}
		n.addVote(inst, m.Votes[i])
	}
	if _, err := n.mergeEvidence(inst, m.Evidence); err != nil && firstErr == nil {
		firstErr = err
	}
	n.enterFallback(inst, FallbackConflict)
	return firstErr
}

func (n *Node) onAnnounce(from WitnessID, m *CommitmentAnnounce) error {
	if m.KeyEpoch != n.com.KeyEpoch {
		return nil
	}
	for _, sc := range m.Commitments {
		if sc.Witness == from {
			n.cacheCommitment(sc)
		}
	}
	return nil
}
