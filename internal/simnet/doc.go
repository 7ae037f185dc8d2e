// Package simnet is a deterministic in-process network that implements
// p2p.Transport (SPEC §15, last paragraph; §16 intro). Protocol services
// run on a *Node exactly as on the libp2p adapter, while the test controls
// delay, jitter, loss, duplication, reordering, partitions, link faults,
// crashes and restarts, all derived from one seed.
//
// # Usage
//
// The simulator runs inside a testing/synctest bubble: time.Now, timers
// and time.Sleep are virtual and advance only when every goroutine in the
// bubble is blocked, so protocol drivers keep using ordinary timers and
// time.Now() and a 10^4-message run takes milliseconds of wall time.
//
//	func TestX(t *testing.T) {
//		synctest.Test(t, func(t *testing.T) {
//			cryptotest.SetGlobalRandom(t, seed)          // if the code reads crypto/rand
//			net := simnet.New(simnet.Config{Seed: seed, Latency: 10 * time.Millisecond,
//				Jitter: 5 * time.Millisecond, DropRate: 0.01, Reorder: true})
//			defer net.Close()                             // resets streams, waits for handlers
//			nodes := net.AddNodes(5)                      // IDs PeerID(0..4), stable across runs
//			for _, nd := range nodes { startService(nd) } // nd is a p2p.Transport
//			net.Partition(ids[:2], ids[2:])               // faults, any time from the test goroutine
//			if err := net.RunUntilQuiet(time.Minute); err != nil { t.Fatal(err) }
//			net.Heal(); net.Advance(time.Second)          // let protocol timers fire
//			checkInvariants(t, nodes)                     // e.g. one commit per instance
//		})
//	}
//
// example_test.go is a complete template (TestExampleVoteRound). Use
// net.Now() or time.Now() for virtual time, net.Elapsed() for time since
// New, net.Trace()/TraceHash() to compare runs, OnSend/OnDeliver to audit
// every transport write and delivery, Stats for per-peer counters.
// RunUntilQuiet and Advance call synctest.Wait and must only be called from
// the bubble's test goroutine. New must be called inside the bubble.
//
// # Model
//
//   - Delay: each delivery takes link Latency plus a uniform draw in
//     [0, Jitter], at least 1ns. SetLink overrides one directed link
//     (latency, jitter, drop, down).
//   - Streams: Open costs the caller no virtual time (lazy negotiation); it
//     fails at once with p2p.ErrUnreachable (unknown, crashed, self, across a
//     partition or down link) or p2p.ErrNoProtocol (no handler now). The open
//     travels like a frame; its arrival starts the handler on its own
//     goroutine, before the stream's first frame. Frames of one stream
//     direction are FIFO. CloseWrite makes the remote read io.EOF after the
//     frames already sent; Reset fails the local end at once and the remote
//     end when the reset arrives; a reset discards unread frames (yamux).
//     WriteFrame over protocols.MaxFrame(proto) returns
//     protocols.ErrFrameTooLarge and resets the stream.
//   - Drop: a dropped stream data frame resets its stream at both ends when
//     it would have arrived (SPEC §15); opens, FINs and resets are never
//     dropped by draw. A dropped topic delivery just vanishes.
//   - Dup: topic deliveries only, each copy with its own delay draw. Streams
//     are never duplicated.
//   - Reorder: off, every link is FIFO for traffic sent at distinct
//     instants; on, messages of different streams and topics on a link may
//     overtake each other. Per-stream FIFO always holds.
//   - Topics: GossipSub is modelled as direct delivery from the publisher to
//     each current subscriber with per-link delay and drop. The publisher's
//     own validator runs first (failure: ErrValidationFailed, nothing sent);
//     each receiver's validator runs on delivery with from = publisher;
//     Reject and Ignore drop the message, Reject also counts in the
//     publisher's Stats.Rejected. The publisher receives its own message
//     with Local=true.
//   - Partition/Heal, link Down: traffic across the cut is cut when it would
//     be delivered (a stream event then resets its stream); idle streams
//     are left alone. Crash resets every stream of the node at both ends at
//     once, drops its handlers and subscriptions (Next returns p2p.ErrClosed)
//     and makes it unreachable; Restart returns a fresh Node with the same
//     peer ID and a new incarnation.
//
// # Determinism
//
// Every random draw of an event (delay, drop, dup) comes from
// SipHash-128(key from Seed, identity) seeding a PCG, never from a shared
// generator consumed in call order. Identities are (opener, incarnation,
// acceptor, protocol, opener's per-(acceptor, protocol) open counter,
// direction, per-direction sequence) for stream events and (publisher,
// incarnation, topic, publisher's per-topic counter, receiver, dup) for
// topic deliveries. Events are ordered by (deliverAt, identity hash), and
// the scheduler delivers at most one event per virtual instant: when several
// are due it delivers the least and the rest follow 1ns apart, so synctest
// runs each delivery's consequences to quiescence before the next one. The
// result is that the trace depends only on the seed and on what each node
// sends in which order, not on goroutine scheduling, provided that:
//
//   - each node opens streams to one (peer, protocol), publishes on one
//     topic, and writes on one stream end from one goroutine at a time (or
//     at distinct instants); concurrent calls get an undefined counter
//     order;
//   - protocol timers do not fire at exactly the instant of a delivery to
//     the same node: use Jitter ≥ 1µs so delivery times are spread at
//     nanosecond resolution;
//   - code under test draws randomness from seeded sources (crypto/rand via
//     cryptotest.SetGlobalRandom, SPEC §16) and does not depend on map
//     iteration order or wall-clock time;
//   - tests that replay from a seed do not call t.Parallel.
//
// # Scope
//
// Belongs here: the simulated transport, fault injection, the delivery
// trace and taps. Does not belong: protocol logic, invariant checkers for
// particular protocols (they live beside each protocol's tests), libp2p
// (p2p/ adapts the real host). simnet imports testing/synctest and is only
// imported by tests.
//
// # Invariants
//
// Concurrency: all state sits behind Network.mu; the scheduler goroutine
// (sched.go run) is the only one that delivers. Validators and taps run
// outside the lock. Every goroutine simnet starts (scheduler, handlers) is
// awaited by Close.
//
//   - Same seed and same sends ⇒ same trace hash, under randomised
//     goroutine interleavings (sched.go enqueueLocked, keyLocked;
//     determinism_test.go TestSameSeedSameTrace, fuzz_test.go FuzzScript).
//   - Different seeds ⇒ different traces (TestDifferentSeedDifferentTrace).
//   - Per-stream FIFO under Reorder; link FIFO without it (sched.go
//     enqueueLocked, linkFIFOLocked; stream_test.go
//     TestPerStreamFIFOUnderReorder, TestLinkFIFOWithoutReorder).
//   - A dropped or cut stream event resets the stream at both ends
//     (deliver.go applyStreamLocked; TestDropResetsStreamAtBothEnds,
//     fault_test.go TestPartitionCutsAndHealRestores).
//   - Oversize writes fail with protocols.ErrFrameTooLarge and reset
//     (stream.go WriteFrame; TestOversizeFrameResets).
//   - Validator Reject/Ignore drop and count against the publisher
//     (deliver.go finishTopicLocked; pubsub_test.go TestValidatorRejectIgnore).
//   - Crash resets streams and subscriptions; Restart yields a fresh
//     incarnation (control.go crashLocked; TestCrashAndRestart).
//   - RunUntilQuiet returns nil once no event is pending and ErrNotQuiet
//     after its virtual-time bound (control.go; TestRunUntilQuietReportsLivelock,
//     TestRunUntilQuietIgnoresProtocolTimers).
//   - No goroutine outlives Close (network.go Close; TestCloseStopsEverything,
//     and synctest.Test fails any test that leaks one).
//   - Bad input never panics: any op sequence goes quiet and replays
//     (FuzzScript).
package simnet
