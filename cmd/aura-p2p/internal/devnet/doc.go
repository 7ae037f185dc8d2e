// Package devnet runs a bootstrap node and N peers in one process on
// 127.0.0.1 (temporary data directories, public-reachability override, no
// NAT port mapping) and drives them through named steps.
//
// Usage:
//
//	err := devnet.Run(ctx, devnet.Config{Nodes: 10, Out: os.Stdout})
//
// or, to add steps: d, _ := devnet.Start(ctx, cfg); d.RunSteps(ctx, steps);
// d.Close(). A Step is {Name, Run func(ctx, *Devnet) error}. DefaultSteps
// are join, gossip, journals (anti-entropy of one static context, its
// sync services on a devnet-only protocol ID so they never replace the
// nodes' own /aura/sync handler) and authority (authority.go: SPEC §4.1
// ceremonies on four peers through their control sockets).
//
// Scope: orchestration and measurement only; every node is a real
// node.Node (identity, config file, datastore, p2p.Host) built exactly as
// `aura-p2p run` builds it: every peer runs the authority service
// (node/authsvc, DKGTimeout Config.DKGTimeout) and the control API.
//
// Measurement: from its launch each peer is sampled every 50 ms for the
// parts of joined (seed connected, routing table >= 1, >= min(5, N−1));
// the summary gives their p50/max and the process CPU spent until every
// peer joined (timeline.go), the load-independent cost of joining.
//
// Invariants:
//   - Run returns nil only if every peer is joined per SPEC §14 with N = the
//     number of peers, and every step passed (devnet_test.go TestDevnetJoins,
//     TestFailingStepFails).
//   - Every goroutine a step starts ends when the step's ctx ends or its
//     work completes; Close stops every node and removes the directory
//     unless Keep (devnet_test.go TestDevnetJoins checks the directory).
//   - The authority step passes only if after each of its five ceremonies
//     every current member reports the same (epoch, key epoch, root) as
//     the commit and lists exactly the current devices (authority.go
//     agree; devnet_test.go TestDevnetJoins).
//   - The gossip step counts a message once per (receiver, sender) and only
//     for the current run's nonce (gossip_test.go FuzzDecodeGossip,
//     TestGossipMsgRoundTrip).
package devnet
