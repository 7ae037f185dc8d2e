package authsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/journal"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
	"github.com/aura-p2p/aura-p2p/journal/tree"
	"github.com/aura-p2p/aura-p2p/node"
)

// errNoSync: a namespace's secrets are not installed yet (no session can
// run; the ceremony retries after SetSecrets).
var errNoSync = errors.New("authsvc: authority namespace not synced yet")

// refresher is what the syncer tells about stored facts (the tree
// service).
type refresher interface {
	Refresh(ctx context.Context, ns journal.Namespace) error
}

// nodeSyncer is the tree service's Syncer over journal/sync (SPEC §9 for
// authority namespaces): it owns one jsync.Service over the node's
// guarded Sender and journal serving the authority namespaces whose
// secrets the tree service installed, signing boxes as this device
// (Author = DeviceId, key = DeviceKey), reducing with the tree reducer;
// sessions that store facts make the tree service re-reduce.
//
// The node's own sync service runs only with a jstate Keyring (static
// contexts); nodes of `aura-p2p run` and the devnet have none, so the
// authority service runs the authority namespaces' anti-entropy itself.
type nodeSyncer struct {
	env node.Env
	log *slog.Logger
	cfg jsync.ServiceConfig
	// metrics observes the sync service started here (nil ⇒ its default).
	metrics jsync.Metrics

	mu     sync.Mutex
	svc    *jsync.Service
	own    bool // svc was started here (else it is the node's)
	tree   refresher
	served map[journal.Namespace]bool
	dirty  map[journal.Namespace]bool
	// trusted is, while this device joins ns, its inviter (it may send
	// device peer hints about ns).
	trusted map[journal.Namespace]jsync.TrustedDevice
	kick    chan struct{}
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

func newNodeSyncer(env node.Env, log *slog.Logger) *nodeSyncer {
	return &nodeSyncer{env: env, log: log.With("sub", "sync"), served: map[journal.Namespace]bool{},
		trusted: map[journal.Namespace]jsync.TrustedDevice{},
		dirty:   map[journal.Namespace]bool{}, kick: make(chan struct{}, 1)}
}

// Registry is the journal registry authority namespaces are reduced
// with (tree chain walk; SPEC §4): a node with a Keyring, whose own sync
// service the authority service then shares (node.Env.Sync), sets it as
// Config.Sync.Service.Registry, with Authority.OnStored as OnStored.
func Registry() *journal.Registry {
	return journal.NewRegistry(tree.JournalReducer{R: tree.NewReducer(tree.Config{})}, journal.ContextReducer{})
}

// attach starts the authority namespaces' sync service (or adopts the
// node's, node.Env.Sync); stored facts refresh t.
func (y *nodeSyncer) attach(t refresher) error {
	svc, own := y.env.Sync, false
	if svc == nil {
		c := jsync.DefaultServiceConfig()
		c.Logger = y.log
		c.Liveness, c.Reporter = y.env.Host, y.env.Host
		c.Registry = Registry()
		if y.metrics != nil {
			c.Metrics = y.metrics
		}
		c.OnStored = y.onStored
		var err error
		if svc, err = jsync.NewService(y.env.Sender, y.env.Journal, c); err != nil {
			return err
		}
		own = true
	}
	ctx, stop := context.WithCancel(context.Background())
	y.mu.Lock()
	y.svc, y.own, y.tree, y.stop = svc, own, t, stop
	y.mu.Unlock()
	y.wg.Add(1)
	go y.refreshLoop(ctx)
	return nil
}

// detach stops the refresh loop and the sync service if it owns it.
func (y *nodeSyncer) detach() error {
	y.mu.Lock()
	svc, own, stop := y.svc, y.own, y.stop
	y.svc, y.stop = nil, nil
	y.mu.Unlock()
	if stop != nil {
		stop()
	}
	y.wg.Wait()
	if svc == nil || !own {
		return nil
	}
	return svc.Close()
}

func (y *nodeSyncer) service() *jsync.Service {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.svc
}

// onStored runs on the sync service's goroutines: it only marks ns and
// kicks the refresh loop (the tree service may call back into sync).
func (y *nodeSyncer) onStored(ns journal.Namespace, n int) {
	if ns.Kind != journal.KindAuthority || n <= 0 {
		return
	}
	y.mu.Lock()
	y.dirty[ns] = true
	y.mu.Unlock()
	select {
	case y.kick <- struct{}{}:
	default:
	}
}

func (y *nodeSyncer) refreshLoop(ctx context.Context) {
	defer y.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-y.kick:
		}
		y.mu.Lock()
		dirty := y.dirty
		y.dirty = map[journal.Namespace]bool{}
		t := y.tree
		y.mu.Unlock()
		for ns := range dirty {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			if err := t.Refresh(rctx, ns); err != nil && ctx.Err() == nil {
				y.log.Debug("refresh after sync failed", "ns", ns, "err", err)
			}
			cancel()
		}
	}
}

// SetSecrets implements treesvc.Syncer: serve ns with S_k =
// HKDF(AuthoritySecret_k, "aura/sync/v1") for every key epoch held
// (the newest last).
func (y *nodeSyncer) SetSecrets(ctx context.Context, ns journal.Namespace, secrets [][]byte) error {
	svc := y.service()
	if svc == nil {
		return fmt.Errorf("%w: sync service not running", errNoSync)
	}
	if len(secrets) == 0 {
		return fmt.Errorf("%w: no secret", errNoSync)
	}
	var all [][32]byte
	for _, s := range secrets {
		if len(s) != 32 {
			return fmt.Errorf("authsvc: authority secret of %d bytes", len(s))
		}
		all = append(all, [32]byte(s))
	}
	k := jsync.AuthorityKeys(ns, all, y.env.Device.ID, y.env.Device.Key)
	y.env.Journal.Join(ns)
	if err := svc.Join(ctx, k); err != nil {
		y.log.Debug("sync keys not installed", "ns", ns, "err", err)
		return err
	}
	y.mu.Lock()
	y.served[ns] = true
	y.mu.Unlock()
	return nil
}

// trust accepts t as a responder of ns and a peer to sync with before
// the reduced state lists it (a joiner's inviter, SPEC §4.1 step 2):
// jsync.Service.Trust, which keeps it until ns reduces to a Genesis; the
// local record (until untrust) also admits t's device peer hints.
//
// The record is made only once the sync service trusts t: a failed
// trust fails the join, which then never untrusts.
func (y *nodeSyncer) trust(ctx context.Context, ns journal.Namespace, t jsync.TrustedDevice) error {
	svc := y.service()
	if svc == nil {
		return fmt.Errorf("%w: sync service not running", errNoSync)
	}
	if err := svc.Trust(ctx, ns, t); err != nil {
		return err
	}
	y.mu.Lock()
	y.trusted[ns] = t
	y.mu.Unlock()
	return nil
}

// Trust implements treesvc.Truster (the tree service's Join may call it
// with the same inviter).
func (y *nodeSyncer) Trust(ctx context.Context, ns journal.Namespace, d journal.DeviceID, key [32]byte, p peer.ID) error {
	return y.trust(ctx, ns, jsync.TrustedDevice{Device: d, DeviceKey: key, Peer: p})
}

func (y *nodeSyncer) trustedOf(ns journal.Namespace) (jsync.TrustedDevice, bool) {
	y.mu.Lock()
	defer y.mu.Unlock()
	t, ok := y.trusted[ns]
	return t, ok
}

func (y *nodeSyncer) untrust(ns journal.Namespace) {
	y.mu.Lock()
	defer y.mu.Unlock()
	delete(y.trusted, ns)
}

// Pull implements treesvc.Syncer: one initiator session of ns with from.
func (y *nodeSyncer) Pull(ctx context.Context, ns journal.Namespace, from peer.ID) error {
	svc := y.service()
	if svc == nil {
		return fmt.Errorf("%w: sync service not running", errNoSync)
	}
	return svc.SyncNow(ctx, ns, from)
}

// write adds local facts of ns and pushes them to the other devices when
// ns is served (else it only stores them: the first session carries
// them).
func (y *nodeSyncer) write(ctx context.Context, ns journal.Namespace, raws ...[]byte) error {
	y.mu.Lock()
	svc, served := y.svc, y.served[ns]
	y.mu.Unlock()
	if svc != nil && served {
		_, err := svc.Write(ctx, ns, raws...)
		return err
	}
	y.env.Journal.Join(ns)
	_, err := y.env.Journal.Add(ctx, ns, time.Now(), raws...)
	return err
}
