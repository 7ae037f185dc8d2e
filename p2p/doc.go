// Package p2p is the only package that imports go-libp2p's host and
// network layers (SPEC §15). It builds the libp2p host (TCP + QUIC-v1,
// Noise, yamux, identify, AutoNAT v2, relay client, hole punching,
// optional NAT port mapping and relay v2 service), the SPEC §10 resource
// and connection managers, the SPEC §6.6 misbehaviour gater, a private
// Kademlia DHT (/aura/kad/1.0.0) with routing discovery, and GossipSub
// (StrictNoSign, content-addressed ids, peer scoring, raised queues) with
// the two neighbourhood topics. Host implements Transport, the whole
// network surface protocol packages see.
//
// Usage:
//
//	key, err := p2p.LoadOrCreateIdentity(dataDir)
//	cfg := p2p.DefaultConfig()
//	cfg.PrivKey, cfg.BootstrapPeers = key, seeds // bootstrap.ParsePeers
//	h, err := p2p.New(ctx, cfg)                   // starts seed dialer + discovery
//	defer h.Close()                               // stops every goroutine it started
//	err = h.WaitJoined(ctx, n)                    // SPEC §14 "joined"
//	h.Handle(protocols.Sync, serve)               // protocol packages use Transport
//
// Scope: host assembly, stream framing and caps, topic join/validate,
// peer discovery and hygiene. Not here: protocol logic, guards, charging
// (flow/), seed parsing and dial backoff (bootstrap/), Prometheus binding
// (cmd/; the PrometheusRegisterer field only forwards libp2p's own
// metrics).
//
// Goroutines: New starts four — the bootstrap.Dialer loop and three
// discovery loops (discovery.go: advertise, find-and-dial, routing fix),
// each owning its own schedule so a slow DHT provide never delays dialing
// — plus libp2p, DHT and GossipSub internals bound to the host's context.
// Discovery dials run at most 8 at a time on short-lived goroutines joined
// before the find loop continues. Inbound stream handlers run on libp2p
// goroutines and are counted; Close cancels the context, waits for the
// loops, closes the DHT, the swarm (resetting streams) and the host, then
// waits for the handlers.
//
// Invariants (file → test):
//   - Resource limits are explicit and finite: system 1024 conns (512 in),
//     8192 streams (4096 in), 1 GiB; per peer 8 conns, 512 streams (256 in),
//     64 MiB; 64 inbound streams per /aura/* protocol and peer
//     (options.go → TestResourceLimits).
//   - A frame over protocols.MaxFrame(proto) or with a malformed prefix
//     resets the stream (the writer sees a reset) and costs the sender one
//     misbehaviour point; a local oversize write fails before sending
//     (stream.go → TestBadFramesResetAndGate, TestTransportErrors).
//   - MisbehaviourLimit points within MisbehaviourSpan disconnect the peer
//     and gate it for GateDuration on the injected clock; points and gates
//     expire (misbehaviour.go, gater.go → TestMisbehaviourBook,
//     TestBadFramesResetAndGate).
//   - A topic validator Reject from a remote counts one point
//     (gossip.go → TestValidatorRejectCountsMisbehaviour).
//   - Publish on a topic never joined is ErrNotSubscribed; Open maps to
//     ErrNoProtocol / ErrUnreachable / ErrStreamReset (gossip.go, stream.go
//     → TestTransportErrors).
//   - Every host subscribes to both neighbourhood topics at start; with
//     ForcePublic every DHT is a server; 20 peers and a bootstrap node all
//     join (SPEC §14) and a message from any peer reaches all
//     (host.go, join.go → TestNetwork20/joined, /dht_server_and_discovery,
//     /broadcast).
//   - A paced burst across 20 publishers loses no message at any receiver
//     (gossip.go queue sizes → TestNetwork20/burst; 10 000 with AURA_LONG=1).
//   - The identity key is Ed25519 in a 0600 file written atomically and
//     never replaced by a concurrent creator (internal/keyfile, shared with
//     node's device.key); open permissions or a corrupt or non-Ed25519 key
//     are typed errors (identity.go → TestIdentityPersistsAcrossRestart,
//     TestIdentityErrors, FuzzDecodeIdentity; keyfile_test.go).
//   - Config.Validate never mutates and reports ErrInvalidConfig
//     (config.go → TestConfigValidate, TestConfigDefaults).
//   - Discovery dials each found peer at most once per round, never itself,
//     an address-less or an already connected peer, and counts only new
//     connections (discovery.go → TestDialAllDedupesAndCounts).
//   - Close leaves no goroutine behind (host.go → TestCloseLeavesNoGoroutines).
package p2p
