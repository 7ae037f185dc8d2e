// Package devnet runs a bootstrap node and N peers in one process on
// 127.0.0.1 (temporary data directories, public-reachability override, no
// NAT port mapping) and drives them through named steps.
//
// Usage:
//
//	err := devnet.Run(ctx, devnet.Config{Nodes: 10, Out: os.Stdout})
//
// or, to add steps: d, _ := devnet.Start(ctx, cfg); d.RunSteps(ctx, steps);
// d.Close(). A Step is {Name, Run func(ctx, *Devnet) error}; later work
// appends "journals converge", "authority ceremony", ... to DefaultSteps.
//
// Scope: orchestration and measurement only; every node is a real
// node.Node (identity, config file, datastore, p2p.Host) built exactly as
// `aura-p2p run` builds it.
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
//   - The gossip step counts a message once per (receiver, sender) and only
//     for the current run's nonce (gossip_test.go FuzzDecodeGossip,
//     TestGossipMsgRoundTrip).
package devnet
