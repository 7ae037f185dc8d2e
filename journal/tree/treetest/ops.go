package treetest

import (
	"crypto/ed25519"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// keyFor runs a real DKG among leaves (sorted by ID, FrostIDs 1..N) with
// threshold m, or builds the single-device form, records the shares and
// seals a fresh AuthoritySecret_keyEpoch to every leaf.
func (f *Fixture) keyFor(leaves []tree.Leaf, m uint16, keyEpoch uint64) *tree.KeyRotation {
	f.TB.Helper()
	k := &tree.KeyRotation{KeyEpoch: keyEpoch, FrostIDs: map[tree.LeafID]uint16{}}
	for i, l := range leaves {
		k.FrostIDs[l.ID] = uint16(i + 1)
	}
	k.SealedSecrets = f.sealSecrets(keyEpoch, leaves)
	if len(leaves) == 1 && m == 1 {
		k.GroupKey, k.VerShares = leaves[0].DeviceKey, map[uint16][32]byte{1: leaves[0].DeviceKey}
		return k
	}
	_, _ = f.rnd.Read(k.DKGNonce[:])
	res := f.runDKG(tree.DKGSession(f.Auth, leaves, m, keyEpoch, k.DKGNonce), leaves)
	k.GroupKey, k.VerShares = res[0].GroupKey, res[0].VerShares
	k.Round1, k.DKGTranscriptHash, k.Confirms = res[0].Round1, res[0].TranscriptHash, res[0].Confirms
	sh := map[uint16][]byte{}
	for _, r := range res {
		sh[r.Self] = r.KeyShare
	}
	f.shares[k.GroupKey] = sh
	return k
}

func (f *Fixture) runDKG(sess dkg.Session, leaves []tree.Leaf) []dkg.Result {
	f.TB.Helper()
	parts := make([]*dkg.Participant, len(leaves))
	type env struct {
		from uint16
		m    dkg.Message
	}
	var q []env
	for i, l := range leaves {
		p, err := dkg.NewParticipant(sess, uint16(i+1), f.devs[l.DeviceKey].Priv, f.rnd)
		if err != nil {
			f.TB.Fatalf("NewParticipant: %v", err)
		}
		parts[i] = p
	}
	for i, p := range parts {
		for _, m := range p.Start() {
			q = append(q, env{uint16(i + 1), m})
		}
	}
	for len(q) > 0 {
		e := q[0]
		q = q[1:]
		out, err := parts[e.m.To-1].Handle(e.from, e.m.Data)
		if err != nil {
			f.TB.Fatalf("dkg: %v", err)
		}
		for _, m := range out {
			q = append(q, env{e.m.To, m})
		}
	}
	res := make([]dkg.Result, len(parts))
	for i, p := range parts {
		r, err := p.Result()
		if err != nil {
			f.TB.Fatalf("dkg result: %v", err)
		}
		res[i] = r
	}
	return res
}

// Op builds an op of kind at s with a real NewKey where needed (always
// for AddLeaf, RemoveLeaf and ChangePolicy; for RotateEpoch when
// withKey).
func (f *Fixture) Op(s *tree.TreeState, kind uint8, add *Device, remove []tree.LeafID, pol *tree.Policy, withKey bool) *tree.TreeOp {
	f.TB.Helper()
	op := &tree.TreeOp{ParentEpoch: s.Epoch, ParentRoot: s.Root, Version: tree.OpVersion, Kind: kind,
		Remove: remove, NewPolicy: pol}
	if add != nil {
		l := add.Leaf
		l.ID = tree.LeafID(s.NextLeafId)
		op.Add = &l
	}
	if kind == tree.RotateEpoch && !withKey {
		return op
	}
	leaves, p, err := tree.Plan(s, op)
	if err != nil {
		f.TB.Fatalf("Plan: %v", err)
	}
	op.NewKey = f.keyFor(leaves, p.M, s.KeyEpoch+1)
	if op.Add != nil {
		op.Add.FrostID = op.NewKey.FrostIDs[op.Add.ID]
	}
	return op
}

// Signed is a built commit with its entry and post state.
type Signed struct {
	CF    consensus.CommitFact
	Entry journal.Entry
	Post  *tree.TreeState
}

// Commit really signs op at s with the first M leaves (or those given).
func (f *Fixture) Commit(s *tree.TreeState, op *tree.TreeOp, signers ...tree.LeafID) Signed {
	f.TB.Helper()
	post, err := tree.Execute(f.Auth, s, op)
	if err != nil {
		f.TB.Fatalf("Execute: %v", err)
	}
	f.nonce++
	pre := tree.PrestateHash(f.Auth, s.Root)
	oh := op.OpHash()
	cid := consensus.CIDOf(pre, oh, f.nonce)
	cf := consensus.CommitFact{CID: cid, PrestateHash: pre, OpHash: oh, RID: consensus.RIDOf(pre, oh, post.Root),
		Nonce: f.nonce, Op: op.Canonical(), Scope: f.NS, KeyEpoch: s.KeyEpoch, Threshold: s.Policy.M,
		Path: consensus.PathFast1}
	if len(signers) == 0 {
		for _, l := range s.Leaves[:s.Policy.M] {
			signers = append(signers, l.ID)
		}
	}
	T := consensus.Transcript(cf.Scope, cf.CID, cf.PrestateHash, cf.OpHash, cf.RID, s.Policy.M, s.GroupKey, s.KeyEpoch)
	cf.Signature, cf.Signers = f.sign(s, T, signers)
	return Signed{CF: cf, Entry: f.Entry(cf.Fact()), Post: post}
}

// sign signs T under s's group key with the given leaves.
func (f *Fixture) sign(s *tree.TreeState, T []byte, signers []tree.LeafID) ([64]byte, []uint16) {
	f.TB.Helper()
	if s.Policy.M == 1 {
		l, _ := s.Leaf(signers[0])
		return [64]byte(ed25519.Sign(f.devs[l.DeviceKey].Priv, T)), []uint16{l.FrostID}
	}
	com := f.committee(s)
	var ids []uint16
	var ss []*frostx.Signer
	var pkg []frostx.Commitment
	for _, id := range signers {
		l, _ := s.Leaf(id)
		sg, err := frostx.NewSigner(com, f.shares[s.GroupKey][l.FrostID])
		if err != nil {
			f.TB.Fatalf("NewSigner: %v", err)
		}
		c, err := sg.Commit()
		if err != nil {
			f.TB.Fatalf("Commit: %v", err)
		}
		ids, ss, pkg = append(ids, l.FrostID), append(ss, sg), append(pkg, c)
	}
	var shares []frostx.Share
	for _, sg := range ss {
		sh, err := sg.Sign(T, pkg)
		if err != nil {
			f.TB.Fatalf("Sign: %v", err)
		}
		shares = append(shares, sh)
	}
	sig, err := com.Aggregate(T, shares, pkg)
	if err != nil {
		f.TB.Fatalf("Aggregate: %v", err)
	}
	return sig, ids
}

func (f *Fixture) committee(s *tree.TreeState) *frostx.Committee {
	if c, ok := f.coms[s.GroupKey]; ok {
		return c
	}
	c, err := frostx.NewCommittee(frostx.Config{Threshold: s.Policy.M, MaxSigners: s.Policy.N,
		GroupKey: s.GroupKey, VerShares: s.VerShares})
	if err != nil {
		f.TB.Fatalf("NewCommittee: %v", err)
	}
	f.coms[s.GroupKey] = c
	return c
}

// Grow adds devices 1..n-1 one by one from G0 (each AddLeaf with a DKG)
// and returns the commit entries and the final state; policies {2,2},
// then M kept, the last op setting {m, n}.
func (f *Fixture) Grow(n int, m uint16) ([]journal.Entry, *tree.TreeState) {
	f.TB.Helper()
	s := f.G0
	var es []journal.Entry
	for i := 1; i < n; i++ {
		var pol *tree.Policy
		switch {
		case i == 1:
			pol = &tree.Policy{M: 2, N: 2}
		case i == n-1:
			pol = &tree.Policy{M: m, N: uint16(n)}
		}
		c := f.Commit(s, f.Op(s, tree.AddLeaf, f.Device(i), nil, pol, true))
		es, s = append(es, c.Entry), c.Post
	}
	return es, s
}
