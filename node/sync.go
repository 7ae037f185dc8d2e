package node

import (
	"context"
	"fmt"

	"github.com/aura-p2p/aura-p2p/journal"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
)

// StaticContext is a static context this node's authority founded (SPEC
// §7.1 step 4′): its id and K_root. Open joins its namespace; the sync
// service serves it with S = HKDF(K_0, "aura/sync/v1") (key epoch 0
// forever).
type StaticContext struct {
	ID    journal.ContextID
	KRoot [32]byte
}

// SyncConfig configures the node's anti-entropy service (SPEC §9).
type SyncConfig struct {
	// Disabled turns the service off.
	Disabled bool
	// Service is the service config; a zero SyncInterval means
	// jsync.DefaultServiceConfig() (keeping Metrics, Registry and
	// OnStored). Liveness, Reporter, Charges and a nil Logger are filled
	// from the node.
	Service jsync.ServiceConfig
}

// serviceConfig is Service, or the defaults if its SyncInterval is zero,
// keeping Metrics, Registry and OnStored.
func (c SyncConfig) serviceConfig() jsync.ServiceConfig {
	sc := c.Service
	if sc.SyncInterval == 0 {
		m, reg, stored := sc.Metrics, sc.Registry, sc.OnStored
		sc = jsync.DefaultServiceConfig()
		sc.Metrics, sc.Registry, sc.OnStored = m, reg, stored
	}
	return sc
}

// syncEnabled: the service runs with a Keyring (its member key signs the
// boxes) unless disabled.
func (n *Node) syncEnabled() bool { return !n.cfg.Sync.Disabled && n.cfg.Keyring != nil }

// syncService is the journal/sync Service as a node Service: built at
// Start over Env.Sender (never the Transport), serving every context
// namespace the journal is a member of whose K_root Config.StaticContexts
// holds.
type syncService struct {
	env  Env
	cfg  SyncConfig
	keys []jsync.NamespaceKeys
	svc  *jsync.Service
}

// newSyncService is the ServiceFunc of the node's sync service.
func (n *Node) newSyncService(env Env) (Service, error) {
	roots := map[journal.ContextID][32]byte{}
	for _, sc := range n.cfg.StaticContexts {
		roots[sc.ID] = sc.KRoot
	}
	kr := n.cfg.Keyring
	signer := jsync.Ed25519Signer{ID: kr.Authority, Key: kr.MemberKey}
	var keys []jsync.NamespaceKeys
	for _, ns := range env.Journal.Members() {
		root, ok := roots[journal.ContextID(ns.ID)]
		if ns.Kind != journal.KindContext || !ok {
			// Authority namespaces are not synced: the Keyring models a
			// single-device authority (no other device to sync with).
			continue
		}
		keys = append(keys, jsync.NamespaceKeys{NS: ns, Secrets: []jsync.Secret{jsync.StaticContextSecret(root)},
			Signer: signer})
	}
	return &syncService{env: env, cfg: n.cfg.Sync, keys: keys}, nil
}

// Start implements Service.
func (s *syncService) Start(context.Context) error {
	c := s.cfg.serviceConfig()
	if c.Logger == nil {
		c.Logger = s.env.Logger.With("component", "sync")
	}
	c.Liveness, c.Reporter = s.env.Host, s.env.Host
	if s.env.Charges != nil {
		c.Charges = s.env.Charges
	}
	svc, err := jsync.NewService(s.env.Sender, s.env.Journal, c, s.keys...)
	if err != nil {
		return fmt.Errorf("node: sync: %w", err)
	}
	s.svc = svc
	return nil
}

// Close implements Service.
func (s *syncService) Close() error {
	if s.svc == nil {
		return nil
	}
	return s.svc.Close()
}

// Sync is the running anti-entropy service (nil before Start, after Close
// or when disabled): Write adds local facts and pushes them at once.
func (n *Node) Sync() *jsync.Service {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range n.services {
		if ss, ok := s.(*syncService); ok {
			return ss.svc
		}
	}
	return nil
}
