package consensus

import (
	"errors"
	"fmt"
	"slices"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/quorum"
)

// VerifyCommit checks a Commit fact for every replica and path (SPEC §5.8)
// against sc, the reduced state at the fact's prestate: scope and prestate
// match; OpHash, cid and rid recompute (the op is replayed); KeyEpoch and
// Threshold are the committee's; Signers is sorted, distinct, members, ≥ t;
// and frostx.Verify accepts the signature under the committee's group key
// — never a key carried by the fact. Errors unwrap to ErrInvalidCommit.
func VerifyCommit(f *CommitFact, sc Scope) error {
	com := sc.Committee()
	pre := sc.PrestateHash()
	if f.Scope != com.Scope || f.PrestateHash != pre {
		return ErrCommitScope
	}
	if f.KeyEpoch != com.KeyEpoch || f.Threshold != com.Threshold {
		return ErrCommitKey
	}
	if f.Path < PathFast1 || f.Path > PathFallback {
		return ErrCommitPath
	}
	if err := checkSigners(f.Signers, &com); err != nil {
		return err
	}
	if err := checkBinding(f, sc); err != nil {
		return err
	}
	T := Transcript(com.Scope, f.CID, f.PrestateHash, f.OpHash, f.RID, com.Threshold, com.GroupKey, com.KeyEpoch)
	if err := frostx.Verify(com.GroupKey, T, f.Signature); err != nil {
		return fmt.Errorf("%w: %w", ErrCommitSignature, err)
	}
	return nil
}

func checkSigners(signers []uint16, com *Committee) error {
	if len(com.Members) > 0xffff {
		return ErrCommitSigners
	}
	if err := quorum.CheckSigners(signers, com.Threshold, uint16(len(com.Members))); err != nil {
		return fmt.Errorf("%w: %w", ErrCommitSigners, err)
	}
	for _, s := range signers {
		if !slices.ContainsFunc(com.Members, func(m Member) bool { return m.FrostID == s }) {
			return ErrCommitSigners
		}
	}
	return nil
}

func checkBinding(f *CommitFact, sc Scope) error {
	oh, err := OpHashOf(sc, f.Op)
	if err != nil || oh != f.OpHash || CIDOf(f.PrestateHash, f.OpHash, f.Nonce) != f.CID {
		return ErrCommitBinding
	}
	post, err := sc.Execute(f.Op)
	if err != nil || RIDOf(f.PrestateHash, f.OpHash, post) != f.RID {
		return ErrCommitBinding
	}
	return nil
}

func (n *Node) onCommit(from WitnessID, m *Commit) error {
	f := m.Fact
	inst, ok := n.insts[f.CID]
	if !ok {
		if d, dok := n.decided[f.CID]; dok {
			n.checkConflicting(nil, d, &f)
			return nil
		}
		if n.stubs() >= maxStubs {
			return nil
		}
		inst = n.instance(f.CID)
	}
	if inst.exec != nil {
		_, _ = n.mergeEvidence(inst, m.Evidence)
	}
	return n.acceptCommit(inst, &f, from)
}

// acceptCommit verifies a received Commit and decides the instance. A
// commit for another prestate waits for SetScope (or arrives by sync).
func (n *Node) acceptCommit(inst *instance, f *CommitFact, from WitnessID) error {
	if inst.commit != nil {
		n.checkConflicting(inst, inst.commit, f)
		return nil
	}
	err := VerifyCommit(f, n.sc)
	if errors.Is(err, ErrCommitScope) && f.Scope == n.com.Scope {
		inst.pendingCommit = f
		return nil
	}
	if err != nil {
		return err
	}
	n.decide(inst, f, false)
	if inst.fb != nil && from != (WitnessID{}) {
		n.sendFanout(&Commit{Fact: *f}, from) // new to us: re-send to k others
	}
	return nil
}

// checkConflicting raises the tripwire on a second valid commit with
// another rid for one (cid, prestateHash).
func (n *Node) checkConflicting(inst *instance, have, got *CommitFact) {
	if have.RID == got.RID || have.PrestateHash != got.PrestateHash || VerifyCommit(got, n.sc) != nil {
		return
	}
	n.m.ConflictingCommit()
	n.out.Outcomes = append(n.out.Outcomes, Outcome{CID: got.CID, Kind: Conflicted, Fact: got, Err: ErrConflict})
}

// decide stores a verified commit. own marks a commit this node
// aggregated: it is sent to every member (and, in fallback, published).
func (n *Node) decide(inst *instance, f *CommitFact, own bool) {
	inst.commit, inst.state = f, StateCommitted
	inst.retainUntil = n.now.Add(n.cfg.InstanceRetention)
	n.decided[f.CID] = f
	n.out.Commits = append(n.out.Commits, *f)
	n.m.CommitStored(f.Path)
	n.out.Outcomes = append(n.out.Outcomes, Outcome{CID: f.CID, Kind: Committed, Fact: f})
	if !own {
		return
	}
	if inst.fb != nil {
		n.out.Messages = append(n.out.Messages, Envelope{Topic: true, Msg: &Commit{Fact: *f, Evidence: newestEvidence(inst)}})
	}
	for _, m := range n.com.Members {
		if m.Witness != n.cfg.Self {
			n.send(m.Witness, &Commit{Fact: *f, Evidence: n.evidenceFor(inst, m.Witness)})
		}
	}
}
