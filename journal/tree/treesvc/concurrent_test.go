package treesvc

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// TestConcurrentProposals (SPEC §4 chain walk, §5.10): at 2-of-3, A and B
// propose different RotateEpoch ops (Reason 1 and 2) at the same root at
// the same instant. Exactly one applies at that parent on every member;
// the other proposer's op is superseded and re-proposed on the new root,
// so both Propose calls succeed, the tree advances by two epochs, both
// ops are on the chain (the re-proposed one second) and all agree.
func TestConcurrentProposals(t *testing.T) {
	for seed := uint64(3); seed < 6; seed++ {
		synctest.Test(t, func(t *testing.T) {
			cryptotest.SetGlobalRandom(t, seed)
			c := newCluster(t, 3, 10*time.Millisecond, seed)
			defer c.close()
			aid := c.grow(3)
			base, _ := c.devs[0].svc.State(aid)
			reps := make([]Report, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() {
					reps[i], errs[i] = c.devs[i].svc.Propose(context.Background(), aid,
						Change{Kind: tree.RotateEpoch, Reason: uint8(i + 1)})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("seed %d: proposer %d: %v", seed, i, err)
				}
			}
			st := c.converge(aid, 0, 1, 2)
			if st.Epoch != base.Epoch+2 {
				t.Fatalf("seed %d: epoch %d, want %d", seed, st.Epoch, base.Epoch+2)
			}
			re := c.devs[0].met.reproposals() + c.devs[1].met.reproposals()
			first, second := 0, 1
			if reps[1].Epoch < reps[0].Epoch {
				first, second = 1, 0
			}
			if reps[first].Epoch != base.Epoch+1 || reps[second].Epoch != base.Epoch+2 {
				t.Fatalf("seed %d: report epochs %d, %d", seed, reps[0].Epoch, reps[1].Epoch)
			}
			if re != 1 || c.devs[second].met.reproposals() != 1 {
				t.Fatalf("seed %d: %d re-proposals, loser (proposer %d) made %d", seed, re, second, c.devs[second].met.reproposals())
			}
			checkChain(t, c, aid, base, re)
			t.Logf("seed %d: winner proposer %d (%s), re-proposals %d", seed, first, reps[first].Path, re)
		})
	}
}

// checkChain: at the base parent, the applied commit has the largest
// OpHash among the stored valid ones there; if our loser's op also
// committed at base, it is superseded on every member.
func checkChain(t *testing.T, c *cluster, aid journal.AuthorityID, base *tree.TreeState, reproposals int) {
	t.Helper()
	for _, d := range c.devs {
		ents, err := d.j.Store().Entries(context.Background(), journal.AuthorityNS(aid))
		if err != nil {
			t.Fatal(err)
		}
		res, err := tree.NewReducer(tree.Config{}).Reduce(journal.AuthorityNS(aid), ents)
		if err != nil {
			t.Fatal(err)
		}
		var applied, best [32]byte
		atBase := 0
		for _, r := range res.Commits {
			if r.ParentEpoch != base.Epoch || r.Status == tree.StatusInvalid || r.Status == tree.StatusMalformed {
				continue
			}
			e, _ := d.j.Store().Get(context.Background(), journal.AuthorityNS(aid), r.Entry)
			if !parentIs(e, base) {
				continue
			}
			atBase++
			if bytes.Compare(r.OpHash[:], best[:]) > 0 {
				best = r.OpHash
			}
			if r.Status == tree.StatusApplied {
				applied = r.OpHash
			}
		}
		if applied != best {
			t.Fatalf("device %d: applied op at base is not the max OpHash", d.i)
		}
		if atBase > 1 && reproposals == 0 {
			t.Fatalf("device %d: %d commits at base but nobody re-proposed", d.i, atBase)
		}
	}
}

func parentIs(e journal.Entry, base *tree.TreeState) bool {
	cf, err := commitOf(e)
	if err != nil {
		return false
	}
	op, err := tree.DecodeTreeOp(cf.Op)
	return err == nil && op.ParentRoot == base.Root
}
