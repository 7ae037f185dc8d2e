package sync

import (
	"context"
	"fmt"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// stallOpen is a transport whose Open never completes before its
// context ends: a peer that accepts the dial but never answers.
type stallOpen struct{ p2p.Transport }

func (stallOpen) Open(ctx context.Context, _ peer.ID, _ protocol.ID) (p2p.Stream, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestOwnerNeverWaitsOnOpen: with every outbound Open stalled until its
// SyncRoundTimeout, Write (a call through run that pushes to every peer)
// and Join still return without the virtual clock moving, after a tick
// has also booked a stalled reconcile; the stalled sessions release
// their bookings and the service closes cleanly. Before the fix run
// itself called Open, so each call waited the full timeout.
func TestOwnerNeverWaitsOnOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 11)
		net := simnet.New(simnet.Config{Seed: 11, Latency: 5 * time.Millisecond})
		defer net.Close()
		const n = 4
		fx := journaltest.NewStaticContext("owner", n)
		trs := make([]p2p.Transport, n)
		for i, nd := range net.AddNodes(n) {
			trs[i] = nd
		}
		trs[0] = stallOpen{trs[0]}
		cfg := DefaultServiceConfig()
		rs := startReplicas(t, fx, trs, cfg, 11, nil)
		defer closeReplicas(rs)
		for k := range 3 {
			start := time.Now()
			rs[0].write(t, fx, fmt.Sprint("stall", k), 2)
			if err := rs[0].svc.Join(context.Background(), keysOf(fx, 0)); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d != 0 {
				t.Fatalf("round %d: Write+Join took %v of virtual time; run waited on the network", k, d)
			}
			net.Advance(cfg.SyncInterval + time.Millisecond) // a tick books a stalled reconcile
		}
		// Every stalled open times out and is released; the others still
		// reach replica 0 (inbound admission does not wait on run either).
		net.Advance(2 * cfg.SyncRoundTimeout)
		want := 1 + n + 3*2
		if !converged(t, rs, fx.NS(), want) {
			t.Fatalf("replicas did not converge on %d entries", want)
		}
	})
}
