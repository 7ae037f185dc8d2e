package treesvc

import (
	"context"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// TestRestartResumes: at {2,2} B's Service is closed and a new one opened
// on the same journal, datastore and sender. It comes back at the same
// state (loaded from the journal, share from dkgsvc.LoadShare; no Signer
// persisted) and takes part in the next ceremonies: a keyless RotateEpoch
// (t = n = 2 needs B's signature share) and a RotateEpoch with a new key
// (DKG including B).
func TestRestartResumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 7)
		c := newCluster(t, 2, 10*time.Millisecond, 7)
		defer c.close()
		ctx := context.Background()
		aid := c.grow(2)
		before, _ := c.devs[1].svc.State(aid)
		secrets, _ := c.devs[1].svc.Secrets(aid)
		if err := c.devs[1].svc.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.devs[1].svc.State(aid); err != ErrClosed {
			t.Fatalf("State after Close: %v", err)
		}
		c.start(1)
		got, err := c.devs[1].svc.State(aid)
		if err != nil || string(got.Canonical()) != string(before.Canonical()) {
			t.Fatalf("restarted B: state differs (%v)", err)
		}
		again, _ := c.devs[1].svc.Secrets(aid)
		if len(again) != len(secrets) || string(again[before.KeyEpoch]) != string(secrets[before.KeyEpoch]) {
			t.Fatal("restarted B lost AuthoritySecrets")
		}
		for _, ch := range []Change{{Kind: tree.RotateEpoch}, {Kind: tree.RotateEpoch, NewKey: true}} {
			rep, err := c.devs[0].svc.Propose(ctx, aid, ch)
			if err != nil {
				t.Fatalf("%+v after restart: %v", ch, err)
			}
			st := c.converge(aid, 0, 1)
			if !isConsensus(rep.Path) || rep.Root != st.Root {
				t.Fatalf("%+v: path %s", ch, rep.Path)
			}
		}
		st, _ := c.devs[1].svc.State(aid)
		if st.KeyEpoch != before.KeyEpoch+1 || st.Epoch != before.Epoch+2 {
			t.Fatalf("after restart: epoch %d key epoch %d", st.Epoch, st.KeyEpoch)
		}
	})
}
