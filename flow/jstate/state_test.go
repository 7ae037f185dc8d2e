package jstate

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

// TestContextViewFromJournal: the view is the reduced context — Genesis
// defaults and schedule, the peer's and this authority's member keys,
// grants, the max valid FlowEpochAdvance — and every missing piece
// denies (wraps flow.ErrUnknownContext).
func TestContextViewFromJournal(t *testing.T) {
	c := jt.NewStaticContext("view", 3)
	peers := []peer.ID{"p0", "p1", "p2"}
	a := newMember(t, c, 0, peers, nil)
	id, err := a.st.Identity()
	if err != nil || id.Authority != a.f.Authority || id.Device != a.f.Device || !slices.Equal(id.Secret, a.f.AuthoritySecret[:]) {
		t.Fatalf("identity %+v, %v", id, err)
	}
	b := c.Founders[1]
	v, err := a.st.Context(c.ID, b.Authority)
	if err != nil {
		t.Fatal(err)
	}
	if v.PeerKey != b.MemberPub || !slices.Equal(v.SelfKey, a.f.MemberKey) || v.Epoch != 0 {
		t.Fatalf("keys or epoch wrong: %+v", v)
	}
	if v.Default.Limit != c.Body.DefaultLimit || !slices.Equal(v.Default.Caps, c.Body.DefaultCaps) {
		t.Fatalf("default %+v", v.Default)
	}
	if v.Schedule != budget.ContextSchedule(jt.GenesisTimeMs, jt.FlowEpochMs) || !slices.Equal(v.Leaves, []uint32{0}) {
		t.Fatalf("schedule %+v leaves %v", v.Schedule, v.Leaves)
	}
	g, _ := grant(t, c, 1, 0, 20_000)
	a.add(t, g, c.FlowEpochAdvance(0))
	a.clk.Set(epochTime(3))
	a.add(t, c.FlowEpochAdvance(2))
	if v, err = a.st.Context(c.ID, b.Authority); err != nil || v.Epoch != 2 || len(v.Grants) != 1 {
		t.Fatalf("after facts: epoch %d grants %d, %v", v.Epoch, len(v.Grants), err)
	}
	keep := slices.Clone(v.Grants[0])
	v.Grants[0][0] ^= 0xff // the caller owns its copy
	if v2, _ := a.st.Context(c.ID, b.Authority); len(v2.Grants) != 1 || !slices.Equal(v2.Grants[0], keep) {
		t.Fatal("a caller's write reached the cached view")
	}

	other := jt.NewFounder("outsider")
	if _, err := a.st.Context(c.ID, other.Authority); !errors.Is(err, flow.ErrUnknownContext) {
		t.Fatalf("non-member peer: %v", err)
	}
	c2 := jt.NewStaticContext("view-other", 2)
	if _, err := a.st.Context(c2.ID, b.Authority); !errors.Is(err, flow.ErrUnknownContext) {
		t.Fatalf("unjoined context: %v", err)
	}
	a.j.Join(c2.NS()) // joined but no Genesis
	if _, err := a.st.Context(c2.ID, c2.Founders[0].Authority); !errors.Is(err, ErrNotMember) {
		t.Fatalf("context without genesis: %v", err)
	}
}

// TestWrongMemberKeyDenies: a keyring whose member key is not the one
// the Genesis names for this authority gets no view (fail closed).
func TestWrongMemberKeyDenies(t *testing.T) {
	c := jt.NewStaticContext("wrongkey", 2)
	a := newMember(t, c, 0, nil, nil)
	kr := keyringOf(a.f)
	kr.MemberKey = c.Founders[1].MemberKey
	st, err := New(a.j, kr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Context(c.ID, c.Founders[1].Authority); !errors.Is(err, ErrNotMember) || !errors.Is(err, flow.ErrAuthorizationDenied) {
		t.Fatalf("got %v", err)
	}
	none, err := New(a.j, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Identity(); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("identity without keyring: %v", err)
	}
	if _, err := none.Context(c.ID, c.Founders[1].Authority); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("context without keyring: %v", err)
	}
	bad := keyringOf(a.f)
	bad.Device[0] ^= 1
	if _, err := New(a.j, bad, nil); !errors.Is(err, ErrBadKeyring) {
		t.Fatalf("bad keyring: %v", err)
	}
}

// TestAuthorityOfDevicePeer: peer.ID ↔ AuthorityId only through
// DevicePeer facts; a peer claimed by two members resolves to neither.
func TestAuthorityOfDevicePeer(t *testing.T) {
	c := jt.NewStaticContext("peers", 3)
	a := newMember(t, c, 0, []peer.ID{"p0", "p1"}, nil)
	for i, p := range []peer.ID{"p0", "p1"} {
		got, err := a.st.AuthorityOf(c.ID, p)
		if err != nil || got != c.Founders[i].Authority {
			t.Fatalf("%s → %v, %v", p, got, err)
		}
	}
	if _, err := a.st.AuthorityOf(c.ID, "p2"); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("unknown peer: %v", err)
	}
	a.add(t, c.DevicePeer(2, []byte("p1"), nil, 1)) // founder 2 also claims p1
	if _, err := a.st.AuthorityOf(c.ID, "p1"); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("ambiguous peer: %v", err)
	}
	ps, err := a.st.PeersOf(c.ID, c.Founders[2].Authority)
	if err != nil || !slices.Equal(ps, []peer.ID{"p1"}) {
		t.Fatalf("PeersOf = %v, %v", ps, err)
	}
}

// TestReduceOncePerChange: lookups reuse one reduction until the
// context namespace's journal version changes; writes to other
// namespaces do not invalidate it.
func TestReduceOncePerChange(t *testing.T) {
	c := jt.NewStaticContext("lazy", 2)
	a := newMember(t, c, 0, nil, nil)
	dst := c.Founders[1].Authority
	for range 100 {
		if _, err := a.st.Context(c.ID, dst); err != nil {
			t.Fatal(err)
		}
	}
	if n := a.m.reduced.Load(); n != 1 {
		t.Fatalf("%d reductions for 100 lookups without change", n)
	}
	a.add(t, a.f.AuthorityPeer([]byte("x"), nil, 1)) // authority NS: no effect
	if _, err := a.st.Context(c.ID, dst); err != nil || a.m.reduced.Load() != 1 {
		t.Fatalf("authority write re-reduced the context (%d), %v", a.m.reduced.Load(), err)
	}
	a.add(t, c.Generic(1, 1, []byte("x")))
	for range 10 {
		if _, err := a.st.Context(c.ID, dst); err != nil {
			t.Fatal(err)
		}
	}
	if n := a.m.reduced.Load(); n != 2 {
		t.Fatalf("%d reductions after one change", n)
	}
}

// TestDueAdvance: a member's clock past the start of a later nominal
// epoch yields the valid FlowEpochAdvance for it; once stored, the
// effective epoch follows and nothing more is due (SPEC §6.5).
func TestDueAdvance(t *testing.T) {
	c := jt.NewStaticContext("advance", 2)
	a := newMember(t, c, 0, nil, nil)
	if _, ok, err := a.st.DueAdvance(c.ID, epochTime(0)); ok || err != nil {
		t.Fatalf("due in epoch 0: %v, %v", ok, err)
	}
	a.clk.Set(epochTime(3))
	f, ok, err := a.st.DueAdvance(c.ID, a.clk.Now())
	if !ok || err != nil || !bytes.Equal(f.Canonical(), c.FlowEpochAdvance(3).Canonical()) {
		t.Fatalf("due advance %v, %v", ok, err)
	}
	a.add(t, f)
	if v, err := a.st.Context(c.ID, c.Founders[1].Authority); err != nil || v.Epoch != 3 {
		t.Fatalf("effective epoch %d, %v", v.Epoch, err)
	}
	if _, ok, _ := a.st.DueAdvance(c.ID, a.clk.Now()); ok {
		t.Fatal("advance still due after it was stored")
	}
}
