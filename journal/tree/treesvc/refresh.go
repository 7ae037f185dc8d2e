package treesvc

import (
	"context"
	"errors"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/driver"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/internal/seal"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// refresh re-reduces a's namespace, opens new sealed secrets, hands them
// to the Syncer, brings the consensus driver to the reduced state and
// resolves decided instances. Serialised per authority.
func (s *Service) refresh(ctx context.Context, a *auth) error {
	a.refreshMu.Lock()
	defer a.refreshMu.Unlock()
	if s.isClosed() {
		return ErrClosed
	}
	ents, err := s.cfg.Journal.Store().Entries(ctx, a.ns)
	if err != nil {
		return err
	}
	res, err := s.reducer.Reduce(a.ns, ents)
	if err != nil {
		return err
	}
	s.cfg.Metrics.Refreshed()
	if !res.HasGenesis() {
		return nil
	}
	s.openSecrets(a, res, ents)
	s.mu.Lock()
	a.res = res
	s.mu.Unlock()
	if err := s.exportSecrets(ctx, a); err != nil {
		s.log.Warn("SetSecrets failed", "authority", a.aid.String(), "err", err)
	}
	if err := s.syncDriver(ctx, a, res.State); err != nil {
		return err
	}
	s.resolve(ctx, a, res)
	return nil
}

// openSecrets opens this device's SealedSecrets entries of the Genesis
// and of every applied commit carrying NewKey (each entry once).
func (s *Service) openSecrets(a *auth, res *tree.Result, ents []journal.Entry) {
	byID := make(map[journal.EntryID]*journal.Entry, len(ents))
	for i := range ents {
		byID[ents[i].ID] = &ents[i]
	}
	me := s.cfg.Device.pub()
	ids := append([]journal.EntryID{res.Genesis}, res.Applied...)
	leaf, haveLeaf := tree.LeafID(0), false
	for _, id := range ids {
		e := byID[id]
		if e == nil {
			continue
		}
		epoch, sealed, l, ok := sealedFor(e, me, leaf, haveLeaf)
		if l != nil {
			leaf, haveLeaf = *l, true
		}
		s.mu.Lock()
		done := a.opened[id]
		a.opened[id] = true
		s.mu.Unlock()
		if !ok || done {
			continue
		}
		secret, err := seal.Open(s.cfg.Device.DH, sealed)
		if err != nil {
			s.log.Warn("sealed secret does not open", "authority", a.aid.String(), "epoch", epoch, "err", err)
			continue
		}
		s.mu.Lock()
		a.secrets[epoch] = secret
		s.mu.Unlock()
	}
}

// sealedFor returns the key epoch and this device's sealed entry of a
// Genesis or commit entry, and this device's leaf id if the entry adds it.
func sealedFor(e *journal.Entry, me [32]byte, leaf tree.LeafID, haveLeaf bool) (uint64, []byte, *tree.LeafID, bool) {
	if g, ok := e.Body.(*journal.AuthorityGenesis); ok {
		if g.Leaf.DeviceKey != me {
			return 0, nil, nil, false
		}
		l := tree.LeafID(g.Leaf.ID)
		b, ok := g.KeyRotation.SealedSecrets[g.Leaf.ID]
		return g.KeyRotation.KeyEpoch, b, &l, ok
	}
	f, err := consensus.CommitFromFact(e.Fact)
	if err != nil {
		return 0, nil, nil, false
	}
	op, err := tree.DecodeTreeOp(f.Op)
	if err != nil {
		return 0, nil, nil, false
	}
	var added *tree.LeafID
	if op.Add != nil && op.Add.DeviceKey == me {
		id := op.Add.ID
		added, leaf, haveLeaf = &id, id, true
	}
	if op.NewKey == nil || !haveLeaf {
		return 0, nil, added, false
	}
	b, ok := op.NewKey.SealedSecrets[leaf]
	return op.NewKey.KeyEpoch, b, added, ok
}

// exportSecrets hands every known secret (oldest epoch first) to the
// Syncer when the list changed: grew, or a key epoch's secret was
// replaced (the chain walk switched to another op of the same key epoch).
// refreshMu held.
func (s *Service) exportSecrets(ctx context.Context, a *auth) error {
	if s.cfg.Syncer == nil {
		return nil
	}
	s.mu.Lock()
	all := sortedSecrets(a.secrets)
	s.mu.Unlock()
	sum := secretsDigest(all)
	if len(all) == 0 || sum == a.secretsSent {
		return nil
	}
	if err := s.cfg.Syncer.SetSecrets(ctx, a.ns, all); err != nil {
		return err
	}
	a.secretsSent = sum
	return nil
}

// secretsDigest identifies an exported secrets list (never logged).
func secretsDigest(all [][]byte) [32]byte {
	parts := make([][]byte, len(all))
	copy(parts, all)
	return canon.H("aura/treesvc-secrets/v1", parts...)
}

func sortedSecrets(m map[uint64][]byte) [][]byte {
	epochs := make([]uint64, 0, len(m))
	for e := range m {
		epochs = append(epochs, e)
	}
	slices.Sort(epochs)
	out := make([][]byte, len(epochs))
	for i, e := range epochs {
		out[i] = slices.Clone(m[e])
	}
	return out
}

// syncDriver runs a consensus driver iff this device is a leaf of st and
// M ≥ 2, with st's scope and the share stored for st.KeyEpoch.
func (s *Service) syncDriver(ctx context.Context, a *auth, st *tree.TreeState) error {
	if _, ok := st.LeafByDevice(s.self); !ok || st.Policy.M < 2 {
		s.closeDriver(a)
		return nil
	}
	if a.drv != nil && a.drvRoot == st.Root {
		return nil
	}
	keys := a.keys
	// Two ops at one parent may both carry key epoch k+1 and the chain
	// walk can switch from one to the other when a larger OpHash arrives:
	// the group key, not only the key epoch, selects the share.
	newEpoch := a.drv == nil || a.drvEpoch != st.KeyEpoch || a.drvKey != st.GroupKey
	if newEpoch {
		k, err := s.loadKeys(ctx, a.ns, st.KeyEpoch, st.GroupKey)
		if err != nil {
			// No share of the applied key (a crash between the DKG confirms
			// and the share's write, or a lost store): the device follows
			// the state without a driver — it still takes part in DKGs, so
			// the next NewKey gives it a share — instead of failing every
			// refresh and Start. Propose then reports ErrBelowThreshold.
			s.closeDriver(a)
			s.log.Warn("no share of the applied key: consensus driver stopped", "authority", a.aid.String(),
				"key_epoch", st.KeyEpoch, "err", err)
			return nil
		}
		keys = k
	}
	sc := tree.NewScope(a.aid, st)
	if a.drv != nil && newEpoch && s.cfg.FallbackTopic != "" {
		s.closeDriver(a) // the fallback key follows AuthoritySecret_k
	}
	if a.drv == nil {
		d, err := s.newDriver(ctx, a, sc, keys)
		if err != nil {
			return err
		}
		a.drv = d
	} else if err := a.drv.SetScope(ctx, sc, keys); err != nil {
		return err
	}
	a.drvRoot, a.drvEpoch, a.drvKey, a.keys = st.Root, st.KeyEpoch, st.GroupKey, keys
	return nil
}

// loadKeys opens this device's share of the applied key groupKey at
// (ns, keyEpoch) (shares.go: never another DKG's share of that epoch).
func (s *Service) loadKeys(ctx context.Context, ns journal.Namespace, keyEpoch uint64, groupKey [32]byte) (consensus.Keys, error) {
	sh, err := s.loadShare(ctx, ns, keyEpoch, groupKey)
	if err != nil {
		return consensus.Keys{}, err
	}
	com, err := sh.Committee()
	if err != nil {
		return consensus.Keys{}, err
	}
	sg, err := sh.Signer()
	if err != nil {
		return consensus.Keys{}, err
	}
	return consensus.Keys{Frost: com, Signer: sg}, nil
}

func (s *Service) newDriver(ctx context.Context, a *auth, sc *tree.Scope, keys consensus.Keys) (*driver.Service, error) {
	cfg := driver.Config{
		Core: consensus.Config{Self: consensus.WitnessID(s.self), VoteKey: s.cfg.Device.Key, Scope: sc, Keys: keys,
			InitialDelta: s.cfg.InitialDelta},
		Authority: a.aid, Sender: s.cfg.Sender, Journal: s.cfg.Journal, Datastore: s.cfg.Datastore,
		Peers: &witnessPeers{s: s, a: a}, TickInterval: s.cfg.DriverTick, Logger: s.log,
		OnOutcome: func(o consensus.Outcome) { s.onOutcome(a, o) },
		Metrics:   s.cfg.DriverMetrics,
	}
	if s.cfg.FallbackTopic != "" {
		s.mu.Lock()
		secret := a.secrets[sc.State().KeyEpoch]
		s.mu.Unlock()
		if secret != nil {
			k, err := driver.FallbackKeyOf(secret)
			if err != nil {
				return nil, err
			}
			cfg.FallbackTopic, cfg.FallbackKey = s.cfg.FallbackTopic, k
		}
	}
	d, err := driver.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := d.Start(); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// closeDriver stops a's driver (refreshMu held).
func (s *Service) closeDriver(a *auth) {
	if a.drv == nil {
		return
	}
	_ = a.drv.Close()
	a.drv, a.drvRoot, a.drvEpoch, a.drvKey, a.keys = nil, [32]byte{}, 0, [32]byte{}, consensus.Keys{}
}

// onOutcome runs on a driver goroutine: note committed instances and
// queue a re-reduction.
func (s *Service) onOutcome(a *auth, o consensus.Outcome) {
	if o.Kind != consensus.Committed {
		return
	}
	s.mu.Lock()
	a.committed[o.CID] = struct{}{}
	s.mu.Unlock()
	s.markDirty(a.aid)
}

// resolve reports Applied / Superseded for committed instances the chain
// walk has placed (SPEC §5.10). refreshMu held.
func (s *Service) resolve(ctx context.Context, a *auth, res *tree.Result) {
	s.mu.Lock()
	var done [][32]byte
	var applied []bool
	for cid := range a.committed {
		switch res.Outcome(cid) {
		case tree.StatusApplied:
			done, applied = append(done, cid), append(applied, true)
		case tree.StatusSuperseded, tree.StatusInvalid:
			done, applied = append(done, cid), append(applied, false)
		}
	}
	for _, cid := range done {
		delete(a.committed, cid)
	}
	s.mu.Unlock()
	if a.drv == nil {
		return
	}
	for i, cid := range done {
		if err := a.drv.Resolve(ctx, cid, applied[i]); err != nil && !errors.Is(err, driver.ErrClosed) {
			s.log.Debug("resolve failed", "err", err)
		}
	}
}

// peerOf resolves a device of authority aid to its peer (this device:
// Self).
func (s *Service) peerOf(aid journal.AuthorityID, d journal.DeviceID) (peer.ID, bool) {
	if d == s.self {
		return s.cfg.Self, true
	}
	return s.cfg.Peers.PeerOf(aid, d)
}

// witnessPeers adapts Peers to driver.Peers over a's current leaves.
type witnessPeers struct {
	s *Service
	a *auth
}

func (w *witnessPeers) PeerOf(x consensus.WitnessID) (peer.ID, bool) {
	return w.s.peerOf(w.a.aid, journal.DeviceID(x))
}

func (w *witnessPeers) WitnessOf(p peer.ID) (consensus.WitnessID, bool) {
	w.s.mu.Lock()
	st := w.a.state()
	w.s.mu.Unlock()
	if st == nil {
		return consensus.WitnessID{}, false
	}
	for _, l := range st.Leaves {
		if q, ok := w.s.peerOf(w.a.aid, l.Device); ok && q == p {
			return consensus.WitnessID(l.Device), true
		}
	}
	return consensus.WitnessID{}, false
}
