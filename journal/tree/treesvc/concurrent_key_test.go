package treesvc

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/internal/seal"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// TestConcurrentKeyRotations: at 2-of-3, A and B propose RotateEpoch with
// NewKey at the same root at the same instant, so two DKGs for key epoch
// k+1 run among the same members and each stores a share for k+1. Only
// one op applies at that parent; every member must end up signing with
// the share of the *applied* k+1 key (not whichever DKG finished last),
// so the loser's re-proposal commits in the k+1 committee and every
// member's share of each applied key epoch matches its GroupKey.
func TestConcurrentKeyRotations(t *testing.T) {
	for seed := uint64(3); seed < 7; seed++ {
		synctest.Test(t, func(t *testing.T) {
			cryptotest.SetGlobalRandom(t, seed)
			c := newCluster(t, 3, 10*time.Millisecond, seed)
			defer c.close()
			aid := c.grow(3)
			base, _ := c.devs[0].svc.State(aid)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() {
					_, errs[i] = c.devs[i].svc.Propose(context.Background(), aid,
						Change{Kind: tree.RotateEpoch, Reason: uint8(i + 1), NewKey: true})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("seed %d: proposer %d: %v", seed, i, err)
				}
			}
			st := c.converge(aid, 0, 1, 2)
			if st.Epoch != base.Epoch+2 || st.KeyEpoch != base.KeyEpoch+2 {
				t.Fatalf("seed %d: epoch %d key epoch %d from %d/%d", seed, st.Epoch, st.KeyEpoch, base.Epoch, base.KeyEpoch)
			}
			checkShares(t, c, aid, base.KeyEpoch+1, base.KeyEpoch+2)
			checkSecrets(t, c, aid)
		})
	}
}

// checkShares: every member loads, for each key epoch in epochs, its
// share of the applied key of that epoch (a restart would sign with it).
func checkShares(t *testing.T, c *cluster, aid journal.AuthorityID, epochs ...uint64) {
	t.Helper()
	ns := journal.AuthorityNS(aid)
	ents, err := c.devs[0].j.Store().Entries(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tree.NewReducer(tree.Config{}).Reduce(ns, ents)
	if err != nil {
		t.Fatal(err)
	}
	applied := map[uint64][32]byte{}
	for _, id := range res.Applied {
		e, _ := c.devs[0].j.Store().Get(context.Background(), ns, id)
		cf, err := commitOf(e)
		if err != nil {
			t.Fatal(err)
		}
		op, err := tree.DecodeTreeOp(cf.Op)
		if err != nil {
			t.Fatal(err)
		}
		if op.NewKey != nil {
			applied[op.NewKey.KeyEpoch] = op.NewKey.GroupKey
		}
	}
	for _, d := range c.devs {
		for _, k := range epochs {
			sh, err := d.svc.loadShare(context.Background(), ns, k, applied[k])
			if err != nil {
				t.Fatalf("device %d key epoch %d: %v", d.i, k, err)
			}
			if sh.GroupKey != applied[k] {
				t.Fatalf("device %d key epoch %d: stored share is of another DKG's key", d.i, k)
			}
		}
	}
}

// checkSecrets: every member holds, for each applied key epoch, the
// AuthoritySecret sealed to its leaf in the applied op, and the Syncer
// was handed exactly those secrets (oldest first) — also when a secret of
// one key epoch was replaced because another op won at its parent.
func checkSecrets(t *testing.T, c *cluster, aid journal.AuthorityID) {
	t.Helper()
	ns := journal.AuthorityNS(aid)
	for _, d := range c.devs {
		ents, err := d.j.Store().Entries(context.Background(), ns)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tree.NewReducer(tree.Config{}).Reduce(ns, ents)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := res.State.LeafByDevice(d.id())
		got, err := d.svc.Secrets(aid)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range res.Applied {
			e, _ := d.j.Store().Get(context.Background(), ns, id)
			cf, _ := commitOf(e)
			op, err := tree.DecodeTreeOp(cf.Op)
			if err != nil || op.NewKey == nil {
				continue
			}
			sealed, ok := op.NewKey.SealedSecrets[leaf.ID]
			if !ok { // an op before this device joined
				continue
			}
			want, err := seal.Open(d.key.DH, sealed)
			if err != nil {
				t.Fatalf("device %d: %v", d.i, err)
			}
			if !bytes.Equal(got[op.NewKey.KeyEpoch], want) {
				t.Fatalf("device %d: secret of key epoch %d is not the applied op's", d.i, op.NewKey.KeyEpoch)
			}
		}
		exported := d.syncer.exported(ns)
		if want := sortedSecrets(got); !slices.EqualFunc(exported, want, bytes.Equal) {
			t.Fatalf("device %d: Syncer holds %d secrets, not the %d the service holds", d.i, len(exported), len(want))
		}
	}
}
