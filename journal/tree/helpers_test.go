package tree

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

func long() bool { return os.Getenv("AURA_LONG") == "1" }

// device is a test device: its Ed25519 key and leaf template.
type device struct {
	priv ed25519.PrivateKey
	leaf Leaf // ID and FrostID filled when added
}

// fixture is one authority whose devices really sign: key shares are
// kept per group key, so any state's committee can sign T.
type fixture struct {
	tb     testing.TB
	auth   journal.AuthorityID
	ns     journal.Namespace
	rnd    *rand.ChaCha8
	devs   map[[32]byte]*device           // by DeviceKey
	shares map[[32]byte]map[uint16][]byte // group key → FrostID → key share
	coms   map[[32]byte]*frostx.Committee // group key → committee
	gen    journal.Entry
	base   []journal.Entry // growth commits from grow
	g0     *TreeState
	nonce  uint64
}

func seed32(seed uint64, salt string) [32]byte {
	return canon.H("aura/tree-test/v1", binary.BigEndian.AppendUint64(nil, seed), []byte(salt))
}

func newDevice(seed uint64, i int) *device {
	s := seed32(seed, "device"+string(rune('a'+i)))
	priv := ed25519.NewKeyFromSeed(s[:])
	pub := [32]byte(priv.Public().(ed25519.PublicKey))
	return &device{priv: priv, leaf: Leaf{Device: DeviceIDOf(pub), Role: RoleDevice,
		DeviceKey: pub, DHKey: seed32(seed, "dh"+string(rune('a'+i)))}}
}

// newFixture founds a single-device authority (SPEC §4.1 item 1).
func newFixture(tb testing.TB, seed uint64) *fixture {
	tb.Helper()
	f := &fixture{tb: tb, rnd: rand.NewChaCha8(seed32(seed, "rnd")), devs: map[[32]byte]*device{},
		shares: map[[32]byte]map[uint16][]byte{}, coms: map[[32]byte]*frostx.Committee{}}
	d := f.device(seed, 0)
	nonce := seed32(seed, "nonce")
	f.auth = AuthorityIDOf(d.leaf.DeviceKey, nonce)
	f.ns = journal.AuthorityNS(f.auth)
	jl := journal.Leaf{ID: 0, Device: d.leaf.Device, Role: 1, DeviceKey: d.leaf.DeviceKey, DHKey: d.leaf.DHKey, FrostID: 1}
	g := &journal.AuthorityGenesis{AuthorityID: f.auth, Nonce: nonce, GenesisTimeMs: 1_700_000_000_000,
		Leaf: jl, Policy: journal.Policy{M: 1, N: 1}, KeyRotation: journal.KeyRotation{
			GroupKey: d.leaf.DeviceKey, VerShares: map[uint16][32]byte{1: d.leaf.DeviceKey},
			FrostIDs: map[uint32]uint16{0: 1}, SealedSecrets: map[uint32][]byte{0: sealed(0)}}}
	f.gen = f.entry(journal.SignAuthorityGenesis(g, d.priv))
	gs, err := GenesisState(f.ns, g)
	if err != nil {
		tb.Fatalf("GenesisState: %v", err)
	}
	f.g0 = gs
	return f
}

func (f *fixture) device(seed uint64, i int) *device {
	d := newDevice(seed, i)
	f.devs[d.leaf.DeviceKey] = d
	return d
}

func sealed(i int) []byte { return slices.Repeat([]byte{byte(i + 1)}, 80) }

func (f *fixture) entry(jf journal.Fact) journal.Entry {
	f.tb.Helper()
	e, err := journal.Ingress(jf.Canonical(), time.Time{})
	if err != nil {
		f.tb.Fatalf("Ingress: %v", err)
	}
	return e
}

// keyFor runs a real DKG among leaves (sorted by ID, FrostIDs 1..N) with
// threshold m, or builds the single-device form, and records the shares.
func (f *fixture) keyFor(leaves []Leaf, m uint16, keyEpoch uint64) *KeyRotation {
	f.tb.Helper()
	k := &KeyRotation{KeyEpoch: keyEpoch, FrostIDs: map[LeafID]uint16{}, SealedSecrets: map[LeafID][]byte{}}
	for i, l := range leaves {
		k.FrostIDs[l.ID] = uint16(i + 1)
		k.SealedSecrets[l.ID] = sealed(int(l.ID))
	}
	if len(leaves) == 1 && m == 1 {
		k.GroupKey, k.VerShares = leaves[0].DeviceKey, map[uint16][32]byte{1: leaves[0].DeviceKey}
		return k
	}
	_, _ = f.rnd.Read(k.DKGNonce[:])
	res := f.runDKG(DKGSession(f.auth, leaves, m, keyEpoch, k.DKGNonce), leaves)
	k.GroupKey, k.VerShares = res[0].GroupKey, res[0].VerShares
	k.Round1, k.DKGTranscriptHash, k.Confirms = res[0].Round1, res[0].TranscriptHash, res[0].Confirms
	sh := map[uint16][]byte{}
	for _, r := range res {
		sh[r.Self] = r.KeyShare
	}
	f.shares[k.GroupKey] = sh
	return k
}

func (f *fixture) runDKG(sess dkg.Session, leaves []Leaf) []dkg.Result {
	f.tb.Helper()
	parts := make([]*dkg.Participant, len(leaves))
	type env struct {
		from uint16
		m    dkg.Message
	}
	var q []env
	for i, l := range leaves {
		p, err := dkg.NewParticipant(sess, uint16(i+1), f.devs[l.DeviceKey].priv, f.rnd)
		if err != nil {
			f.tb.Fatalf("NewParticipant: %v", err)
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
			f.tb.Fatalf("dkg: %v", err)
		}
		for _, m := range out {
			q = append(q, env{e.m.To, m})
		}
	}
	res := make([]dkg.Result, len(parts))
	for i, p := range parts {
		r, err := p.Result()
		if err != nil {
			f.tb.Fatalf("dkg result: %v", err)
		}
		res[i] = r
	}
	return res
}

// op builds an op of kind at s with a real NewKey where needed (always
// for kinds 1–3; for RotateEpoch when withKey).
func (f *fixture) op(s *TreeState, kind uint8, add *device, remove []LeafID, pol *Policy, withKey bool) *TreeOp {
	f.tb.Helper()
	op := &TreeOp{ParentEpoch: s.Epoch, ParentRoot: s.Root, Version: OpVersion, Kind: kind,
		Remove: remove, NewPolicy: pol}
	if add != nil {
		l := add.leaf
		l.ID = LeafID(s.NextLeafId)
		op.Add = &l
	}
	if kind == RotateEpoch && !withKey {
		return op
	}
	leaves, p, err := Plan(s, op)
	if err != nil {
		f.tb.Fatalf("Plan: %v", err)
	}
	op.NewKey = f.keyFor(leaves, p.M, s.KeyEpoch+1)
	if op.Add != nil {
		op.Add.FrostID = op.NewKey.FrostIDs[op.Add.ID]
	}
	return op
}

// rotate is a cheap RotateEpoch without a key; reason varies the op.
func rotate(s *TreeState, reason uint8) *TreeOp {
	return &TreeOp{ParentEpoch: s.Epoch, ParentRoot: s.Root, Version: OpVersion, Kind: RotateEpoch, Reason: reason}
}

// signed is a built commit with its entry and post state.
type signed struct {
	cf    consensus.CommitFact
	entry journal.Entry
	post  *TreeState
}

// commit really signs op at s with the first M leaves (or those given).
func (f *fixture) commit(s *TreeState, op *TreeOp, signers ...LeafID) signed {
	f.tb.Helper()
	post, err := Execute(f.auth, s, op)
	if err != nil {
		f.tb.Fatalf("Execute: %v", err)
	}
	f.nonce++
	cf := f.fact(s, op, post.Root, f.nonce)
	if len(signers) == 0 {
		for _, l := range s.Leaves[:s.Policy.M] {
			signers = append(signers, l.ID)
		}
	}
	cf.Signature, cf.Signers = f.sign(s, s.GroupKey, transcript(&cf, s), signers)
	return signed{cf: cf, entry: f.entry(cf.Fact()), post: post}
}

func (f *fixture) fact(s *TreeState, op *TreeOp, post [32]byte, nonce uint64) consensus.CommitFact {
	pre := PrestateHash(f.auth, s.Root)
	oh := op.OpHash()
	cid := consensus.CIDOf(pre, oh, nonce)
	return consensus.CommitFact{CID: cid, PrestateHash: pre, OpHash: oh, RID: consensus.RIDOf(pre, oh, post),
		Nonce: nonce, Op: op.Canonical(), Scope: f.ns, KeyEpoch: s.KeyEpoch, Threshold: s.Policy.M,
		Path: consensus.PathFast1}
}

func transcript(cf *consensus.CommitFact, s *TreeState) []byte {
	return consensus.Transcript(cf.Scope, cf.CID, cf.PrestateHash, cf.OpHash, cf.RID, s.Policy.M, s.GroupKey, s.KeyEpoch)
}

// sign signs T under group key gk held by state s's leaves signers.
func (f *fixture) sign(s *TreeState, gk [32]byte, T []byte, signers []LeafID) ([64]byte, []uint16) {
	f.tb.Helper()
	if s.Policy.M == 1 {
		l, _ := s.Leaf(signers[0])
		return [64]byte(ed25519.Sign(f.devs[l.DeviceKey].priv, T)), []uint16{l.FrostID}
	}
	return f.frostSign(s, gk, T, signers)
}

func (f *fixture) frostSign(s *TreeState, gk [32]byte, T []byte, signers []LeafID) ([64]byte, []uint16) {
	f.tb.Helper()
	com := f.committee(gk, s)
	var ids []uint16
	var ss []*frostx.Signer
	var pkg []frostx.Commitment
	for _, id := range signers {
		l, _ := s.Leaf(id)
		sg, err := frostx.NewSigner(com, f.shares[gk][l.FrostID])
		if err != nil {
			f.tb.Fatalf("NewSigner: %v", err)
		}
		c, err := sg.Commit()
		if err != nil {
			f.tb.Fatalf("Commit: %v", err)
		}
		ids, ss, pkg = append(ids, l.FrostID), append(ss, sg), append(pkg, c)
	}
	var shares []frostx.Share
	for _, sg := range ss {
		sh, err := sg.Sign(T, pkg)
		if err != nil {
			f.tb.Fatalf("Sign: %v", err)
		}
		shares = append(shares, sh)
	}
	sig, err := com.Aggregate(T, shares, pkg)
	if err != nil {
		f.tb.Fatalf("Aggregate: %v", err)
	}
	return sig, ids
}

func (f *fixture) committee(gk [32]byte, s *TreeState) *frostx.Committee {
	if c, ok := f.coms[gk]; ok {
		return c
	}
	c, err := frostx.NewCommittee(frostx.Config{Threshold: s.Policy.M, MaxSigners: s.Policy.N, GroupKey: gk, VerShares: s.VerShares})
	if err != nil {
		f.tb.Fatalf("NewCommittee: %v", err)
	}
	f.coms[gk] = c
	return c
}

// grow adds devices 1..n-1 one by one (each AddLeaf with a DKG) and
// returns the entries and the final state; policies {2,2}, then M kept.
func (f *fixture) grow(seed uint64, n int, m uint16) ([]journal.Entry, *TreeState) {
	f.tb.Helper()
	s := f.g0
	var es []journal.Entry
	for i := 1; i < n; i++ {
		var pol *Policy
		switch {
		case i == 1:
			pol = &Policy{M: 2, N: 2}
		case i == n-1:
			pol = &Policy{M: m, N: uint16(n)}
		}
		c := f.commit(s, f.op(s, AddLeaf, f.device(seed, i), nil, pol, true))
		es, s = append(es, c.entry), c.post
	}
	f.base = append(f.base, es...)
	return es, s
}

func reduce(tb testing.TB, r *Reducer, ns journal.Namespace, es []journal.Entry) *Result {
	tb.Helper()
	res, err := r.Reduce(ns, es)
	if err != nil {
		tb.Fatalf("Reduce: %v", err)
	}
	return res
}

func shuffled(rnd *rand.Rand, es []journal.Entry) []journal.Entry {
	out := slices.Clone(es)
	rnd.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func journalAuth() (a journal.AuthorityID) { return a }

// buildChain signs a chain of k cheap RotateEpoch commits from s (a
// single-device or any state the fixture can sign), with a competing
// sibling every `every` steps; the chain continues from the max-OpHash
// child. It returns every commit entry and the tip.
func (f *fixture) buildChain(s *TreeState, k, every int) ([]journal.Entry, *TreeState) {
	f.tb.Helper()
	var es []journal.Entry
	for i := range k {
		a := f.commit(s, rotate(s, 0))
		es = append(es, a.entry)
		next := a
		if every > 0 && i%every == 0 {
			b := f.commit(s, rotate(s, 1))
			es = append(es, b.entry)
			if bytes.Compare(b.cf.OpHash[:], a.cf.OpHash[:]) > 0 {
				next = b
			}
		}
		s = next.post
	}
	return es, s
}
