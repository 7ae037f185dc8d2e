package node

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/jstate"
	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

// withDefaultCaps re-signs c's Genesis with DefaultCaps = every name (the
// SPEC §10 default; the fixture grants only "generic").
func withDefaultCaps(c *jt.StaticContext) {
	g := *c.Body
	g.DefaultCaps, g.Sigs = cap.AllNames(), nil
	h := journal.ContextGenesisHash(&g)
	for _, f := range c.Founders {
		g.Sigs = append(g.Sigs, [64]byte(ed25519.Sign(f.MemberKey, h[:])))
	}
	c.Body = &g
}

// TestNodeSyncService: two nodes over libp2p on loopback, each with a
// Keyring and the static context's K_root in Config.StaticContexts. The
// node starts the sync service on its own (no Config.Services): a fact
// written on one through Node.Sync reaches the other's journal, and the
// writer's sync frames were charged toward the peer's authority (a
// stored charge record, SPEC §9 "Guards"), with keys, limits and peers
// from the journals (flow/jstate).
func TestNodeSyncService(t *testing.T) {
	c := jt.NewStaticContext("node-sync", 2)
	withDefaultCaps(c)
	nodes := make([]*Node, 2)
	mets := [2]*countMetrics{{}, {}}
	for i, f := range c.Founders {
		kr := &jstate.Keyring{Authority: f.Authority, Device: f.Device, DeviceKey: f.DeviceKey,
			MemberKey: f.MemberKey, Secret: f.AuthoritySecret[:]}
		cfg := Config{DataDir: initDir(t), Keyring: kr,
			StaticContexts: []StaticContext{{ID: c.ID, KRoot: c.KRoot}}}
		mets[i].wire(&cfg)
		n, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		nodes[i] = n
	}
	for i, n := range nodes {
		if !n.Journal().IsMember(c.NS()) {
			t.Fatalf("node %d did not join the static context", i)
		}
		raws := [][]byte{c.Genesis().Canonical()}
		for k, m := range nodes {
			raws = append(raws, c.DevicePeer(k, []byte(m.ID()), nil, 1).Canonical())
		}
		if _, err := n.Journal().Add(context.Background(), c.NS(), time.Now(), raws...); err != nil {
			t.Fatal(err)
		}
		if err := n.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n.Sync() == nil {
			t.Fatalf("node %d: no sync service", i)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := nodes[0].Host().Connect(ctx, nodes[1].Host().AddrInfo()); err != nil {
		t.Fatal(err)
	}
	fact := c.Generic(0, 1, []byte("synced by the node service"))
	res, err := nodes[0].Sync().Write(ctx, c.NS(), fact.Canonical())
	if err != nil || res[0].Outcome != journal.Stored {
		t.Fatalf("write: %v", err)
	}
	id := res[0].Entry.ID
	for {
		if _, err := nodes[1].Journal().Get(ctx, c.NS(), id); err == nil {
			break
		}
		select {
		case <-nodes[1].Sync().Changed():
		case <-time.After(time.Second): // re-check: the push may land between checks
		case <-ctx.Done():
			t.Fatal("fact not synced within 30 s")
		}
	}
	recs, err := nodes[0].Sender().Executor().ChargeRecords(ctx)
	if err != nil || len(recs) == 0 || recs[0].Key.Dst != c.Founders[1].Authority || recs[0].Key.Ctx != c.ID {
		t.Fatalf("charge records %+v, %v", recs, err)
	}
	// Config's package metrics reached the journal, the flow Sender, the
	// jstate guard state (node 0 charged and resolved) and the sync
	// service (node 1 received the Facts frame before storing it).
	if mets[0].stored.Load() == 0 || mets[1].stored.Load() == 0 || mets[0].charges.Load() == 0 ||
		mets[0].reductions.Load() == 0 || mets[1].facts.Load() == 0 {
		t.Fatalf("metrics not wired: stored %d/%d charges %d reductions %d facts %d", mets[0].stored.Load(),
			mets[1].stored.Load(), mets[0].charges.Load(), mets[0].reductions.Load(), mets[1].facts.Load())
	}
}

// TestSyncServiceConfigDefaults: a zero SyncInterval selects the §10
// defaults but keeps the caller's Metrics, Registry (e.g. the tree
// reducer for authority namespaces) and OnStored hook.
func TestSyncServiceConfigDefaults(t *testing.T) {
	reg := journal.NewRegistry(journal.ContextReducer{})
	called := 0
	c := SyncConfig{}
	c.Service.Registry = reg
	c.Service.OnStored = func(journal.Namespace, int) { called++ }
	got := c.serviceConfig()
	if got.SyncInterval != 500*time.Millisecond || got.Registry != reg || got.OnStored == nil {
		t.Fatalf("defaults lost fields: interval %v, registry kept %v, hook kept %v",
			got.SyncInterval, got.Registry == reg, got.OnStored != nil)
	}
	got.OnStored(journal.Namespace{}, 1)
	if called != 1 {
		t.Fatal("OnStored not the caller's hook")
	}
	c.Service.SyncInterval = time.Second
	if got := c.serviceConfig(); got.SyncInterval != time.Second || got.Registry != reg {
		t.Fatal("an explicit config was replaced")
	}
}
