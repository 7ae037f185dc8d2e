package journal_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

// propertyCases is 10^4 with AURA_LONG=1 (SPEC §16.12), 500 otherwise.
func propertyCases() int {
	if os.Getenv("AURA_LONG") == "1" {
		return 10_000
	}
	return 500
}

// contextPool is a fixed pool of context entries with register ties.
func contextPool() (journal.Namespace, []journal.Entry) {
	c := jt.NewStaticContext("pool", 3)
	other := jt.NewStaticContextOf("pool", c.Founders[0], c.Founders[1], jt.NewFounder("pool-extra"))
	var fs []journal.Fact
	fs = append(fs, c.Genesis(), other.Genesis(), c.FlowEpochAdvance(1), c.FlowEpochAdvance(5))
	for i := range 3 {
		fs = append(fs, c.Generic(i, 1, []byte{byte(i)}), c.CapGrant(i, []byte{byte(i), 7}))
		for seq := uint64(1); seq <= 3; seq++ {
			for _, addr := range []string{"/a", "/b"} {
				fs = append(fs, c.DevicePeer(i, []byte{'p', byte(i % 2)}, [][]byte{[]byte(addr)}, seq))
			}
		}
	}
	// Inert: a non-member signs as member 0; a wrong-StartMs advance.
	stranger := jt.NewFounder("stranger")
	fs = append(fs, journal.SignBody(c.NS(), &journal.Generic{Kind: 9}, c.Founders[0].Authority, stranger.MemberKey))
	bad := &journal.FlowEpochAdvance{Ctx: c.ID, Epoch: 9, StartMs: 1}
	fs = append(fs, journal.Fact{NS: c.NS(), Type: journal.TypeFlowEpochAdvance, Schema: 1, Body: bad.Canonical()})
	fs = append(fs, journal.Fact{NS: c.NS(), Type: 500, Schema: 1, Body: []byte("unknown")})
	return c.NS(), entriesOf(fs)
}

// authorityPool is a fixed pool of authority entries with FlowCharge ties.
func authorityPool() (journal.Namespace, []journal.Entry) {
	f := jt.NewFounder("apool")
	var fs []journal.Fact
	fs = append(fs, f.Genesis())
	for spent := uint64(1); spent <= 3; spent++ {
		for dst := range 2 {
			fs = append(fs, f.FlowCharge(journal.ContextID{1}, [16]byte{byte(dst)}, 0, spent))
		}
		fs = append(fs, f.AuthorityPeer([]byte("p"), [][]byte{{byte(spent)}}, spent%2))
	}
	// Tie: same Spent, different Ctx byte is a different FactID, so tie
	// on Spent via a forged signer (different FactID, inert).
	x := jt.NewFounder("apool-forger")
	fs = append(fs, journal.SignBody(f.NS(), &journal.FlowCharge{Ctx: journal.ContextID{1}, Spent: 99}, f.Device, x.DeviceKey))
	return f.NS(), entriesOf(fs)
}

func entriesOf(fs []journal.Fact) []journal.Entry {
	out := make([]journal.Entry, len(fs))
	for i, f := range fs {
		out[i] = jt.MustEntry(f)
	}
	return out
}

func randomSet(r *rand.Rand, ns journal.Namespace, pool []journal.Entry) *journal.Set {
	s := journal.NewSet(ns)
	for _, i := range r.Perm(len(pool)) {
		if r.IntN(3) == 0 {
			if _, err := s.Add(pool[i]); err != nil {
				panic(err)
			}
		}
	}
	return s
}

func mustMerge(t *testing.T, a, b *journal.Set) *journal.Set {
	t.Helper()
	m, err := journal.Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustLeq(t *testing.T, a, b *journal.Set) bool {
	t.Helper()
	ok, err := journal.Leq(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestMergeSemilattice (SPEC §16.12): merge is commutative, associative,
// idempotent, inflationary and the least upper bound of ⊑.
func TestMergeSemilattice(t *testing.T) {
	pools := map[string]func() (journal.Namespace, []journal.Entry){"context": contextPool, "authority": authorityPool}
	for name, mk := range pools {
		t.Run(name, func(t *testing.T) {
			ns, pool := mk()
			r := rand.New(rand.NewPCG(12, 34))
			for i := range propertyCases() {
				a, b, c := randomSet(r, ns, pool), randomSet(r, ns, pool), randomSet(r, ns, pool)
				checkLaws(t, i, a, b, c)
			}
		})
	}
}

func checkLaws(t *testing.T, i int, a, b, c *journal.Set) {
	ab, ba := mustMerge(t, a, b), mustMerge(t, b, a)
	if !journal.Equal(ab, ba) {
		t.Fatalf("case %d: not commutative", i)
	}
	if !journal.Equal(mustMerge(t, ab, c), mustMerge(t, a, mustMerge(t, b, c))) {
		t.Fatalf("case %d: not associative", i)
	}
	if !journal.Equal(mustMerge(t, a, a), a) {
		t.Fatalf("case %d: not idempotent", i)
	}
	if !mustLeq(t, a, ab) || !mustLeq(t, b, ab) {
		t.Fatalf("case %d: not inflationary", i)
	}
	abc := mustMerge(t, ab, c)
	if !mustLeq(t, ab, abc) {
		t.Fatalf("case %d: merge not below an upper bound", i)
	}
	if mustLeq(t, a, c) != journal.Equal(mustMerge(t, a, c), c) {
		t.Fatalf("case %d: Leq disagrees with merge", i)
	}
}

// TestSetAddOrderIndependent: inserting one multiset in any order gives
// the same state (register joins are order-free).
func TestSetAddOrderIndependent(t *testing.T) {
	ns, pool := contextPool()
	want := journal.NewSet(ns)
	for _, e := range pool {
		_, _ = want.Add(e)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		s := journal.NewSet(ns)
		for _, i := range r.Perm(len(pool)) {
			_, _ = s.Add(pool[i])
		}
		if !journal.Equal(s, want) {
			t.Fatal("insertion order changed the state")
		}
	}
}

func TestMergeNamespaceMismatch(t *testing.T) {
	a := journal.NewSet(journal.ContextNS(journal.ContextID{1}))
	b := journal.NewSet(journal.ContextNS(journal.ContextID{2}))
	if _, err := journal.Merge(a, b); !errors.Is(err, journal.ErrNamespaceMismatch) {
		t.Fatal("cross-namespace merge succeeded")
	}
	if _, err := journal.Leq(a, b); !errors.Is(err, journal.ErrNamespaceMismatch) {
		t.Fatal("cross-namespace Leq succeeded")
	}
	_, pool := contextPool()
	if _, err := a.Add(pool[0]); !errors.Is(err, journal.ErrNamespaceMismatch) {
		t.Fatal("Add of a foreign entry succeeded")
	}
}
