package sync

import (
	"bytes"
	"context"
	"errors"
	gosync "sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
	"github.com/aura-p2p/aura-p2p/journal/tree/treetest"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// authNode is one device's journal and sync service for an authority
// namespace, reducing with the tree reducer.
type authNode struct {
	tr     p2p.Transport
	dev    *treetest.Device
	j      *journal.Journal
	reg    *journal.Registry
	snd    *flow.Sender
	svc    *Service
	mu     gosync.Mutex
	stored int // OnStored total
}

// startAuthNode stores entries and facts in a fresh journal and starts a
// service for f's namespace with dev's secrets.
func startAuthNode(t *testing.T, f *treetest.Fixture, tr p2p.Transport, dev *treetest.Device, secrets [][32]byte,
	trusted []TrustedDevice, entries []journal.Entry, facts ...journal.Fact) *authNode {
	t.Helper()
	n := &authNode{tr: tr, dev: dev, j: memJournal(t, f.NS),
		reg: journal.NewRegistry(tree.JournalReducer{R: tree.NewReducer(tree.Config{})}, journal.ContextReducer{})}
	var raws [][]byte
	for _, e := range entries {
		raws = append(raws, e.Raw)
	}
	for _, jf := range facts {
		raws = append(raws, treetest.Raw(jf))
	}
	if len(raws) > 0 {
		if _, err := n.j.Add(context.Background(), f.NS, time.Now(), raws...); err != nil {
			t.Fatal(err)
		}
	}
	st := flow.NewStaticState(flow.Identity{Authority: f.Auth, Device: dev.ID()})
	snd := guardedSender(t, tr, st, dssync.MutexWrap(ds.NewMapDatastore()))
	cfg := DefaultServiceConfig()
	cfg.Registry = n.reg
	cfg.OnStored = func(ns journal.Namespace, k int) {
		if ns != f.NS || k <= 0 {
			t.Errorf("OnStored(%v, %d)", ns, k)
		}
		n.mu.Lock()
		n.stored += k
		n.mu.Unlock()
	}
	keys := AuthorityKeys(f.NS, secrets, dev.ID(), dev.Priv)
	keys.Trusted = trusted
	svc, err := NewService(snd, n.j, cfg, keys)
	if err != nil {
		t.Fatal(err)
	}
	n.svc, n.snd = svc, snd
	return n
}

// spentTo is this node's per-device sync charge toward device d in the
// current device flow epoch (authority scope: Ctx = AuthorityId, slot 0).
func (n *authNode) spentTo(t *testing.T, f *treetest.Fixture, d journal.DeviceID) uint64 {
	t.Helper()
	e := budget.DeviceSchedule().EpochAt(uint64(time.Now().UnixMilli()))
	v, err := n.snd.Executor().Spent(context.Background(), budget.Key{Ctx: journal.ContextID(f.Auth),
		Dst: journal.AuthorityID(d), Epoch: e})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// result is the node's tree reduction.
func (n *authNode) result(t *testing.T, ns journal.Namespace) *tree.Result {
	t.Helper()
	set, err := n.j.Store().Set(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	st, err := n.reg.ReduceSet(set)
	if err != nil {
		t.Fatal(err)
	}
	return st.(*tree.Result)
}

func (n *authNode) ids(t *testing.T, ns journal.Namespace) []journal.EntryID {
	t.Helper()
	ids, err := n.j.EntryIDs(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// authHistory is a 5-device history: Grow(3, 2) (devices 0, 1, 2 at key
// epoch 2), then three membership ops the lagging device 2 misses:
// AddLeaf 3 (k3), AddLeaf 4 (k4), RemoveLeaf 1 (k5).
type authHistory struct {
	f       *treetest.Fixture
	early   []journal.Entry // Genesis + growth to key epoch 2
	missed  []journal.Entry // ops 3–5
	atK4    *tree.TreeState
	tip     *tree.TreeState
	removed tree.LeafID
}

func newAuthHistory(t *testing.T, seed uint64) *authHistory {
	t.Helper()
	f := treetest.New(t, seed)
	es, s := f.Grow(3, 2)
	h := &authHistory{f: f, early: append([]journal.Entry{f.Genesis}, es...)}
	for i := 3; i <= 4; i++ {
		c := f.Commit(s, f.Op(s, tree.AddLeaf, f.Device(i), nil, nil, true))
		h.missed, s = append(h.missed, c.Entry), c.Post
	}
	h.atK4 = s
	l, _ := s.LeafByDevice(f.Device(1).ID())
	h.removed = l.ID
	c := f.Commit(s, f.Op(s, tree.RemoveLeaf, nil, []tree.LeafID{l.ID}, nil, true))
	h.missed, h.tip = append(h.missed, c.Entry), c.Post
	return h
}

// peersOf are DevicePeer facts of devices 0..n-1 on nodes.
func (h *authHistory) peers(nodes []*simnet.Node, devs ...int) []journal.Fact {
	var out []journal.Fact
	for _, i := range devs {
		out = append(out, h.f.DevicePeer(h.f.Device(i), []byte(nodes[i].Self()), nil, 1))
	}
	return out
}

// TestAuthorityLaggingDeviceCatchesUp is SPEC §16.38 for authorities: a
// device that missed 3 membership ops (3 key epochs behind, holding only
// its old AuthoritySecret_2) is served by an up-to-date member, which
// matches its Ref under the old key epoch; it catches up and reduces to
// the byte-identical TreeState. Its first session is SyncNow; OnStored
// reports what it stored.
func TestAuthorityLaggingDeviceCatchesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 38)
		h := newAuthHistory(t, 38)
		f := h.f
		net := simnet.New(simnet.Config{Seed: 38, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		nodes := net.AddNodes(5)
		var mu gosync.Mutex
		frames := map[[2]int]int{} // (src, dst) node index → data frames
		net.OnSend(func(e simnet.Event) {
			if e.Kind != simnet.KindFrame {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for i, a := range nodes {
				for k, b := range nodes {
					if e.Src == a.Self() && e.Dst == b.Self() {
						frames[[2]int{i, k}]++
					}
				}
			}
		})
		upSecrets := f.OpenAll(f.Device(0), h.tip.KeyEpoch)
		lagSecrets := f.OpenAll(f.Device(2), 2)
		if len(upSecrets) != 6 || len(lagSecrets) != 1 || lagSecrets[0] != f.Secrets[2] {
			t.Fatalf("secrets: up-to-date %d, lagging %d", len(upSecrets), len(lagSecrets))
		}
		up := startAuthNode(t, f, nodes[0], f.Device(0), upSecrets, nil, append(h.early, h.missed...),
			h.peers(nodes, 0, 1, 2, 3, 4)...)
		defer up.svc.Close()
		lag := startAuthNode(t, f, nodes[2], f.Device(2), lagSecrets, nil, h.early, h.peers(nodes, 0, 1, 2)...)
		defer lag.svc.Close()
		if got := lag.result(t, f.NS).State.KeyEpoch; got != 2 {
			t.Fatalf("lagging device starts at key epoch %d", got)
		}
		if err := lag.svc.SyncNow(context.Background(), f.NS, nodes[0].Self()); err != nil {
			t.Fatalf("SyncNow: %v", err)
		}
		want, got := up.result(t, f.NS), lag.result(t, f.NS)
		if !bytes.Equal(got.State.Canonical(), want.State.Canonical()) || got.State.Root != h.tip.Root {
			t.Fatalf("lagging device reduced to epoch %d key epoch %d, want %d/%d",
				got.State.Epoch, got.State.KeyEpoch, h.tip.Epoch, h.tip.KeyEpoch)
		}
		if !bytes.Equal(got.Canonical(), want.Canonical()) {
			t.Fatal("whole authority reductions differ (registers or commit reports)")
		}
		lag.mu.Lock()
		stored := lag.stored
		lag.mu.Unlock()
		if stored != len(h.missed)+2 { // the 3 commits and the DevicePeers of devices 3 and 4
			t.Fatalf("OnStored reported %d entries, want %d", stored, len(h.missed)+2)
		}
		// The caught-up device now sees the new leaves' peers: its view
		// after the session lists devices 0, 3, 4 (1 removed) — trusting
		// the removed device changes nothing once a Genesis reduced.
		gone := f.Device(1)
		if err := lag.svc.Trust(context.Background(), f.NS, TrustedDevice{Device: gone.ID(),
			DeviceKey: gone.Leaf.DeviceKey, Peer: nodes[1].Self()}); err != nil {
			t.Fatal(err)
		}
		nv := lag.svc.view.Load().byNS[f.NS]
		if len(nv.peers) != 3 {
			t.Fatalf("caught-up device has %d member peers, want 3", len(nv.peers))
		}
		if _, ok := nv.authors[nodes[1].Self()]; ok {
			t.Fatal("removed device is still a sync peer")
		}
		if ids := lag.ids(t, f.NS); len(ids) != len(up.ids(t, f.NS)) {
			t.Fatalf("entry sets differ: %d vs %d", len(ids), len(up.ids(t, f.NS)))
		}
		// Every frame was a guarded send on the per-device budget toward
		// the peer device (each costs ≥ 1 unit).
		mu.Lock()
		iFrames, rFrames := frames[[2]int{2, 0}], frames[[2]int{0, 2}]
		mu.Unlock()
		if iFrames < 3 || rFrames < 2 {
			t.Fatalf("frames I→R %d, R→I %d", iFrames, rFrames)
		}
		iSpent, rSpent := lag.spentTo(t, f, f.Device(0).ID()), up.spentTo(t, f, f.Device(2).ID())
		if iSpent < uint64(iFrames) || rSpent < uint64(rFrames) {
			t.Fatalf("charged %d/%d units for %d/%d frames (I/R)", iSpent, rSpent, iFrames, rFrames)
		}
		t.Logf("catch-up: %d entries; frames I→R %d (%d units), R→I %d (%d units)",
			stored, iFrames, iSpent, rFrames, rSpent)
		// An up-to-date initiator uses AuthoritySecret_5, which the caught-up
		// device opens from the synced commits' SealedSecrets: its tree
		// service installs it by re-joining (runtime secret replacement);
		// then pushes and scheduled rounds reach it.
		opened := f.OpenAll(f.Device(2), h.tip.KeyEpoch)
		if len(opened) != 4 {
			t.Fatalf("caught-up device opens %d secrets, want 4 (k2..k5)", len(opened))
		}
		if err := lag.svc.Join(context.Background(), AuthorityKeys(f.NS, opened, f.Device(2).ID(), f.Device(2).Priv)); err != nil {
			t.Fatal(err)
		}
		moved := f.DevicePeer(f.Device(0), []byte(nodes[0].Self()), [][]byte{[]byte("moved")}, 2)
		if _, err := up.svc.Write(context.Background(), f.NS, treetest.Raw(moved)); err != nil {
			t.Fatal(err)
		}
		net.Advance(4 * DefaultServiceConfig().SyncInterval)
		for _, p := range lag.result(t, f.NS).DevicePeers() {
			if p.Author == [16]byte(f.Device(0).ID()) && p.Seq != 2 {
				t.Fatalf("pushed DevicePeer not received: seq %d", p.Seq)
			}
		}
	})
}

// TestAuthorityRemovedDeviceGetsOnlyResets: a removed device still holds
// AuthoritySecret_1..4, so its Ref matches at an up-to-date member, but
// it is no leaf there: every session it starts is reset, it receives no
// frame and stores nothing, and its facts never reach the member.
func TestAuthorityRemovedDeviceGetsOnlyResets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 39)
		h := newAuthHistory(t, 39)
		f := h.f
		net := simnet.New(simnet.Config{Seed: 39, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		nodes := net.AddNodes(5)
		var mu gosync.Mutex
		leaked := 0
		net.OnSend(func(e simnet.Event) {
			if e.Dst == nodes[1].Self() && e.Kind == simnet.KindFrame {
				mu.Lock()
				leaked++
				mu.Unlock()
			}
		})
		up := startAuthNode(t, f, nodes[0], f.Device(0), f.OpenAll(f.Device(0), h.tip.KeyEpoch), nil,
			append(h.early, h.missed...), h.peers(nodes, 0, 1, 2, 3, 4)...)
		defer up.svc.Close()
		goneSecrets := f.OpenAll(f.Device(1), h.tip.KeyEpoch)
		if len(goneSecrets) != 4 {
			t.Fatalf("removed device opens %d secrets, want 4 (k1..k4)", len(goneSecrets))
		}
		// It knows ops up to key epoch 4 (it was a leaf there).
		gone := startAuthNode(t, f, nodes[1], f.Device(1), goneSecrets, nil, append(h.early, h.missed[:2]...),
			h.peers(nodes, 0, 1, 2, 3, 4)...)
		defer gone.svc.Close()
		before := len(up.ids(t, f.NS))
		planted := f.DevicePeer(f.Device(1), []byte(nodes[1].Self()), [][]byte{[]byte("planted")}, 9)
		if _, err := gone.j.Add(context.Background(), f.NS, time.Now(), treetest.Raw(planted)); err != nil {
			t.Fatal(err)
		}
		goneIDs := len(gone.ids(t, f.NS))
		err := gone.svc.SyncNow(context.Background(), f.NS, nodes[0].Self())
		if err == nil {
			t.Fatal("removed device's session succeeded")
		}
		net.Advance(20 * DefaultServiceConfig().SyncInterval) // its scheduled sessions too
		mu.Lock()
		n := leaked
		mu.Unlock()
		if n != 0 {
			t.Fatalf("removed device received %d frames", n)
		}
		if got := len(up.ids(t, f.NS)); got != before {
			t.Fatalf("member stored %d entries from the removed device", got-before)
		}
		if got := len(gone.ids(t, f.NS)); got != goneIDs {
			t.Fatalf("removed device stored %d entries", got-goneIDs)
		}
		if errors.Is(err, ErrConfig) {
			t.Fatalf("SyncNow refused locally instead of being reset: %v", err)
		}
	})
}

// TestAuthorityJoinerSyncsFromTrustedInviter: a joiner holding only the
// Commit that added it and the AuthoritySecret it opened from it cannot
// sync with an unknown peer; once it trusts its inviter's DeviceKey
// (Service.Trust, SPEC §4.1 step 2) it syncs from it and reduces to the
// inviter's state.
func TestAuthorityJoinerSyncsFromTrustedInviter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 40)
		f := treetest.New(t, 40)
		es, s := f.Grow(2, 2)
		joiner := f.Device(5)
		add := f.Commit(s, f.Op(s, tree.AddLeaf, joiner, nil, &tree.Policy{M: 2, N: 3}, true))
		net := simnet.New(simnet.Config{Seed: 40, Latency: 5 * time.Millisecond})
		defer net.Close()
		nodes := net.AddNodes(2)
		inviter := f.Device(0)
		all := append([]journal.Entry{f.Genesis, add.Entry}, es...)
		up := startAuthNode(t, f, nodes[0], inviter, f.OpenAll(inviter, add.Post.KeyEpoch), nil, all,
			f.DevicePeer(inviter, []byte(nodes[0].Self()), nil, 1), f.DevicePeer(joiner, []byte(nodes[1].Self()), nil, 1))
		defer up.svc.Close()
		secrets := f.OpenAll(joiner, add.Post.KeyEpoch)
		if len(secrets) != 1 {
			t.Fatalf("joiner opens %d secrets", len(secrets))
		}
		j := startAuthNode(t, f, nodes[1], joiner, secrets, nil, []journal.Entry{add.Entry})
		defer j.svc.Close()
		if j.result(t, f.NS).HasGenesis() {
			t.Fatal("joiner starts with a Genesis")
		}
		if err := j.svc.SyncNow(context.Background(), f.NS, nodes[0].Self()); !errors.Is(err, ErrConfig) {
			t.Fatalf("SyncNow with an unknown peer: %v, want ErrConfig", err)
		}
		if err := j.svc.Trust(context.Background(), f.NS, TrustedDevice{Device: inviter.ID(),
			DeviceKey: inviter.Leaf.DeviceKey, Peer: nodes[0].Self()}); err != nil {
			t.Fatal(err)
		}
		if err := j.svc.SyncNow(context.Background(), f.NS, nodes[0].Self()); err != nil {
			t.Fatalf("SyncNow: %v", err)
		}
		got := j.result(t, f.NS)
		if !got.HasGenesis() || !bytes.Equal(got.State.Canonical(), add.Post.Canonical()) {
			t.Fatal("joiner did not reduce to the inviter's state")
		}
	})
}

// TestAuthorityRefMatchesOldEpoch: R holding AuthoritySecret_0..5
// matches a Ref derived from AuthoritySecret_2 at index 2 (SPEC §9 "R
// matches Ref under every key epoch it holds"), and a Ref from a secret
// it does not hold at none.
func TestAuthorityRefMatchesOldEpoch(t *testing.T) {
	h := newAuthHistory(t, 41)
	all := AuthorityKeys(h.f.NS, h.f.OpenAll(h.f.Device(0), 5), h.f.Device(0).ID(), h.f.Device(0).Priv).Secrets
	old := AuthorityKeys(h.f.NS, h.f.OpenAll(h.f.Device(2), 2), h.f.Device(2).ID(), h.f.Device(2).Priv)
	nonce := [16]byte{1, 2, 3}
	k := DeriveKeys(old.Secrets[len(old.Secrets)-1], nonce, peerI, peerR)
	if i, ok := MatchRef(all, nonce, k.Ref, peerI, peerR); !ok || i != 2 {
		t.Fatalf("matched %d, %v; want key epoch 2", i, ok)
	}
	other := DeriveKeys(AuthoritySyncSecret([32]byte{9}), nonce, peerI, peerR)
	if _, ok := MatchRef(all, nonce, other.Ref, peerI, peerR); ok {
		t.Fatal("matched a secret R does not hold")
	}
}

// TestAuthorityFramesCarryNoReceipt: in an authority namespace a frame
// or box carrying a receipt or token is refused (ErrDenied), and I
// refuses a HelloAck from another device than the peer's.
func TestAuthorityFramesCarryNoReceipt(t *testing.T) {
	g := &sessionGuard{authority: true, initiator: true, st: nil}
	g.peer[0] = 1
	if err := g.Admit([16]byte{1}, ModeReconcile, Token{}, nil, [32]byte{}); err != nil {
		t.Fatalf("clean HelloAck refused: %v", err)
	}
	if err := g.Admit([16]byte{2}, ModeReconcile, Token{}, nil, [32]byte{}); !errors.Is(err, ErrNotMember) {
		t.Fatalf("other device's HelloAck: %v", err)
	}
	if err := g.Admit([16]byte{1}, ModeReconcile, Token{}, []byte{1}, [32]byte{}); !errors.Is(err, ErrDenied) {
		t.Fatalf("box with receipt: %v", err)
	}
	r := &sessionGuard{authority: true}
	if err := r.Admit([16]byte{3}, ModePush, Token{Hash: [32]byte{1}}, nil, [32]byte{}); !errors.Is(err, ErrDenied) {
		t.Fatalf("Hello with token: %v", err)
	}
	if err := r.Admit([16]byte{3}, ModePush, Token{}, nil, [32]byte{}); err != nil || r.peer != [16]byte{3} || r.mode != ModePush {
		t.Fatalf("clean Hello: %v, peer %x", err, r.peer)
	}
	if err := r.admitFrame(End{}, 0); err != nil {
		t.Fatalf("End without receipt: %v", err)
	}
}
