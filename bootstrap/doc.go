// Package bootstrap parses seed peers and keeps a host connected to them
// (SPEC §14, §15 "Seeds"). It holds no protocol logic and imports no
// libp2p host or network package: the Dialer drives a three-method Host
// interface that p2p.Host satisfies.
//
// Usage:
//
//	seeds, err := bootstrap.ParsePeers(flagSeeds)   // typed errors per entry
//	d, err := bootstrap.NewDialer(host, bootstrap.DialerConfig{Seeds: seeds, Seed: 1})
//	go d.Run(ctx)                                   // p2p.New does this itself
//
// Scope: multiaddr parsing and validation, seed dialling with exponential
// backoff and jitter, re-bootstrap when the DHT routing table empties.
// Not here: the DHT itself, peer discovery beyond seeds (p2p/discovery.go).
//
// Invariants (file → test):
//   - Every accepted seed carries a peer ID and at least one transport
//     address; addresses of one peer are merged, duplicates dropped
//     (parse.go → TestParsePeers, FuzzParsePeers).
//   - A failing seed is retried after a delay in [b/2, b], b =
//     min(MaxBackoff, BaseBackoff·2^(n−1)); the jitter sequence is a pure
//     function of DialerConfig.Seed (dialer.go → TestDialerBackoff,
//     TestBackoffDeterministic); the doubling saturates at MaxBackoff and
//     never overflows (TestExpBackoffNoOverflow).
//   - When every seed was reached but the routing table is empty, every
//     seed is re-dialled and the routing table refreshed, with backed-off
//     rounds (dialer.go → TestDialerRebootstrap).
//   - The Dialer never sleeps on the real clock under a fake Clock; Run
//     returns when ctx ends (dialer.go → TestDialerRunStops).
package bootstrap
