package treesvc

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// TestOfflineMemberReproposed (SPEC §4.1 step 4): A, B, C at 2-of-3; D
// joins while C is partitioned. A's AddLeaf returns ErrDeviceOffline
// naming exactly C (also errors.Is dkg.ErrDKGTimeout) after DKGTimeout of
// virtual time, and D's Join fails with it. Re-proposed without C
// (RemoveLeaf of C, DKG among the survivors, consensus in the current
// committee with t = 2 of the reachable A, B) it commits and the
// survivors agree; D then joins the survivors.
func TestOfflineMemberReproposed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 2)
		c := newCluster(t, 4, 10*time.Millisecond, 2)
		defer c.close()
		ctx := context.Background()
		aid := c.grow(3)
		A, C := c.devs[0], c.devs[2]
		c.isolate(2)

		t0 := time.Now()
		_, _, perr, jerr := c.add(aid, 0, 3)
		took := time.Since(t0)
		var oe *OfflineError
		switch {
		case !errors.Is(perr, ErrDeviceOffline) || !errors.Is(perr, dkg.ErrDKGTimeout) || !errors.As(perr, &oe):
			t.Fatalf("AddLeaf with C offline: %v", perr)
		case !slices.Equal(oe.Devices, []journal.DeviceID{C.id()}):
			t.Fatalf("offline devices %v, want only C %v", oe.Devices, C.id())
		case took < dkgDefaultTimeout():
			t.Fatalf("ErrDeviceOffline after %v, before DKGTimeout", took)
		case jerr == nil:
			t.Fatal("the joiner's Join succeeded without a commit")
		}

		rep, err := A.svc.Propose(ctx, aid, Change{Kind: tree.RemoveLeaf, Remove: []journal.DeviceID{C.id()}})
		if err != nil {
			t.Fatalf("re-proposal without C: %v", err)
		}
		st := c.converge(aid, 0, 1)
		t.Logf("remove silent C: path %s, DKG %v, consensus %v", rep.Path, rep.DKG, rep.Consensus)
		if st.Policy != (tree.Policy{M: 2, N: 2}) || rep.Root != st.Root {
			t.Fatalf("after removing C: policy %v", st.Policy)
		}
		if _, _, perr, jerr := c.add(aid, 0, 3); perr != nil || jerr != nil {
			t.Fatalf("D joins the survivors: %v / %v", perr, jerr)
		}
		c.converge(aid, 0, 1, 3)
	})
}

func dkgDefaultTimeout() time.Duration { return 60 * time.Second }

// TestOfflineRetryWaits: with OfflineRetries, a ceremony whose DKG member
// is silent waits with backoff and retries; once the member is back the
// retry commits (SPEC §4.1 step 4 "the op waits").
func TestOfflineRetryWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 4)
		c := newCluster(t, 2, 10*time.Millisecond, 4)
		defer c.close()
		aid := c.grow(2)
		A := c.devs[0]
		_ = A.svc.Close()
		A.svc = nil
		svc, err := New(Config{Device: A.key, Self: A.peer, Sender: A.snd, Journal: A.j, Datastore: A.d,
			Peers: c.peers, Syncer: A.syncer, Metrics: A.met, OfflineRetries: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		A.svc = svc
		before, _ := svc.State(aid)
		c.isolate(1)
		type out struct {
			rep Report
			err error
		}
		ch := make(chan out, 1)
		go func() {
			rep, err := svc.Propose(context.Background(), aid, Change{Kind: tree.RotateEpoch, NewKey: true})
			ch <- out{rep, err}
		}()
		c.net.Advance(dkgDefaultTimeout() + 100*time.Millisecond) // first DKG timed out, backoff running
		select {
		case o := <-ch:
			t.Fatalf("Propose returned during the backoff: %v", o.err)
		default:
		}
		c.heal()
		o := <-ch
		if o.err != nil {
			t.Fatalf("retry after heal: %v", o.err)
		}
		st := c.converge(aid, 0, 1)
		if st.KeyEpoch != before.KeyEpoch+1 || o.rep.Root != st.Root {
			t.Fatalf("retry committed key epoch %d", st.KeyEpoch)
		}
		if n := A.met.failures("offline"); n != 0 {
			t.Fatalf("%d offline failures reported for a retried ceremony", n)
		}
	})
}
