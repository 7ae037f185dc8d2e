package treesvc

import (
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"errors"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// TestPolicyFor: the Add/Remove policy rule of Change.Threshold = 0.
func TestPolicyFor(t *testing.T) {
	cases := []struct {
		m, th uint16
		n     int
		want  tree.Policy
	}{
		{1, 0, 2, tree.Policy{M: 2, N: 2}}, // 1 → 2 devices forces {2,2}
		{2, 0, 1, tree.Policy{M: 1, N: 1}}, // 2 → 1 forces {1,1}
		{2, 0, 3, tree.Policy{M: 2, N: 3}}, // M kept
		{3, 0, 2, tree.Policy{M: 2, N: 2}}, // M > N clamps
		{2, 3, 3, tree.Policy{M: 3, N: 3}}, // explicit
	}
	for _, c := range cases {
		if got, ok := policyFor(c.m, c.th, c.n); !ok || got != c.want {
			t.Errorf("policyFor(%d, %d, %d) = %v, want %v", c.m, c.th, c.n, got, c.want)
		}
	}
	if _, ok := policyFor(2, 0, 0); ok {
		t.Error("policyFor accepted zero leaves")
	}
}

// TestConfigValidate: required fields and non-negative durations.
func TestConfigValidate(t *testing.T) {
	d := testDevice(9, 0)
	if _, err := New(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("empty config: %v", err)
	}
	p256, _ := ecdh.P256().GenerateKey(deterministic{})
	if _, err := New(Config{Device: Device{Key: d.Key, DH: p256}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("P-256 DH key: %v", err)
	}
	bad := Config{Device: d, Self: "x", DKGTimeout: -time.Second}
	if err := bad.Validate(); !errors.Is(err, ErrConfig) {
		t.Fatalf("negative timeout: %v", err)
	}
}

type deterministic struct{}

func (deterministic) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(i + 1)
	}
	return len(b), nil
}

// TestTypedErrors: invalid changes are ErrBadChange with nothing
// committed; unknown authorities ErrUnknownAuthority; a removed device
// ErrNotMember; a DKGStart from a non-member or at a stale parent is
// refused; calls after Close are ErrClosed.
func TestTypedErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 5)
		c := newCluster(t, 2, 10*time.Millisecond, 5)
		defer c.close()
		ctx := context.Background()
		A, B := c.devs[0], c.devs[1]
		aid, err := A.svc.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		bad := []Change{
			{Kind: tree.RemoveLeaf, Remove: []journal.DeviceID{A.id()}}, // the last device
			{Kind: tree.RemoveLeaf, Remove: []journal.DeviceID{B.id()}}, // not a leaf
			{Kind: tree.RemoveLeaf},                                // empty set
			{Kind: tree.ChangePolicy, Threshold: 2},                // M > N
			{Kind: tree.AddLeaf},                                   // no candidate
			{Kind: tree.AddLeaf, Add: B.candidate(), Threshold: 3}, // M > N
			{Kind: tree.AddLeaf, Add: A.candidate()},               // key reused
			{Kind: 9},                                              // unknown kind
		}
		for _, ch := range bad {
			if _, err := A.svc.Propose(ctx, aid, ch); !errors.Is(err, ErrBadChange) {
				t.Fatalf("%+v: %v, want ErrBadChange", ch, err)
			}
		}
		if st, _ := A.svc.State(aid); st.Epoch != 0 {
			t.Fatalf("a refused change committed (epoch %d)", st.Epoch)
		}
		if _, err := B.svc.Propose(ctx, aid, Change{Kind: tree.RotateEpoch}); !errors.Is(err, ErrUnknownAuthority) {
			t.Fatalf("B before joining: %v", err)
		}
		if _, err := A.svc.View(journal.AuthorityID{1}); !errors.Is(err, ErrUnknownAuthority) {
			t.Fatalf("View of unknown: %v", err)
		}
		if _, _, perr, jerr := c.add(aid, 0, 1); perr != nil || jerr != nil {
			t.Fatalf("add B: %v / %v", perr, jerr)
		}
		st := c.converge(aid, 0, 1)
		checkStartRefused(t, A, aid, st)
		if _, err := A.svc.Propose(ctx, aid, Change{Kind: tree.RemoveLeaf, Remove: []journal.DeviceID{B.id()}}); err != nil {
			t.Fatal(err)
		}
		c.converge(aid, 0)
		for d := time.Duration(0); d < 2*time.Second; d += 20 * time.Millisecond {
			if st, _ := B.svc.State(aid); st != nil && !isLeaf(st, B.id()) {
				break
			}
			c.net.Advance(20 * time.Millisecond)
		}
		if _, err := B.svc.Propose(ctx, aid, Change{Kind: tree.RotateEpoch}); !errors.Is(err, ErrNotMember) {
			t.Fatalf("removed B proposes: %v", err)
		}
		if len(B.svc.Authorities()) != 0 {
			t.Fatal("removed B still lists the authority")
		}
		_ = A.svc.Close()
		if _, err := A.svc.Propose(ctx, aid, Change{Kind: tree.RotateEpoch}); !errors.Is(err, ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
		if _, err := A.svc.Create(ctx); !errors.Is(err, ErrClosed) {
			t.Fatalf("Create after Close: %v", err)
		}
	})
}

// checkStartRefused: A's Authorise refuses a DKGStart proposed by a key
// that is not a current leaf, one at a stale parent and one with the
// wrong key epoch, and accepts the well-formed one.
func checkStartRefused(t *testing.T, A *dev, aid journal.AuthorityID, st *tree.TreeState) {
	t.Helper()
	outsider := ed25519.NewKeyFromSeed(make([]byte, 32))
	opub := [32]byte(outsider.Public().(ed25519.PublicKey))
	members := []dkgsvc.StartMember{{ID: A.id(), FrostID: 1, SignKey: A.key.pub(), DHKey: A.key.dhPub()},
		{ID: journal.DeviceIDOf(opub), FrostID: 2, SignKey: opub, DHKey: [32]byte{9}}}
	ns := journal.AuthorityNS(aid).Bytes()
	mk := func(prop ed25519.PrivateKey, ke, pe uint64, pr [32]byte) dkgsvc.Start {
		s := dkgsvc.NewStart(ns, ke, pe, pr, 2, members, [32]byte{7})
		s.Sign(prop)
		if err := s.Verify(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := A.svc.authorise(mk(outsider, st.KeyEpoch+1, st.Epoch, st.Root)); !errors.Is(err, ErrNotMember) {
		t.Fatalf("start by outsider %x: %v", opub[:4], err)
	}
	if err := A.svc.authorise(mk(A.key.Key, st.KeyEpoch+1, st.Epoch-1, st.Root)); !errors.Is(err, ErrBadChange) {
		t.Fatalf("start at stale parent: %v", err)
	}
	if err := A.svc.authorise(mk(A.key.Key, st.KeyEpoch+2, st.Epoch, st.Root)); !errors.Is(err, ErrBadChange) {
		t.Fatalf("start with wrong key epoch: %v", err)
	}
	if err := A.svc.authorise(mk(A.key.Key, st.KeyEpoch+1, st.Epoch, st.Root)); err != nil {
		t.Fatalf("well-formed start refused: %v", err)
	}
}

// TestBelowThreshold: at {2,2} with B partitioned, a keyless RotateEpoch
// (consensus only) cannot gather t signers: Propose returns
// ErrBelowThreshold (wrapping consensus.ErrConsensusTimeout) after
// InstanceTimeout of virtual time and the state does not move.
func TestBelowThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 8)
		c := newCluster(t, 2, 10*time.Millisecond, 8)
		defer c.close()
		aid := c.grow(2)
		before, _ := c.devs[0].svc.State(aid)
		c.isolate(1)
		_, err := c.devs[0].svc.Propose(context.Background(), aid, Change{Kind: tree.RotateEpoch})
		if !errors.Is(err, ErrBelowThreshold) || !errors.Is(err, consensus.ErrConsensusTimeout) {
			t.Fatalf("below threshold: %v", err)
		}
		if st, _ := c.devs[0].svc.State(aid); st.Root != before.Root {
			t.Fatal("state moved without a quorum")
		}
	})
}
