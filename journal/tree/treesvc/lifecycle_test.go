package treesvc

import (
	"bytes"
	"context"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/internal/seal"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// TestCeremonyLifecycle: Create at A; Add B (1→2, {2,2}, path single);
// Add C (2-of-3); Add D; Remove B; ChangePolicy to 3-of-3; RotateEpoch
// with NewKey. After each step every current member's reduced state is
// byte-identical; joiners open Report.Sealed with their DH key; B's old
// share cannot sign under the next key (SPEC §16.11 at service level).
func TestCeremonyLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 1)
		c := newCluster(t, 4, 10*time.Millisecond, 1)
		defer c.close()
		ctx := context.Background()
		A := c.devs[0]
		aid, err := A.svc.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st := c.converge(aid, 0)
		if st.Policy != (tree.Policy{M: 1, N: 1}) || A.syncer.count(journal.AuthorityNS(aid)) != 1 {
			t.Fatalf("genesis: policy %v, %d secrets exported", st.Policy, A.syncer.count(journal.AuthorityNS(aid)))
		}

		step := func(name string, joiner int, wantPath func(string) bool, want tree.Policy, who ...int) (Report, *tree.TreeState) {
			t.Helper()
			rep, jrep, perr, jerr := c.add(aid, 0, joiner)
			if perr != nil || jerr != nil {
				t.Fatalf("%s: %v / %v", name, perr, jerr)
			}
			st := c.converge(aid, who...)
			checkStep(t, name, rep, st, wantPath, want)
			checkSealed(t, c.devs[joiner], aid, rep)
			if jrep.CID != rep.CID || jrep.Root != rep.Root {
				t.Fatalf("%s: joiner report %x/%x, proposer %x/%x", name, jrep.CID[:4], jrep.Root[:4], rep.CID[:4], rep.Root[:4])
			}
			return rep, st
		}
		step("add B", 1, isSingle, tree.Policy{M: 2, N: 2}, 0, 1)
		step("add C", 2, isConsensus, tree.Policy{M: 2, N: 3}, 0, 1, 2)
		_, before := step("add D", 3, isConsensus, tree.Policy{M: 2, N: 4}, 0, 1, 2, 3)

		B := c.devs[1]
		rep, err := A.svc.Propose(ctx, aid, Change{Kind: tree.RemoveLeaf, Remove: []journal.DeviceID{B.id()}})
		if err != nil {
			t.Fatal(err)
		}
		st = c.converge(aid, 0, 2, 3)
		checkStep(t, "remove B", rep, st, isConsensus, tree.Policy{M: 2, N: 3})
		checkRemovedShareUseless(t, c, aid, before, st, []int{0, 1}) // B (removed) with A, FrostID order

		rep, err = A.svc.Propose(ctx, aid, Change{Kind: tree.ChangePolicy, Threshold: 3})
		if err != nil {
			t.Fatal(err)
		}
		st = c.converge(aid, 0, 2, 3)
		checkStep(t, "policy 3-of-3", rep, st, isConsensus, tree.Policy{M: 3, N: 3})

		k := st.KeyEpoch
		rep, err = c.devs[2].svc.Propose(ctx, aid, Change{Kind: tree.RotateEpoch, NewKey: true})
		if err != nil {
			t.Fatal(err)
		}
		st = c.converge(aid, 0, 2, 3)
		checkStep(t, "rotate with key", rep, st, isConsensus, tree.Policy{M: 3, N: 3})
		if st.KeyEpoch != k+1 {
			t.Fatalf("rotate: key epoch %d after %d", st.KeyEpoch, k)
		}
		for _, i := range []int{0, 2, 3} {
			sec, _ := c.devs[i].svc.Secrets(aid)
			if sec[st.KeyEpoch] == nil || !bytes.Equal(sec[st.KeyEpoch], mustSecret(t, c.devs[0], aid, st.KeyEpoch)) {
				t.Fatalf("device %d lacks AuthoritySecret_%d", i, st.KeyEpoch)
			}
		}
		if got := len(c.devs[0].svc.Authorities()); got != 1 {
			t.Fatalf("A holds %d authorities", got)
		}
		if v, err := A.svc.View(aid); err != nil || len(v.Devices) != 3 || v.Policy.M != 3 || !v.Devices[0].Self {
			t.Fatalf("view %+v (%v)", v, err)
		}
	})
}

func isSingle(p string) bool    { return p == "single" }
func isConsensus(p string) bool { return p == "fast1" || p == "fast2" || p == "fallback" }

func checkStep(t *testing.T, name string, rep Report, st *tree.TreeState, wantPath func(string) bool, want tree.Policy) {
	t.Helper()
	if !wantPath(rep.Path) {
		t.Fatalf("%s: path %q", name, rep.Path)
	}
	if st.Policy != want || rep.Root != st.Root || rep.Epoch != st.Epoch || rep.KeyEpoch != st.KeyEpoch {
		t.Fatalf("%s: policy %v (want %v), report epoch %d root %x vs state %d %x", name, st.Policy, want,
			rep.Epoch, rep.Root[:4], st.Epoch, st.Root[:4])
	}
	t.Logf("%s: path %s, DKG %v, consensus %v, total %v (virtual)", name, rep.Path, rep.DKG, rep.Consensus, rep.Total)
}

// checkSealed: the AddLeaf report's Sealed opens with the joiner's DH key
// to the secret the joiner holds for the new key epoch.
func checkSealed(t *testing.T, j *dev, aid journal.AuthorityID, rep Report) {
	t.Helper()
	got, err := seal.Open(j.key.DH, rep.Sealed)
	if err != nil {
		t.Fatalf("joiner cannot open Report.Sealed: %v", err)
	}
	if !bytes.Equal(got, mustSecret(t, j, aid, rep.KeyEpoch)) {
		t.Fatal("Report.Sealed is not the joiner's AuthoritySecret")
	}
}

func mustSecret(t *testing.T, d *dev, aid journal.AuthorityID, epoch uint64) []byte {
	t.Helper()
	sec, err := d.svc.Secrets(aid)
	if err != nil || sec[epoch] == nil {
		t.Fatalf("device %d: no secret for epoch %d (%v)", d.i, epoch, err)
	}
	return sec[epoch]
}
