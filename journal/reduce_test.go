package journal_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

func reduce(t *testing.T, ns journal.Namespace, es []journal.Entry) journal.State {
	t.Helper()
	s, err := journal.DefaultRegistry().Reduce(ns, es)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReduceOrderIndependent: reduction is byte-identical over 1000
// random orderings of the (un-joined, duplicated) entry list, and equal
// to the reduction of the joined Set.
func TestReduceOrderIndependent(t *testing.T) {
	for name, mk := range map[string]func() (journal.Namespace, []journal.Entry){
		"context": contextPool, "authority": authorityPool} {
		t.Run(name, func(t *testing.T) {
			ns, pool := mk()
			want := reduce(t, ns, pool).Canonical()
			set := journal.NewSet(ns)
			for _, e := range pool {
				_, _ = set.Add(e)
			}
			if got := reduce(t, ns, set.Entries()).Canonical(); !bytes.Equal(got, want) {
				t.Fatal("joined set reduces differently from the raw list")
			}
			r := rand.New(rand.NewPCG(7, 8))
			for i := range 1000 {
				es := slices.Clone(pool)
				r.Shuffle(len(es), func(a, b int) { es[a], es[b] = es[b], es[a] })
				es = append(es, es[:r.IntN(len(es))]...) // duplicates
				if got := reduce(t, ns, es).Canonical(); !bytes.Equal(got, want) {
					t.Fatalf("ordering %d reduced differently", i)
				}
			}
		})
	}
}

func TestContextReduction(t *testing.T) {
	ns, pool := contextPool()
	s := reduce(t, ns, pool).(*journal.ContextState)
	c := jt.NewStaticContext("pool", 3)
	other := jt.NewStaticContextOf("pool", c.Founders[0], c.Founders[1], jt.NewFounder("pool-extra"))
	g1, g2 := jt.MustEntry(c.Genesis()), jt.MustEntry(other.Genesis())
	wantG := g1
	if bytes.Compare(g2.BodyHash[:], g1.BodyHash[:]) < 0 {
		wantG = g2
	}
	if !s.HasGenesis || s.GenesisID != wantG.ID || len(s.Members) != 3 || len(s.MemberKeys) != 3 {
		t.Fatalf("genesis: has %v, members %d", s.HasGenesis, len(s.Members))
	}
	if s.FlowEpoch != 5 {
		t.Fatalf("FlowEpoch = %d, want 5 (max valid)", s.FlowEpoch)
	}
	// Peers: one register per (member, peer id) whose author is a member
	// of the chosen Genesis; each at Seq 3.
	for _, p := range s.Peers {
		if p.Seq != 3 {
			t.Fatalf("peer register not joined: seq %d", p.Seq)
		}
		if _, ok := s.Member(p.Author); !ok {
			t.Fatal("peer of a non-member")
		}
	}
	for _, g := range s.Generic {
		if g.Kind == 9 {
			t.Fatal("Generic signed by a non-member key was applied")
		}
	}
	if s.Inert == 0 {
		t.Fatal("expected inert entries")
	}
}

// TestAuthorityReduction (cf. SPEC §16.32): a FlowCharge signed by a key
// that is not the device's is stored but inert; FlowSpent is the join.
func TestAuthorityReduction(t *testing.T) {
	ns, pool := authorityPool()
	s := reduce(t, ns, pool).(*journal.AuthorityState)
	f := jt.NewFounder("apool")
	if !s.HasGenesis || s.AuthorityID != f.Authority || s.DeviceKey != f.DevicePub || s.Device != f.Device {
		t.Fatal("genesis not reduced")
	}
	if got := s.Spent(journal.ContextID{1}, [16]byte{0}, 0, 0); got != 3 {
		t.Fatalf("Spent = %d, want 3 (forged 99 must be inert)", got)
	}
	if len(s.FlowSpent) != 2 || len(s.Peers) != 1 || s.Inert != 1 {
		t.Fatalf("FlowSpent %d, Peers %d, Inert %d", len(s.FlowSpent), len(s.Peers), s.Inert)
	}
}

func TestReduceWithoutGenesisIsInert(t *testing.T) {
	c := jt.NewStaticContext("nogen", 2)
	s := reduce(t, c.NS(), entriesOf([]journal.Fact{c.Generic(0, 1, nil), c.FlowEpochAdvance(2)})).(*journal.ContextState)
	if s.HasGenesis || len(s.Generic) != 0 || s.FlowEpoch != 0 || s.Inert != 2 {
		t.Fatalf("state without genesis applied facts: %+v", s)
	}
}

// TestReductionArrivalTimeIndependent (SPEC §16.27): a journal that got an
// advance 10 min early (deferred, then promoted) reduces byte-identically
// to one that got it when due.
func TestReductionArrivalTimeIndependent(t *testing.T) {
	ctx := context.Background()
	c := jt.NewStaticContext("arrival", 2)
	t0 := time.UnixMilli(int64(jt.GenesisTimeMs + 3*jt.FlowEpochMs))
	facts := [][]byte{c.Genesis().Canonical(), c.Generic(0, 1, []byte("x")).Canonical(), c.FlowEpochAdvance(5).Canonical()}
	early := openJournal(t, memStore(), journal.Config{})
	late := openJournal(t, memStore(), journal.Config{})
	for _, j := range []*journal.Journal{early, late} {
		j.Join(c.NS())
	}
	if _, err := early.Add(ctx, c.NS(), t0, facts...); err != nil {
		t.Fatal(err)
	}
	stateOf := func(j *journal.Journal) []byte {
		set, err := j.Store().Set(ctx, c.NS())
		if err != nil {
			t.Fatal(err)
		}
		s, err := journal.DefaultRegistry().ReduceSet(set)
		if err != nil {
			t.Fatal(err)
		}
		return s.Canonical()
	}
	before := stateOf(early)
	if s := reduce(t, c.NS(), entriesOf([]journal.Fact{c.Genesis(), c.Generic(0, 1, []byte("x"))})); !bytes.Equal(before, s.Canonical()) {
		t.Fatal("deferred fact influenced reduction")
	}
	due := t0.Add(10 * time.Minute)
	if n, err := early.Tick(ctx, due); err != nil || n != 1 {
		t.Fatalf("Tick: %d %v", n, err)
	}
	if _, err := late.Add(ctx, c.NS(), due, facts[2], facts[0], facts[1]); err != nil {
		t.Fatal(err)
	}
	a, b := stateOf(early), stateOf(late)
	if !bytes.Equal(a, b) || bytes.Equal(a, before) {
		t.Fatal("reduction depends on arrival time")
	}
}
