package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// maxPending bounds shares held per witness until their package is known.
const maxPending = 16

// maxPkgs bounds packages per instance.
const maxPkgs = 256

// parsePackage checks a SigningPackage: exactly t commitments, signers
// strictly ascending members, each commitment decoding to its signer.
func (n *Node) parsePackage(sp *SigningPackage) ([]frostx.Commitment, error) {
	t := int(n.com.Threshold)
	if len(sp.Signers) != t || len(sp.Commitments) != t {
		return nil, fmt.Errorf("%w: package size", ErrInvalidMessage)
	}
	list := make([]frostx.Commitment, t)
	for i, id := range sp.Signers {
		if id == 0 || int(id) > n.com.N() || (i > 0 && id <= sp.Signers[i-1]) {
			return nil, fmt.Errorf("%w: package signers", ErrInvalidMessage)
		}
		c, err := n.decodeCommitment(sp.Commitments[i])
		if err != nil || c.Signer != id {
			return nil, fmt.Errorf("%w: package commitment %d", ErrInvalidMessage, i)
		}
		list[i] = c
	}
	return list, nil
}

// addPackage registers a package for bucketing (dedup by content).
func (n *Node) addPackage(inst *instance, sp SigningPackage, list []frostx.Commitment, path uint8) {
	key := pkgKey(sp.Commitments)
	if inst.pkgKeys[key] || len(inst.pkgs) >= maxPkgs {
		return
	}
	inst.pkgKeys[key] = true
	p := &pkg{signers: sp.Signers, cms: sp.Commitments, list: list, path: path}
	inst.pkgs = append(inst.pkgs, p)
	for _, rid := range inst.rids {
		n.mapPackage(inst, p, rid)
	}
	n.retryPending(inst)
}

// pkgKey identifies a package by its commitments, in any order.
func pkgKey(cms [][]byte) [32]byte {
	s := slices.Clone(cms)
	slices.SortFunc(s, bytes.Compare)
	return canon.H("aura/h/v1", s...)
}

// setKey is pkgKey of signed commitments.
func setKey(cms []SignedCommitment) [32]byte {
	b := make([][]byte, len(cms))
	for i := range cms {
		b[i] = cms[i].Commitment
	}
	return pkgKey(b)
}

// addRID maps every package under a newly seen rid.
func (n *Node) addRID(inst *instance, rid [32]byte) {
	if slices.Contains(inst.rids, rid) || len(inst.rids) >= 16 {
		return
	}
	inst.rids = append(inst.rids, rid)
	for _, p := range inst.pkgs {
		n.mapPackage(inst, p, rid)
	}
	n.retryPending(inst)
}

func (n *Node) mapPackage(inst *instance, p *pkg, rid [32]byte) {
	id := PackageID(inst.cid, n.transcript(inst, rid), p.cms)
	inst.byID[id] = pkgRef{p: p, rid: rid}
}

func (n *Node) retryPending(inst *instance) {
	if len(inst.pending) == 0 {
		return
	}
	pend := inst.pending
	inst.pending = make(map[WitnessID][]PackageShare)
	for _, m := range n.com.Members {
		for _, s := range pend[m.Witness] {
			_, _ = n.addShare(inst, m.Witness, s)
		}
	}
}

// addShare buckets a share from witness w by (rid, PackageID). Shares are
// checked for shape here and verified at aggregation (Aggregate verifies
// every share; a failing set is split to find the culprit). It reports
// whether the share was new.
func (n *Node) addShare(inst *instance, w WitnessID, ps PackageShare) (bool, error) {
	if inst.equiv[w] || inst.commit != nil {
		return false, nil
	}
	m, _ := n.com.Member(w)
	ref, ok := inst.byID[ps.PackageID]
	v, voted := inst.votes[w]
	if !ok || !voted {
		if len(inst.pending[w]) < maxPending {
			inst.pending[w] = append(inst.pending[w], ps)
		}
		return false, nil
	}
	sh, err := frostx.DecodeShare(ps.Share)
	if err != nil || sh.Signer != m.FrostID || !slices.Contains(ref.p.signers, m.FrostID) || v.RID != ref.rid {
		return false, fmt.Errorf("%w: share signer, package or rid", ErrInvalidShare)
	}
	b := inst.shares[ps.PackageID]
	if b == nil {
		b = make(map[uint16]frostx.Share)
		inst.shares[ps.PackageID] = b
	}
	if _, dup := b[sh.Signer]; dup {
		return false, nil
	}
	b[sh.Signer] = sh
	n.tryAggregate(inst, ps.PackageID)
	return true, nil
}

// tryAggregate aggregates a complete bucket: shares of all t package
// signers, none an equivocator (SPEC §5.5 step 6, §5.7).
func (n *Node) tryAggregate(inst *instance, id [32]byte) {
	ref, b := inst.byID[id], inst.shares[id]
	if inst.commit != nil || len(b) < int(n.com.Threshold) {
		return
	}
	shares := make([]frostx.Share, 0, len(ref.p.signers))
	for _, s := range ref.p.signers {
		sh, ok := b[s]
		if !ok {
			return
		}
		shares = append(shares, sh)
	}
	T := n.transcript(inst, ref.rid)
	sig, err := n.keys.Frost.Aggregate(T, shares, ref.p.list)
	if err != nil {
		n.dropBadShares(T, ref.p, b, err)
		return
	}
	f := n.commitFact(inst, ref, sig)
	if err := VerifyCommit(f, n.sc); err != nil {
		n.log.Warn("own aggregate failed verification", "err", err)
		return
	}
	n.decide(inst, f, true)
}

// dropBadShares removes the shares that fail VerifyShare.
func (n *Node) dropBadShares(T []byte, p *pkg, b map[uint16]frostx.Share, aggErr error) {
	if !errors.Is(aggErr, frostx.ErrInvalidShare) && !errors.Is(aggErr, frostx.ErrInvalidSignature) {
		n.log.Debug("aggregate refused", "err", aggErr)
	}
	for id, sh := range b {
		if err := n.keys.Frost.VerifyShare(T, sh, p.list); err != nil {
			delete(b, id)
		}
	}
}

func (n *Node) commitFact(inst *instance, ref pkgRef, sig [64]byte) *CommitFact {
	x := inst.exec
	return &CommitFact{
		CID: inst.cid, PrestateHash: inst.pre, OpHash: inst.opHash, RID: ref.rid,
		Nonce: x.Nonce, Op: x.Op, Scope: n.com.Scope, KeyEpoch: n.com.KeyEpoch,
		Threshold: n.com.Threshold, Signers: slices.Clone(ref.p.signers), Signature: sig, Path: ref.p.path,
	}
}
