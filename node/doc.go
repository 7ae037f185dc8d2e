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
//	device.key     32-byte device seed, 0600 (LoadOrCreateDevice): DeviceKey =
//	               ed25519.NewKeyFromSeed(seed), DH = X25519 from
//	               HKDF-SHA256(seed, "aura/device-dh/v1") (SPEC §1); created by
//	               Init, or by Open for data dirs made before it existed
//	config.json    FileConfig, 0600, unknown fields rejected
//	datastore/     go-ds-pebble with pebble.Sync (journal.OpenPebble)
//
// Scope: wiring and lifecycle only — no protocol logic. Open opens the
// datastore, the node's one journal over it (journal.Open) and the
// journal-backed guard state (flow/jstate, keys from Config.Keyring);
// Start builds the host, then the node's one guarded sender
// (flow.New(host, datastore, state, Config.Flow)) and, with a Keyring,
// the lazy FlowCharge signer (jstate.ChargeSigner), then the Services
// (Config.Services: consensus, control, ...): each is built from Env,
// started in order and closed in reverse order before the host. With a
// Keyring the node itself starts the anti-entropy service first
// (node/sync.go, journal/sync over Env.Sender): it serves every context
// namespace the journal is a member of whose K_root is in
// Config.StaticContexts (Open joins those), signs boxes with the
// Keyring's member key, and calls Env.Charges.AtSnapshot at each snapshot;
// Config.Sync tunes or disables it, Node.Sync returns it.
//
// The guarded send path (SPEC §6.4, §15): node is the only holder of both
// the p2p.Transport (the *p2p.Host) and the datastore. Services get
// Env.Sender — every write they make is charged before it leaves — and
// Env.Host, a HostInfo wrapper that cannot open streams or publish (its
// only writes are peerstore addresses, AddAddrs) and from which no type
// assertion recovers the Transport. Env.Device holds the device keys;
// Env.Sync is the node's sync service when it runs (services join their
// namespaces there instead of registering a second /aura/sync handler). The
// authority sync calls Env.Charges.AtSnapshot when it snapshots E.
//
// Layering (STYLE.md §1b): cmd/aura-p2p → node → services → flow → journal →
// p2p. node imports no Prometheus; cmd/aura-p2p binds Metrics.
//
// Invariants:
//   - device.key is created 0600 with 32 bytes, the device is a pure
//     function of it, Open creates a missing one, and a missing, exposed,
//     short, long or non-regular file is ErrDeviceKeyMissing /
//     ErrDeviceKeyPermissions / ErrDeviceKeyCorrupt, never replaced
//     (device_test.go TestDeviceKeyLifecycle, TestDeviceFromSeed,
//     TestDeviceKeyRefused); concurrent creators (init and run at once)
//     all get the one seed on disk: it is hard-linked into place, never
//     renamed over another's (TestDeviceKeyCreateRace).
//   - Init never overwrites: any existing path is ErrDataDirExists, and a
//     bad FileConfig creates nothing (node_test.go TestInitRefusesExistingDir,
//     TestInitBadConfigCreatesNothing); modes are 0700/0600 (TestInitLayout).
//   - The peer ID is a pure function of identity.key: Inspect and Open
//     report the same ID every time (TestInitLayout).
//   - Every config-file problem is a *ConfigError matching ErrBadConfig and
//     naming file, field and value; parsing never panics
//     (fileconfig_test.go TestParseFileConfig, FuzzParseFileConfig).
//   - Services get the node's one Sender, journal and state, and no Env
//     field is (or wraps as its dynamic type) a p2p.Transport
//     (sender_test.go TestEnvHasSenderNotTransport); without a Keyring the
//     Sender still serves per-device budgets and no FlowCharge is signed
//     (TestNoKeyringSender); two nodes exchange a guarded envelope over
//     libp2p with limits, keys and peer resolution from their journals
//     (TestGuardedSendBetweenNodes); the node's own sync service moves a
//     written fact to a peer over libp2p and charges its frames toward the
//     peer's authority (sync_test.go TestNodeSyncService).
//   - Config.JournalMetrics, StateMetrics, Flow.Metrics and
//     Sync.Service.Metrics reach the journal, jstate, the flow Sender and
//     the sync service (a default Sync.Service keeps its Metrics); nil is
//     a no-op (sync_test.go TestNodeSyncService).
//   - Close order is the reverse of start order: stats loop, services (last
//     first), host, datastore; a failed Start unwinds what it started; after
//     Run returns no goroutine of the node remains (node_test.go
//     TestRunLifecycle, TestStartFailureUnwinds).
//
// Goroutines: Start spawns one stats loop (refreshes Metrics every
// StatsInterval, logs join transitions), owned by the Node and stopped and
// awaited by Close. The p2p.Host and services own theirs.
package node
