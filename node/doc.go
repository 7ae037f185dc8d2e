// Package node is the composition root of an Aura peer: it owns the data
// directory (identity, config file, datastore), builds the p2p.Host from
// them and runs the node's services.
//
// Usage:
//
//	id, err := node.Init(dir, node.DefaultFileConfig()) // once: `aura-p2p init`
//	n, err := node.Open(node.Config{DataDir: dir, Logger: log})
//	err = n.Run(ctx) // blocks until ctx ends, then closes everything
//
// Data directory layout (created by Init, mode 0700):
//
//	identity.key   libp2p Ed25519 host key, 0600 (p2p.LoadOrCreateIdentity)
//	config.json    FileConfig, 0600, unknown fields rejected
//	datastore/     go-ds-pebble with pebble.Sync (journal.OpenPebble)
//
// Scope: wiring and lifecycle only — no protocol logic. Later issues add
// journal sync, the flow sender and consensus as Services (Config.Services):
// each is built from Env once the host runs, started in order and closed
// in reverse order before the host.
//
// Layering (STYLE.md §1b): cmd/aura-p2p → node → services → flow → journal →
// p2p. node imports no Prometheus; cmd/aura-p2p binds Metrics.
//
// Invariants:
//   - Init never overwrites: any existing path is ErrDataDirExists, and a
//     bad FileConfig creates nothing (node_test.go TestInitRefusesExistingDir,
//     TestInitBadConfigCreatesNothing); modes are 0700/0600 (TestInitLayout).
//   - The peer ID is a pure function of identity.key: Inspect and Open
//     report the same ID every time (TestInitLayout).
//   - Every config-file problem is a *ConfigError matching ErrBadConfig and
//     naming file, field and value; parsing never panics
//     (fileconfig_test.go TestParseFileConfig, FuzzParseFileConfig).
//   - Close order is the reverse of start order: stats loop, services (last
//     first), host, datastore; a failed Start unwinds what it started; after
//     Run returns no goroutine of the node remains (node_test.go
//     TestRunLifecycle, TestStartFailureUnwinds).
//
// Goroutines: Start spawns one stats loop (refreshes Metrics every
// StatsInterval, logs join transitions), owned by the Node and stopped and
// awaited by Close. The p2p.Host and services own theirs.
package node
