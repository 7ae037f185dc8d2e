package journal_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

var fixtureNow = time.UnixMilli(int64(jt.GenesisTimeMs))

func TestFactCanonicalRoundTrip(t *testing.T) {
	f := journal.Fact{NS: journal.ContextNS(journal.ContextID{1, 2}), Type: 99, Schema: 7, Body: []byte("xyz")}
	raw := f.Canonical()
	want := append([]byte{2, 1, 2}, make([]byte, 14)...)
	want = append(want, 0, 99, 0, 7, 3, 'x', 'y', 'z')
	if !bytes.Equal(raw, want) {
		t.Fatalf("canonical = %x, want %x", raw, want)
	}
	g, err := journal.DecodeFact(raw)
	if err != nil || g.NS != f.NS || g.Type != f.Type || g.Schema != f.Schema || !bytes.Equal(g.Body, f.Body) {
		t.Fatalf("decode = %+v, %v", g, err)
	}
}

// TestEntryIDDerivation recomputes FactID and EntryID by hand (SPEC §3).
func TestEntryIDDerivation(t *testing.T) {
	c := jt.NewStaticContext("ids", 2)
	adv := c.FlowEpochAdvance(3)
	e := jt.MustEntry(adv)
	ns := c.NS()
	identity := append(append([]byte{}, c.ID[:]...), 0, 0, 0, 0, 0, 0, 0, 3)
	fid := canon.H("aura/fact/v1", []byte{byte(ns.Kind)}, ns.ID[:], []byte{0, 6}, []byte{0, 1}, identity)
	if e.FactID != journal.FactID(fid) {
		t.Fatalf("FactID mismatch")
	}
	bh := canon.H("aura/body/v1", adv.Canonical())
	eid := canon.H("aura/entry/v1", fid[:], bh[:])
	if e.ID != journal.EntryID(eid) || e.BodyHash != bh {
		t.Fatalf("EntryID mismatch")
	}
}

// TestIdentityColumns checks which bodies share a FactID (SPEC §3 table).
func TestIdentityColumns(t *testing.T) {
	c := jt.NewStaticContext("identity", 2)
	f := c.Founders[0]
	p1 := jt.MustEntry(c.DevicePeer(0, []byte("peer"), nil, 1))
	p2 := jt.MustEntry(c.DevicePeer(0, []byte("peer"), [][]byte{[]byte("/ip4/1")}, 2))
	p3 := jt.MustEntry(c.DevicePeer(0, []byte("other"), nil, 1))
	if p1.FactID != p2.FactID || p1.ID == p2.ID {
		t.Fatal("DevicePeer bodies of one (Author, SignerKey, PeerID) must share a FactID")
	}
	if p1.FactID == p3.FactID {
		t.Fatal("different PeerID must give a different FactID")
	}
	var ctx journal.ContextID
	ch1 := jt.MustEntry(f.FlowCharge(ctx, [16]byte{9}, 1, 100))
	ch2 := jt.MustEntry(f.FlowCharge(ctx, [16]byte{9}, 1, 200))
	ch3 := jt.MustEntry(f.FlowCharge(ctx, [16]byte{9}, 2, 100))
	if ch1.FactID != ch2.FactID || ch1.FactID == ch3.FactID {
		t.Fatal("FlowCharge identity is (ctx, dst, epoch, slot, SignerKey)")
	}
	g1 := jt.MustEntry(c.Generic(0, 1, []byte("a")))
	g2 := jt.MustEntry(c.Generic(0, 1, []byte("b")))
	if g1.FactID == g2.FactID {
		t.Fatal("Generic identity is the body")
	}
	k1 := jt.MustEntry(c.CapGrant(0, []byte("tok")))
	k2 := jt.MustEntry(c.CapGrant(1, []byte("tok")))
	if k1.FactID != k2.FactID || k1.ID == k2.ID {
		t.Fatal("CapGrant identity is H(token)")
	}
}

func TestUnknownTypeIdentityIsBody(t *testing.T) {
	ns := journal.ContextNS(journal.ContextID{7})
	for _, typ := range []uint16{0, 5, 15, 999} {
		f := journal.Fact{NS: ns, Type: typ, Schema: 1, Body: []byte("opaque")}
		e, err := journal.Ingress(f.Canonical(), fixtureNow)
		if err != nil {
			t.Fatalf("type %d: %v", typ, err)
		}
		if e.Body != nil || e.FactID != journal.ComputeFactID(ns, typ, 1, f.Body) {
			t.Fatalf("type %d: unknown type must have identity = body and no decoded body", typ)
		}
	}
	// A known type under an unknown schema is opaque too.
	f := journal.Fact{NS: ns, Type: journal.TypeGeneric, Schema: 2, Body: []byte("future")}
	if e, err := journal.Ingress(f.Canonical(), fixtureNow); err != nil || e.Body != nil {
		t.Fatalf("schema 2: %v", err)
	}
}

func TestIngressAcceptsFixtures(t *testing.T) {
	c := jt.NewStaticContext("accept", 3)
	facts := []journal.Fact{c.Genesis(), c.DevicePeer(1, []byte("p"), [][]byte{[]byte("a")}, 4),
		c.Generic(2, 3, []byte("hi")), c.CapGrant(0, []byte("t")), c.FlowEpochAdvance(0),
		c.Founders[0].Genesis(), c.Founders[0].AuthorityPeer([]byte("p"), nil, 1),
		c.Founders[0].FlowCharge(c.ID, [16]byte(c.Founders[1].Authority), 0, 5)}
	for i, f := range facts {
		e, err := journal.Ingress(f.Canonical(), fixtureNow)
		if err != nil {
			t.Fatalf("fact %d (type %d): %v", i, f.Type, err)
		}
		if !bytes.Equal(e.Body.Canonical(), f.Body) {
			t.Fatalf("fact %d: body does not round-trip", i)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func TestIngressRejects(t *testing.T) {
	c := jt.NewStaticContext("reject", 2)
	f0 := c.Founders[0]
	gen := c.Genesis()
	generic := c.Generic(0, 1, []byte("data")).Canonical()
	authGen := f0.Genesis().Canonical()
	big := journal.Fact{NS: c.NS(), Type: 999, Schema: 1, Body: make([]byte, journal.MaxFactSize)}
	wrongNS := journal.SignBody(f0.NS(), &journal.Generic{Kind: 1}, f0.Authority, f0.MemberKey)
	forged := c.Genesis()
	forged.Body = bytes.Clone(forged.Body)
	forged.Body[len(forged.Body)-1] ^= 1
	otherCtx := jt.NewStaticContext("reject-other", 2)
	advOther := otherCtx.FlowEpochAdvance(1)
	advOther.NS = c.NS()
	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{"too large", big.Canonical(), journal.ErrFactTooLarge},
		{"empty", nil, journal.ErrMalformed},
		{"trailing byte", append(bytes.Clone(generic), 0), journal.ErrMalformed},
		{"truncated", generic[:len(generic)-1], journal.ErrMalformed},
		{"bad kind", append([]byte{3}, generic[1:]...), journal.ErrMalformed},
		{"generic sig flipped", flip(generic, len(generic)-1), journal.ErrBadSignature},
		{"generic data flipped", flip(generic, 25), journal.ErrBadSignature},
		{"generic in authority ns", wrongNS.Canonical(), journal.ErrMalformed},
		{"authority genesis sig", flip(authGen, len(authGen)-1), journal.ErrBadSignature},
		{"authority genesis nonce", flip(authGen, 40), journal.ErrMalformed},
		{"context genesis sig", forged.Canonical(), journal.ErrBadSignature},
		{"advance for other ctx", advOther.Canonical(), journal.ErrNamespaceMismatch},
	}
	_ = gen
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := journal.Ingress(tc.raw, fixtureNow)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestContextGenesisWellFormed(t *testing.T) {
	c := jt.NewStaticContext("wf", 3)
	resign := func(mut func(g *journal.ContextGenesis)) []byte {
		g := *c.Body
		g.Members = append([]journal.Member{}, g.Members...)
		mut(&g)
		g.Sigs = nil
		h := journal.ContextGenesisHash(&g)
		for _, m := range g.Members {
			for _, f := range c.Founders {
				if f.Authority == m.AuthorityID {
					g.Sigs = append(g.Sigs, [64]byte(ed25519.Sign(f.MemberKey, h[:])))
				}
			}
		}
		return journal.ContextGenesisFact(&g).Canonical()
	}
	cases := map[string]func(g *journal.ContextGenesis){
		"unsorted members": func(g *journal.ContextGenesis) { g.Members[0], g.Members[1] = g.Members[1], g.Members[0] },
		"one member":       func(g *journal.ContextGenesis) { g.Members = g.Members[:1]; g.SealedRoots = nil },
		"zero epoch ms":    func(g *journal.ContextGenesis) { g.FlowEpochMs = 0 },
		"missing root":     func(g *journal.ContextGenesis) { g.SealedRoots = map[journal.AuthorityID][]byte{} },
	}
	for name, mut := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := journal.Ingress(resign(mut), fixtureNow); !errors.Is(err, journal.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := journal.Ingress(resign(func(*journal.ContextGenesis) {}), fixtureNow); err != nil {
		t.Fatalf("unchanged genesis: %v", err)
	}
}

func TestTimeGate(t *testing.T) {
	c := jt.NewStaticContext("gate", 2)
	start := time.UnixMilli(int64(jt.GenesisTimeMs + 10*jt.FlowEpochMs))
	adv := c.FlowEpochAdvance(10).Canonical()
	cases := []struct {
		now  time.Time
		want error
	}{
		{start, nil},
		{start.Add(-30 * time.Second), nil},
		{start.Add(-31 * time.Second), journal.ErrDeferred},
		{start.Add(-time.Hour), journal.ErrDeferred},
		{start.Add(-time.Hour - time.Millisecond), journal.ErrDeferTooFar},
	}
	for _, tc := range cases {
		_, err := journal.Ingress(adv, tc.now)
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Fatalf("now %v: err = %v, want %v", start.Sub(tc.now), err, tc.want)
		}
	}
	var de *journal.DeferredError
	if _, err := journal.Ingress(adv, start.Add(-time.Minute)); !errors.As(err, &de) || de.DueMs != uint64(start.UnixMilli()) {
		t.Fatalf("DeferredError = %v", err)
	}
}

// TestGroupVerifierPlugs checks MemberKey and authority Genesis go through
// Config.Group, not crypto/ed25519 directly.
func TestGroupVerifierPlugs(t *testing.T) {
	f := jt.NewFounder("gv")
	raw := f.Genesis().Canonical()
	rejectAll := journal.NewChecker(journal.Config{Group: denyVerifier{}})
	if _, err := rejectAll.Check(raw); !errors.Is(err, journal.ErrBadSignature) {
		t.Fatalf("custom GroupVerifier not used: %v", err)
	}
	if _, err := journal.NewChecker(journal.Config{}).Check(raw); err != nil {
		t.Fatal(err)
	}
}

type denyVerifier struct{}

func (denyVerifier) VerifyGroup([32]byte, []byte, [64]byte) bool { return false }

// TestConsensusIdentityColumns: Commit identity is (cid, prestateHash,
// rid) read from the §5.2 CommitFact prefix; Equivocation identity is
// (cid, witness, sorted rids), independent of vote order.
func TestConsensusIdentityColumns(t *testing.T) {
	ns := journal.ContextNS(journal.ContextID{3})
	commit := make([]byte, 150)
	for i := range commit {
		commit[i] = byte(i)
	}
	e, err := journal.Ingress(journal.Fact{NS: ns, Type: journal.TypeCommit, Schema: 1, Body: commit}.Canonical(), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	want := journal.ComputeFactID(ns, journal.TypeCommit, 1, append(bytes.Clone(commit[:64]), commit[96:128]...))
	if e.FactID != want {
		t.Fatal("commit identity")
	}
	vote := func(rid byte) []byte {
		v := make([]byte, 184)
		v[0], v[64], v[96] = 0xc1, rid, 0x77 // cid, rid, witness
		return v
	}
	eq := func(a, b []byte) journal.Entry {
		e, err := journal.Ingress(journal.Fact{NS: ns, Type: journal.TypeEquivocation, Schema: 1,
			Body: append(bytes.Clone(a), b...)}.Canonical(), fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e1, e2 := eq(vote(1), vote(2)), eq(vote(2), vote(1))
	if e1.FactID != e2.FactID || e1.ID == e2.ID {
		t.Fatal("equivocation identity must not depend on vote order")
	}
	if _, err := journal.Ingress(journal.Fact{NS: ns, Type: journal.TypeCommit, Schema: 1, Body: commit[:100]}.Canonical(), fixtureNow); !errors.Is(err, journal.ErrMalformed) {
		t.Fatalf("short commit: %v", err)
	}
}
