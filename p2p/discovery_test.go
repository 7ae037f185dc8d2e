package p2p

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestDialAllDedupesAndCounts: discovery dials each new peer once,
// concurrently, skipping itself, address-less and connected peers, and
// counts only new connections.
func TestDialAllDedupesAndCounts(t *testing.T) {
	a := newTestHost(t, testConfig())
	others := []*Host{newTestHost(t, testConfig()), newTestHost(t, testConfig()), newTestHost(t, testConfig())}
	t.Cleanup(func() { closeAll(t, append([]*Host{a}, others...)) })
	cands := []peer.AddrInfo{a.AddrInfo(), {ID: others[0].ID()}}
	for _, o := range others {
		cands = append(cands, o.AddrInfo(), o.AddrInfo())
	}
	if n := a.dialAll(cands); n != len(others) {
		t.Fatalf("dialAll = %d new connections, want %d", n, len(others))
	}
	for _, o := range others {
		if !a.connected(o.ID()) {
			t.Fatalf("not connected to %s", o.ID())
		}
	}
	if n := a.dialAll(cands); n != 0 {
		t.Fatalf("second dialAll = %d, want 0 (all connected)", n)
	}
}
