// Command aura-p2p runs Aura nodes on libp2p: init a data directory, print
// its identity, run a peer or a bootstrap node, or start a local devnet;
// status, authority and device talk to a running daemon (package control).
// The repository README.md ("Running nodes" and its subsections) documents
// every command, flag, config field and metric.
//
// Layout: main.go only installs the SIGINT/SIGTERM context and calls Main;
// cli.go dispatches subcommands, each with its own flag.FlagSet
// (cmd_*.go); node wiring lives in package node, the devnet in
// internal/devnet, the Prometheus binding in internal/promx (the only
// Prometheus importer besides go-libp2p).
//
// Invariants:
//   - Exit codes: 0 success or --help, 1 runtime error, 2 usage error; every
//     subcommand answers --help (main_test.go TestHelpEveryCommand,
//     TestUsageErrors).
//   - A bad --bootstrap or --listen value is a usage error naming the flag
//     and the value, and creates nothing (TestInitBadBootstrapNamesIt).
//   - init never overwrites a data directory (TestInitRefusesExistingDir);
//     id is stable across runs (TestInitIDStable); a bad config file is a
//     runtime error naming the file (TestBadConfigFile).
//   - SIGINT/SIGTERM end run/bootstrap cleanly with exit 0, every
//     component closed and the goroutines drained (signal_test.go
//     TestSignalShutdown, main_test.go TestRunCancelDrains).
//   - /metrics serves libp2p's collectors and Aura's from one registry
//     (TestRunCancelDrains).
//   - run/bootstrap serve the control API on DIR/control.sock (package
//     control; --control=false disables it); run also runs the device's
//     authority service (node/authsvc) and mounts its methods; status,
//     authority and device are its clients (cmd_status.go,
//     cmd_authority.go, cmd_control.go). Refusals are explained on stderr
//     with exit 1 (not a member, bad request; a method a daemon does not
//     serve is "this daemon does not serve <method> yet"); no daemon is
//     "no daemon is running" with exit 1 (control_test.go
//     TestCLIAgainstDaemon, TestStatusNoDaemon);
//     every subcommand prints its --help once (TestHelpOnceEverySubcommand).
package main
