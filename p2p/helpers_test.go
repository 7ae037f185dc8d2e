package p2p

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
)

// testConfig is a loopback, public-reachability, no-port-mapping config.
// It listens on TCP only: QUIC under -race on a loaded 2-core CI machine
// dominates the run time; TestQUIC covers QUIC-v1 (and the devnet uses
// both).
func testConfig() Config {
	c := DefaultConfig()
	c.ListenAddrs = []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")}
	c.NATPortMap = false
	c.ForcePublic = true
	return c
}

func newTestHost(t testing.TB, cfg Config) *Host {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

// startNetwork starts one bootstrap host and n peers seeded with it.
func startNetwork(t testing.TB, n int) (*Host, []*Host) {
	t.Helper()
	return startNetworkM(t, n, nil)
}

// startNetworkM is startNetwork with shared metrics m (nil: none).
func startNetworkM(t testing.TB, n int, m Metrics) (*Host, []*Host) {
	t.Helper()
	boot, peers := startNetworkCfg(t, n, m)
	t.Cleanup(func() { closeAll(t, append([]*Host{boot}, peers...)) })
	return boot, peers
}

// startNetworkNoCleanup leaves closing to the caller.
func startNetworkNoCleanup(t testing.TB, n int) (*Host, []*Host) {
	t.Helper()
	return startNetworkCfg(t, n, nil)
}

func startNetworkCfg(t testing.TB, n int, m Metrics) (*Host, []*Host) {
	t.Helper()
	bc := testConfig()
	bc.Metrics = m
	bc.Bootstrap = true
	boot := newTestHost(t, bc)
	seed := []peer.AddrInfo{boot.AddrInfo()}
	peers := make([]*Host, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := testConfig()
			c.BootstrapPeers = seed
			c.DialSeed = uint64(i + 1)
			c.Metrics = m
			h, err := New(context.Background(), c)
			if err != nil {
				errs <- err
				return
			}
			peers[i] = h
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		closeAll(t, append([]*Host{boot}, peers...))
		t.Fatalf("New peer: %v", err)
	}
	return boot, peers
}

// closeAll closes hosts concurrently.
func closeAll(t testing.TB, hs []*Host) {
	var wg sync.WaitGroup
	for _, h := range hs {
		if h == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.Close(); err != nil {
				t.Logf("close %s: %v", h.ID(), err)
			}
		}()
	}
	wg.Wait()
}

// eventually polls cond on a ticker until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-tick.C:
		}
	}
}

// connectPair connects a to b directly.
func connectPair(t testing.TB, a, b *Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Connect(ctx, b.AddrInfo()); err != nil {
		t.Fatalf("connect: %v", err)
	}
}

func protocolID(s string) protocol.ID { return protocol.ID(s) }
