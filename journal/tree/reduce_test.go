package tree

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/journal"
)

// maxOpHash returns the commit with the larger OpHash.
func maxOpHash(a, b signed) (win, lose signed) {
	if bytes.Compare(a.cf.OpHash[:], b.cf.OpHash[:]) > 0 {
		return a, b
	}
	return b, a
}

// TestConcurrentRemoveAndAdd is SPEC §16.9: concurrent commits
// RemoveLeaf({x}) and AddLeaf(y) at one root; every replica applies the
// max-OpHash op, and 1000 random fact orderings give byte-identical
// TreeState. The first orderings (all with AURA_LONG=1) use a fresh
// Reducer each, as separate replicas; the rest share one cache.
func TestConcurrentRemoveAndAdd(t *testing.T) {
	f := newFixture(t, 20)
	es, s := f.grow(20, 3, 2)
	rm := f.commit(s, f.op(s, RemoveLeaf, nil, []LeafID{2}, nil, true))
	ad := f.commit(s, f.op(s, AddLeaf, f.device(20, 5), nil, nil, true))
	win, lose := maxOpHash(rm, ad)
	want := win.post.Canonical()
	all := append(slices.Clone(es), f.gen, rm.entry, ad.entry)
	rnd := rand.New(rand.NewPCG(20, 20))
	fresh, shared := 10, NewReducer(Config{})
	if long() {
		fresh = 1000
	}
	for i := range 1000 {
		r := shared
		if i < fresh {
			r = NewReducer(Config{})
		}
		res := reduce(t, r, f.ns, shuffled(rnd, all))
		if !bytes.Equal(res.State.Canonical(), want) {
			t.Fatalf("ordering %d: state differs from the max-OpHash op's", i)
		}
		if res.Outcome(win.cf.CID) != StatusApplied || res.Outcome(lose.cf.CID) != StatusSuperseded {
			t.Fatalf("ordering %d: outcomes %v %v", i, res.Outcome(win.cf.CID), res.Outcome(lose.cf.CID))
		}
	}
}

// TestChainOrder is SPEC §16.10: 100 random chains of 3 tree ops, each
// delivered in all 6 arrival orders to a replica that reduces after every
// arrival: the applied list is always the arrived prefix of the chain, in
// chain order, including chains whose EntryIDs sort against it. The six
// orders of one chain share a Reducer (its valid() cache is a pure memo;
// the first order starts cold); with AURA_LONG=1 each order gets a fresh
// one.
// 100 chains are single-device (Ed25519 commits, some carrying a
// single-device NewKey); 2 more (20 with AURA_LONG=1) are FROST 2-of-3
// chains with a RemoveLeaf DKG in the middle.
func TestChainOrder(t *testing.T) {
	against := 0
	for i := range 100 {
		f := newFixture(t, uint64(100+i))
		rnd := rand.New(rand.NewPCG(uint64(i), 10))
		s := f.g0
		var chain []signed
		for range 3 {
			op := rotate(s, uint8(rnd.IntN(256)))
			if rnd.IntN(2) == 0 {
				op = f.op(s, RotateEpoch, nil, nil, nil, true)
			}
			c := f.commit(s, op)
			chain, s = append(chain, c), c.post
		}
		against += checkChain(t, f, chain)
	}
	if against == 0 {
		t.Fatal("no chain had EntryIDs sorting against chain order")
	}
	frostChains := 2
	if long() {
		frostChains = 20
	}
	for i := range frostChains {
		f := newFixture(t, uint64(300+i))
		es, s := f.grow(uint64(300+i), 3, 2)
		c1 := f.commit(s, rotate(s, uint8(i)))
		c2 := f.commit(c1.post, f.op(c1.post, RemoveLeaf, nil, []LeafID{2}, nil, true))
		c3 := f.commit(c2.post, rotate(c2.post, uint8(i)))
		if len(es) != len(f.base) {
			t.Fatal("growth entries not recorded")
		}
		checkChain(t, f, []signed{c1, c2, c3})
	}
}

// checkChain delivers chain in all 6 orders (after the Genesis and f's
// growth commits f.base) and reports whether EntryID order disagrees with
// chain order.
func checkChain(t *testing.T, f *fixture, chain []signed) int {
	t.Helper()
	base := append([]journal.Entry{f.gen}, f.base...)
	r := NewReducer(Config{})
	for _, perm := range perms3 {
		if long() {
			r = NewReducer(Config{})
		}
		arrived := slices.Clone(base)
		got := map[int]bool{}
		for _, k := range perm {
			arrived = append(arrived, chain[k].entry)
			got[k] = true
			res := reduce(t, r, f.ns, arrived)
			prefix := 0
			for prefix < 3 && got[prefix] {
				prefix++
			}
			if len(res.Applied) != len(base)-1+prefix {
				t.Fatalf("order %v after %d: %d applied, want prefix %d", perm, k, len(res.Applied), prefix)
			}
			for j := range prefix {
				if res.Applied[len(base)-1+j] != chain[j].entry.ID {
					t.Fatalf("order %v: applied out of chain order", perm)
				}
			}
		}
	}
	ids := []journal.EntryID{chain[0].entry.ID, chain[1].entry.ID, chain[2].entry.ID}
	if slices.IsSortedFunc(ids, func(a, b journal.EntryID) int { return bytes.Compare(a[:], b[:]) }) {
		return 0
	}
	return 1
}

var perms3 = [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}

// TestRemovedShareUseless is SPEC §16.11: after RemoveLeaf({x}) with a
// new key, x's old share — even with another member's old share, enough
// for the old threshold — cannot produce a valid signature for the next
// op, and cannot join the new committee.
func TestRemovedShareUseless(t *testing.T) {
	f := newFixture(t, 30)
	es, s := f.grow(30, 3, 2)
	rm := f.commit(s, f.op(s, RemoveLeaf, nil, []LeafID{2}, nil, true))
	s2 := rm.post
	op := rotate(s2, 9)
	post, _ := Execute(f.auth, s2, op)
	base := append(slices.Clone(es), f.gen, rm.entry)

	f.nonce++
	cf := f.fact(s2, op, post.Root, f.nonce)
	T := transcript(&cf, s2)
	// x (leaf 2) and leaf 0 sign with their old shares of s's key.
	cf.Signature, cf.Signers = f.frostSign(s, s.GroupKey, T, []LeafID{0, 2})
	if err := frostx.Verify(s2.GroupKey, T, cf.Signature); err == nil {
		t.Fatal("old-key signature verifies under the new key")
	}
	if err := consensus.VerifyCommit(&cf, NewScope(f.auth, s2)); !errors.Is(err, consensus.ErrInvalidCommit) {
		t.Fatalf("VerifyCommit: %v", err)
	}
	forged := f.entry(cf.Fact())
	res := reduce(t, NewReducer(Config{}), f.ns, append(slices.Clone(base), forged))
	if res.State.Root != s2.Root || res.Outcome(cf.CID) != StatusInvalid {
		t.Fatalf("forged commit applied: outcome %v", res.Outcome(cf.CID))
	}
	xOld := f.shares[s.GroupKey][3] // x's FrostID under the old key
	if _, err := frostx.NewSigner(f.committee(s2.GroupKey, s2), xOld); err == nil {
		t.Fatal("removed device's old share accepted by the new committee")
	}
	good := f.commit(s2, op) // control: the survivors' new key signs
	res = reduce(t, NewReducer(Config{}), f.ns, append(base, forged, good.entry))
	if res.State.Root != good.post.Root {
		t.Fatal("validly signed next op did not apply")
	}
}

// TestAlteredSignatureInert is SPEC §16.32 (commit part): a copy of a
// valid Commit with altered signature bytes and a smaller body hash
// shares its FactID, is stored but inert, and the op still applies.
func TestAlteredSignatureInert(t *testing.T) {
	f := newFixture(t, 40)
	c := f.commit(f.g0, rotate(f.g0, 1))
	var alt journal.Entry
	for i := 0; ; i++ {
		cf := c.cf
		cf.Signature[i%64] ^= byte(1 << (i / 64 % 8))
		alt = f.entry(cf.Fact())
		if bytes.Compare(alt.BodyHash[:], c.entry.BodyHash[:]) < 0 {
			break
		}
	}
	if alt.FactID != c.entry.FactID {
		t.Fatal("altered copy has another FactID")
	}
	for _, es := range [][]journal.Entry{{f.gen, c.entry, alt}, {alt, c.entry, f.gen}} {
		res := reduce(t, NewReducer(Config{}), f.ns, es)
		if res.State.Root != c.post.Root || !slices.Equal(res.Applied, []journal.EntryID{c.entry.ID}) {
			t.Fatal("op did not apply from the valid body")
		}
		if st := statusOf(res, alt.ID); st != StatusInvalid {
			t.Fatalf("altered copy status %v", st)
		}
	}
}

func statusOf(res *Result, id journal.EntryID) Status {
	for _, c := range res.Commits {
		if c.Entry == id {
			return c.Status
		}
	}
	return 0
}

// TestSameOpTwoCIDs is SPEC §16.36: one op committed under two cids at
// one parent ⇒ the smaller cid applies (Applied), the other is
// Superseded; an op superseded by a later-arriving larger-OpHash commit
// turns Superseded, and its descendants go off-chain.
func TestSameOpTwoCIDs(t *testing.T) {
	f := newFixture(t, 50)
	op := rotate(f.g0, 3)
	c1, c2 := f.commit(f.g0, op), f.commit(f.g0, op)
	small, big := c1, c2
	if bytes.Compare(c2.cf.CID[:], c1.cf.CID[:]) < 0 {
		small, big = c2, c1
	}
	res := reduce(t, NewReducer(Config{}), f.ns, []journal.Entry{f.gen, c1.entry, c2.entry})
	if res.Outcome(small.cf.CID) != StatusApplied || res.Outcome(big.cf.CID) != StatusSuperseded ||
		!slices.Equal(res.Applied, []journal.EntryID{small.entry.ID}) {
		t.Fatalf("outcomes %v %v", res.Outcome(small.cf.CID), res.Outcome(big.cf.CID))
	}

	// Two AddLeaf ops of different devices: their post states differ (two
	// key-less RotateEpochs at one parent would reach the same Root).
	addA := f.op(f.g0, AddLeaf, f.device(50, 1), nil, &Policy{2, 2}, true)
	addB := f.op(f.g0, AddLeaf, f.device(50, 2), nil, &Policy{2, 2}, true)
	win, lose := maxOpHash(f.commit(f.g0, addA), f.commit(f.g0, addB))
	child := f.commit(lose.post, rotate(lose.post, 0))
	r := NewReducer(Config{})
	res = reduce(t, r, f.ns, []journal.Entry{f.gen, lose.entry, child.entry})
	if res.Outcome(lose.cf.CID) != StatusApplied || res.State.Root != child.post.Root {
		t.Fatal("lone commit chain not applied")
	}
	res = reduce(t, r, f.ns, []journal.Entry{f.gen, lose.entry, child.entry, win.entry})
	if res.Outcome(win.cf.CID) != StatusApplied || res.Outcome(lose.cf.CID) != StatusSuperseded ||
		res.Outcome(child.cf.CID) != StatusSuperseded || res.State.Root != win.post.Root {
		t.Fatalf("later larger-OpHash commit did not supersede: %v %v %v %v", res.Outcome(win.cf.CID), res.Outcome(lose.cf.CID), res.Outcome(child.cf.CID), res.State.Root == win.post.Root)
	}
}

// TestReReduceEvaluatesOnce is SPEC §16.42: re-reducing an authority of
// many tree facts after one new commit runs valid() once and equals a
// from-scratch reduction byte for byte. 300 commits; 10⁴ with
// AURA_LONG=1 (and in BenchmarkReduce10k).
func TestReReduceEvaluatesOnce(t *testing.T) {
	k := 250 // 300 commits: frostx.Verify is ~20× slower under -race
	if long() {
		k = 8334 // + 1667 siblings = 10⁴ commits
	}
	f := newFixture(t, 60)
	es, tip := f.buildChain(f.g0, k, 5)
	all := append(es, f.gen)
	r := NewReducer(Config{})
	res := reduce(t, r, f.ns, all)
	if res.State.Root != tip.Root || r.Evaluations() != uint64(len(es)) {
		t.Fatalf("from scratch: %d evaluations for %d commits", r.Evaluations(), len(es))
	}
	c := f.commit(tip, rotate(tip, 7))
	all = append(all, c.entry)
	before := r.Evaluations()
	inc := reduce(t, r, f.ns, all)
	if n := r.Evaluations() - before; n != 1 {
		t.Fatalf("re-reduction ran valid %d times, want 1", n)
	}
	scratch := reduce(t, NewReducer(Config{}), f.ns, shuffled(rand.New(rand.NewPCG(6, 0)), all))
	if !bytes.Equal(inc.Canonical(), scratch.Canonical()) || inc.State.Root != c.post.Root {
		t.Fatal("incremental and from-scratch reductions differ")
	}
}

// TestGenesisRules: only a valid Genesis founds the tree; among valid
// ones the smallest H(body) wins; a bad one is inert.
func TestGenesisRules(t *testing.T) {
	f := newFixture(t, 70)
	g := *f.gen.Body.(*journal.AuthorityGenesis)
	g.Sig[0] ^= 1
	if _, err := GenesisState(f.ns, &g); !errors.Is(err, ErrInvalidGenesis) {
		t.Fatalf("bad sig: %v", err)
	}
	g = *f.gen.Body.(*journal.AuthorityGenesis)
	g.Policy = journal.Policy{M: 1, N: 2}
	if _, err := GenesisState(f.ns, &g); !errors.Is(err, ErrInvalidGenesis) {
		t.Fatalf("bad policy: %v", err)
	}
	res := reduce(t, NewReducer(Config{}), f.ns, nil)
	if res.HasGenesis() {
		t.Fatal("state without Genesis")
	}
	c := f.commit(f.g0, rotate(f.g0, 0))
	res = reduce(t, NewReducer(Config{}), f.ns, []journal.Entry{c.entry})
	if res.HasGenesis() || res.Outcome(c.cf.CID) != StatusSuperseded {
		t.Fatal("commit applied without Genesis")
	}
	other := newFixture(t, 71)
	if _, err := NewReducer(Config{}).Reduce(f.ns, []journal.Entry{other.gen}); !errors.Is(err, journal.ErrNamespaceMismatch) {
		t.Fatalf("foreign entry: %v", err)
	}
}

// TestScopeCommittee: the Scope's committee, prestate and Execute match
// the state (SPEC §5.1).
func TestScopeCommittee(t *testing.T) {
	f := newFixture(t, 80)
	_, s := f.grow(80, 3, 2)
	sc := NewScope(f.auth, s)
	com := sc.Committee()
	if com.Threshold != 2 || com.KeyEpoch != s.KeyEpoch || com.GroupKey != s.GroupKey || len(com.Members) != 3 ||
		com.Scope != f.ns || sc.PrestateHash() != PrestateHash(f.auth, s.Root) {
		t.Fatalf("committee %+v", com)
	}
	for i, m := range com.Members {
		l, ok := s.LeafByDevice(journal.DeviceID(m.Witness))
		if !ok || l.FrostID != m.FrostID || l.DeviceKey != m.VoteKey || (i > 0 && bytes.Compare(com.Members[i-1].Witness[:], m.Witness[:]) >= 0) {
			t.Fatalf("member %d", i)
		}
	}
	op := rotate(s, 1)
	post, err := sc.Execute(op.Canonical())
	want, _ := Execute(f.auth, s, op)
	if err != nil || post != want.Root {
		t.Fatalf("Execute: %v", err)
	}
	if h, err := sc.OpHash(op.Canonical()); err != nil || h != op.OpHash() {
		t.Fatalf("OpHash: %v", err)
	}
	if _, err := sc.Execute([]byte{1}); !errors.Is(err, consensus.ErrInvalidOp) || !errors.Is(err, ErrMalformed) {
		t.Fatalf("garbage op: %v", err)
	}
}

type countMetrics struct{ evals, applied, superseded, invalid, malformed int }

func (m *countMetrics) ValidEvaluated(bool) { m.evals++ }
func (m *countMetrics) Reduced(a, s, i, mf int) {
	m.applied, m.superseded, m.invalid, m.malformed = a, s, i, mf
}

// TestJournalRegistryAndMetrics: a journal.Registry delegates authority
// reduction to JournalReducer; Metrics sees evaluations and statuses, and
// a malformed Commit is reported inert.
func TestJournalRegistryAndMetrics(t *testing.T) {
	f := newFixture(t, 95)
	a, b := f.commit(f.g0, rotate(f.g0, 1)), f.commit(f.g0, rotate(f.g0, 2))
	bad := a.cf
	bad.Op = []byte{0xff}
	junk := f.entry(bad.Fact())
	m := &countMetrics{}
	reg := journal.NewRegistry(JournalReducer{R: NewReducer(Config{Metrics: m})})
	st, err := reg.Reduce(f.ns, []journal.Entry{junk, b.entry, a.entry, f.gen})
	if err != nil {
		t.Fatal(err)
	}
	res := st.(*Result)
	if !res.HasGenesis() || res.State.Epoch != 1 || statusOf(res, junk.ID) != StatusMalformed || len(res.Commits) != 3 {
		t.Fatalf("result %+v", res.Commits)
	}
	if m.evals != 2 || m.applied != 1 || m.superseded != 1 || m.malformed != 1 || m.invalid != 0 {
		t.Fatalf("metrics %+v", m)
	}
}
