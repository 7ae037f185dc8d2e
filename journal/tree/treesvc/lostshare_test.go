package treesvc

import (
	"context"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// TestRestartWithoutShare: a device that crashed after its DKG confirms
// went out but before its share was written (the op committed without
// it holding a share) must still start: Start loads its authorities,
// the device follows the state without a driver, and the next ceremony
// with a new key (a DKG including it, consensus among the 2-of-3 others)
// gives it a share again, so it signs in the next round.
func TestRestartWithoutShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 9)
		c := newCluster(t, 3, 10*time.Millisecond, 9)
		defer c.close()
		ctx := context.Background()
		aid := c.grow(3)
		ns := journal.AuthorityNS(aid)
		st, _ := c.devs[2].svc.State(aid)
		if err := c.devs[2].svc.Close(); err != nil {
			t.Fatal(err)
		}
		// The crash window: no share of the applied key anywhere.
		for _, k := range []ds.Key{dkgsvc.ShareKey(ns, st.KeyEpoch), shareKeyFor(ns, st.KeyEpoch, st.GroupKey)} {
			if err := c.devs[2].d.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		svc, err := New(Config{Device: c.devs[2].key, Self: c.devs[2].peer, Sender: c.devs[2].snd,
			Journal: c.devs[2].j, Datastore: c.devs[2].d, Peers: c.peers, Syncer: c.devs[2].syncer, Metrics: c.devs[2].met})
		if err != nil {
			t.Fatal(err)
		}
		c.devs[2].svc = svc
		if err := svc.Start(ctx); err != nil {
			t.Fatalf("Start with a lost share: %v", err)
		}
		if got, err := svc.State(aid); err != nil || got.Root != st.Root {
			t.Fatalf("state after restart: %v", err)
		}
		if _, err := c.devs[0].svc.Propose(ctx, aid, Change{Kind: tree.RotateEpoch, NewKey: true}); err != nil {
			t.Fatalf("rotation after the lost share: %v", err)
		}
		// Without a driver, device 2 gets the Commit by anti-entropy.
		if err := c.devs[2].syncer.Pull(ctx, ns, c.devs[0].peer); err != nil {
			t.Fatal(err)
		}
		if err := svc.Refresh(ctx, ns); err != nil {
			t.Fatal(err)
		}
		c.converge(aid, 0, 1, 2)
		c.isolate(1) // 2-of-3 now needs device 2's signature share
		if _, err := c.devs[0].svc.Propose(ctx, aid, Change{Kind: tree.RotateEpoch}); err != nil {
			t.Fatalf("device 2 does not sign after the new key: %v", err)
		}
	})
}
