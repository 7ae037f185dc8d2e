package treesvc

import (
	"context"
	"errors"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// TestAddLeafRejectsWeakKeys: a joiner-controlled DeviceKey that is not a
// valid Ed25519 point, or a small-order one (whose "signatures" anyone
// can forge), and a low-order X25519 DHKey are refused with ErrBadChange
// before any DKG runs or anything is sealed or committed.
func TestAddLeafRejectsWeakKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 5)
		c := newCluster(t, 2, 10*time.Millisecond, 5)
		defer c.close()
		ctx := context.Background()
		aid, err := c.devs[0].svc.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := c.devs[0].svc.State(aid)
		good := c.devs[1].candidate()
		identity := [32]byte{1}   // the neutral point: small order
		notOnCurve := [32]byte{2} // y = 2 has no x on edwards25519
		var lowOrderDH [32]byte   // X25519 u = 0
		t0 := time.Now()
		for name, cand := range map[string]Candidate{
			"identity device key":     {DeviceKey: identity, DHKey: good.DHKey, Peer: good.Peer},
			"off-curve device key":    {DeviceKey: notOnCurve, DHKey: good.DHKey, Peer: good.Peer},
			"low-order X25519 DH key": {DeviceKey: good.DeviceKey, DHKey: lowOrderDH, Peer: good.Peer},
		} {
			_, err := c.devs[0].svc.Propose(ctx, aid, Change{Kind: tree.AddLeaf, Add: &cand})
			if !errors.Is(err, ErrBadChange) {
				t.Fatalf("%s: %v, want ErrBadChange", name, err)
			}
		}
		if d := time.Since(t0); d >= dkgsvc.DefaultTimeout {
			t.Fatalf("refusals took %v of virtual time: a DKG ran", d)
		}
		if st, _ := c.devs[0].svc.State(aid); st.Root != before.Root {
			t.Fatal("state moved")
		}
	})
}
