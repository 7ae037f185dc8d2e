package syncdevnet

import (
	"context"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/p2p"
)

func TestRunConverges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 5)
		net := simnet.New(simnet.Config{Seed: 5, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		var trs []p2p.Transport
		for _, nd := range net.AddNodes(5) {
			trs = append(trs, nd)
		}
		res, err := Run(context.Background(), trs, Options{Writes: 4, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged {
			t.Fatalf("not converged: %+v", res.Peers)
		}
		for _, p := range res.Peers {
			if p.Count != res.Want || p.Digest != res.Peers[0].Digest {
				t.Fatalf("converged but peer %s differs: %+v", p.Peer, p)
			}
		}
		t.Logf("5 peers converged on %d entries in %v (virtual)", res.Want, res.Elapsed)
	})
}
