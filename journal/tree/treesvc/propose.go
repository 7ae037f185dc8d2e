package treesvc

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"filippo.io/edwards25519"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/driver"
	"github.com/aura-p2p/aura-p2p/internal/seal"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// settlePullTimeout bounds each settle pull.
const settlePullTimeout = 2 * time.Second

// Propose runs the ceremony of SPEC §4.1 step 3 for change c at the
// current state of aid: DKG among the resulting members (ops with a new
// key), consensus in the current committee (or an Ed25519 commit at
// M = 1), the Commit stored, the namespace re-reduced. A superseded op
// (another op won at its parent) is rebuilt on the new root and proposed
// again, at most Config.MaxReproposals times (SPEC §5.10); then, or when
// the change no longer applies, ErrSuperseded.
func (s *Service) Propose(ctx context.Context, aid journal.AuthorityID, c Change) (Report, error) {
	a, err := s.get(aid)
	if err != nil {
		return Report{}, err
	}
	a.propMu.Lock()
	defer a.propMu.Unlock()
	t0 := s.cfg.Now()
	offline := 0
	for attempt := 0; ; attempt++ {
		rep, applied, err := s.attempt(ctx, a, c, attempt > 0)
		if errors.Is(err, ErrDeviceOffline) && offline < s.cfg.OfflineRetries {
			offline++
			s.log.Info("DKG member offline, retrying", "authority", aid.String(), "retry", offline, "err", err)
			if werr := s.wait(ctx, offlineBackoff(offline)); werr != nil {
				return Report{}, werr
			}
			attempt--
			continue
		}
		if err != nil {
			s.cfg.Metrics.Failed(reasonOf(err))
			return Report{}, err
		}
		if applied {
			rep.Total = s.cfg.Now().Sub(t0)
			s.cfg.Metrics.Committed(rep.Path, rep.DKG, rep.Consensus)
			return rep, nil
		}
		if attempt >= s.cfg.MaxReproposals {
			s.cfg.Metrics.Failed("superseded")
			return Report{}, fmt.Errorf("%w: after %d re-proposals", ErrSuperseded, attempt)
		}
		s.cfg.Metrics.Reproposed()
		s.log.Info("op superseded, re-proposing on the new root", "authority", aid.String(), "attempt", attempt+1)
	}
}

// offlineBackoff is 500 ms·2ⁿ⁻¹, at most 30 s (SPEC §10 backoff).
func offlineBackoff(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < n && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

// wait sleeps d unless ctx or the service ends first.
func (s *Service) wait(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
}

func reasonOf(err error) string {
	switch {
	case errors.Is(err, ErrDeviceOffline):
		return "offline"
	case errors.Is(err, ErrSuperseded):
		return "superseded"
	case errors.Is(err, ErrBelowThreshold):
		return "below_threshold"
	case errors.Is(err, ErrBadChange):
		return "bad_change"
	}
	return "other"
}

// attempt runs one ceremony at the current state; applied=false means
// our commit (or our instance) lost to another op at the same parent.
func (s *Service) attempt(ctx context.Context, a *auth, c Change, retry bool) (Report, bool, error) {
	if err := s.refresh(ctx, a); err != nil {
		return Report{}, false, err
	}
	s.mu.Lock()
	st := a.state()
	s.mu.Unlock()
	if st == nil {
		return Report{}, false, ErrUnknownAuthority
	}
	if !isLeaf(st, s.self) {
		return Report{}, false, ErrNotMember
	}
	op, leaves, pol, err := buildOp(st, c)
	if err != nil {
		if retry {
			return Report{}, false, fmt.Errorf("%w: %w", ErrSuperseded, err)
		}
		return Report{}, false, err
	}
	rep := Report{Authority: a.aid}
	if op.Kind != tree.RotateEpoch || c.NewKey {
		t1 := s.cfg.Now()
		if err := s.newKey(ctx, a, st, op, leaves, pol, c.Add); err != nil {
			return Report{}, false, err
		}
		rep.DKG = s.cfg.Now().Sub(t1)
		if op.Add != nil {
			rep.Sealed = slices.Clone(op.NewKey.SealedSecrets[op.Add.ID])
		}
	}
	t2 := s.cfg.Now()
	cf, err := s.commit(ctx, a, st, op)
	if err != nil {
		if !s.moved(ctx, a, st) {
			return Report{}, false, err
		}
		// The state moved on under us: superseded, unless what applied
		// at st is our op itself (committed under another cid, or our
		// commit reached the journal although the driver call failed).
		id, ok := s.appliedOp(a, st, op)
		if !ok {
			return Report{}, false, nil
		}
		cf = consensus.CommitFact{CID: id} // its path is not known here: "unknown"
	}
	rep.Consensus = s.cfg.Now().Sub(t2)
	rep.CID = cf.CID
	rep.Path = "single"
	if st.Policy.M > 1 {
		rep.Path = pathName(cf.Path)
	}
	if err := s.refresh(ctx, a); err != nil {
		return Report{}, false, err
	}
	if !s.ours(a, st, op, &rep) {
		return Report{}, false, nil
	}
	if err := s.settle(ctx, a); err != nil {
		return Report{}, false, err
	}
	if !s.ours(a, st, op, &rep) {
		return Report{}, false, nil
	}
	post, err := tree.Execute(a.aid, st, op) // our op's state (others may follow it already)
	if err != nil {
		return Report{}, false, err
	}
	rep.Epoch, rep.KeyEpoch, rep.Root = post.Epoch, post.KeyEpoch, post.Root
	return rep, true, nil
}

// ours reports whether the op applied at st is op — under rep.CID or,
// when the same op was committed twice (SPEC §16.36: same OpHash, the
// smaller cid applies), under the other cid, which rep then names.
func (s *Service) ours(a *auth, st *tree.TreeState, op *tree.TreeOp, rep *Report) bool {
	if s.outcome(a, rep.CID) == tree.StatusApplied {
		return true
	}
	id, ok := s.appliedOp(a, st, op)
	if ok {
		rep.CID = id
	}
	return ok
}

// appliedOp returns the cid of the applied commit at st's epoch whose
// OpHash is op's (OpHash binds ParentRoot, so it is a child of st).
func (s *Service) appliedOp(a *auth, st *tree.TreeState, op *tree.TreeOp) ([32]byte, bool) {
	oh := op.OpHash()
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.res == nil {
		return [32]byte{}, false
	}
	for _, c := range a.res.Commits {
		if c.Status == tree.StatusApplied && c.ParentEpoch == st.Epoch && c.OpHash == oh {
			return c.CID, true
		}
	}
	return [32]byte{}, false
}

func (s *Service) outcome(a *auth, cid [32]byte) tree.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return a.res.Outcome(cid)
}

// settle waits Config.Settle, pulls a's namespace from every other
// current member (best effort) and re-reduces, so a concurrent commit at
// our parent is seen before Propose reports Applied.
func (s *Service) settle(ctx context.Context, a *auth) error {
	if s.cfg.Settle < 0 {
		return nil
	}
	if err := s.wait(ctx, s.cfg.Settle); err != nil {
		return err
	}
	if s.cfg.Syncer != nil {
		s.mu.Lock()
		st := a.state()
		s.mu.Unlock()
		for _, l := range st.Leaves {
			if l.Device == s.self {
				continue
			}
			if p, ok := s.peerOf(a.aid, l.Device); ok {
				pctx, cancel := context.WithTimeout(ctx, settlePullTimeout)
				if err := s.cfg.Syncer.Pull(pctx, a.ns, p); err != nil {
					s.log.Debug("settle pull failed", "err", err)
				}
				cancel()
			}
		}
	}
	return s.refresh(ctx, a)
}

// moved re-reduces and reports whether the state is no longer st.
func (s *Service) moved(ctx context.Context, a *auth, st *tree.TreeState) bool {
	if err := s.refresh(ctx, a); err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := a.state()
	return cur != nil && cur.Root != st.Root
}

// buildOp turns c into an op at st (without NewKey) and plans the
// resulting leaves and policy; a change whose Commit could not fit is
// refused here, before the DKG (tree.ErrOpTooLarge).
func buildOp(st *tree.TreeState, c Change) (*tree.TreeOp, []tree.Leaf, tree.Policy, error) {
	op := &tree.TreeOp{ParentEpoch: st.Epoch, ParentRoot: st.Root, Version: tree.OpVersion, Kind: c.Kind, Reason: c.Reason}
	n := len(st.Leaves)
	switch c.Kind {
	case tree.AddLeaf:
		if c.Add == nil {
			return nil, nil, tree.Policy{}, fmt.Errorf("%w: AddLeaf without candidate", ErrBadChange)
		}
		if err := checkCandidate(c.Add); err != nil {
			return nil, nil, tree.Policy{}, err
		}
		op.Add = &tree.Leaf{ID: tree.LeafID(st.NextLeafId), Device: tree.DeviceIDOf(c.Add.DeviceKey),
			Role: tree.RoleDevice, DeviceKey: c.Add.DeviceKey, DHKey: c.Add.DHKey}
		n++
	case tree.RemoveLeaf:
		ids, err := leafIDs(st, c.Remove)
		if err != nil {
			return nil, nil, tree.Policy{}, err
		}
		op.Remove = ids
		n -= len(ids)
	case tree.ChangePolicy:
		op.NewPolicy = &tree.Policy{M: c.Threshold, N: uint16(n)}
	case tree.RotateEpoch:
	default:
		return nil, nil, tree.Policy{}, fmt.Errorf("%w: kind %d", ErrBadChange, c.Kind)
	}
	if c.Kind == tree.AddLeaf || c.Kind == tree.RemoveLeaf {
		if p, ok := policyFor(st.Policy.M, c.Threshold, n); ok && p != (tree.Policy{M: st.Policy.M, N: uint16(n)}) {
			op.NewPolicy = &p
		}
	}
	leaves, pol, err := tree.Plan(st, op)
	if err != nil {
		return nil, nil, tree.Policy{}, fmt.Errorf("%w: %w", ErrBadChange, err)
	}
	if err := checkSize(st, op, c, leaves, pol); err != nil {
		return nil, nil, tree.Policy{}, err
	}
	return op, leaves, pol, nil
}

// checkSize refuses, before any DKG, an op whose Commit would not fit
// journal.MaxFactSize or the consensus frame cap (SPEC §10): its NewKey
// for the resulting N members at threshold M, decided by the current
// committee's M signers. RotateEpoch without a new key carries no
// rotation and always fits.
func checkSize(st *tree.TreeState, op *tree.TreeOp, c Change, leaves []tree.Leaf, pol tree.Policy) error {
	if op.Kind == tree.RotateEpoch && !c.NewKey {
		return nil
	}
	if err := tree.CheckCommitSize(op, len(leaves), int(pol.M), int(st.Policy.M)); err != nil {
		return fmt.Errorf("%w: %w", ErrBadChange, err)
	}
	return nil
}

// checkCandidate refuses joiner-controlled keys that would stall or
// weaken the ceremony: a DeviceKey that is not an Ed25519 point (its DKG
// messages never verify: the DKG would time out) or is of small order
// (anyone can forge its signatures), and a low-order X25519 DHKey (no
// secret can be sealed to it).
func checkCandidate(c *Candidate) error {
	p, err := new(edwards25519.Point).SetBytes(c.DeviceKey[:])
	if err != nil {
		return fmt.Errorf("%w: candidate DeviceKey is not an Ed25519 point", ErrBadChange)
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return fmt.Errorf("%w: candidate DeviceKey has small order", ErrBadChange)
	}
	pub, err := ecdh.X25519().NewPublicKey(c.DHKey[:])
	if err == nil {
		_, err = probeKey.ECDH(pub)
	}
	if err != nil {
		return fmt.Errorf("%w: candidate DHKey is a low-order X25519 key", ErrBadChange)
	}
	return nil
}

// probeKey detects low-order X25519 public keys (ECDH yields the
// all-zero secret, which crypto/ecdh refuses, for every private key).
var probeKey = func() *ecdh.PrivateKey {
	k, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		panic(err)
	}
	return k
}()

// policyFor is the policy of an Add/Remove leaving n leaves: threshold if
// given, else M kept where valid (N = 1 ⇒ {1,1}; M = 1 ⇒ 2; M > N ⇒ N).
func policyFor(m, threshold uint16, n int) (tree.Policy, bool) {
	if n < 1 {
		return tree.Policy{}, false
	}
	if threshold != 0 {
		return tree.Policy{M: threshold, N: uint16(n)}, true
	}
	switch {
	case n == 1:
		m = 1
	case m < 2:
		m = 2
	case int(m) > n:
		m = uint16(n)
	}
	return tree.Policy{M: m, N: uint16(n)}, true
}

// leafIDs maps devices to their leaf ids (ascending, a set).
func leafIDs(st *tree.TreeState, ds []journal.DeviceID) ([]tree.LeafID, error) {
	if len(ds) == 0 {
		return nil, fmt.Errorf("%w: RemoveLeaf without devices", ErrBadChange)
	}
	var ids []tree.LeafID
	for _, d := range ds {
		l, ok := st.LeafByDevice(d)
		if !ok {
			return nil, fmt.Errorf("%w: device %s is not a leaf", ErrBadChange, d)
		}
		ids = append(ids, l.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// newKey draws AuthoritySecret_{k+1}, seals it per resulting leaf and
// builds op.NewKey: the single-device form for {1,1}, else from a DKG.
func (s *Service) newKey(ctx context.Context, a *auth, st *tree.TreeState, op *tree.TreeOp, leaves []tree.Leaf, pol tree.Policy, add *Candidate) error {
	secret := make([]byte, 32)
	if _, err := s.cfg.Rand.Read(secret); err != nil {
		return err
	}
	k := &tree.KeyRotation{KeyEpoch: st.KeyEpoch + 1, FrostIDs: map[tree.LeafID]uint16{},
		SealedSecrets: map[tree.LeafID][]byte{}}
	for _, l := range leaves {
		k.FrostIDs[l.ID] = l.FrostID
		b, err := seal.Seal(s.cfg.Rand, l.DHKey, secret)
		if err != nil {
			return fmt.Errorf("%w: seal to leaf %d: %w", ErrBadChange, l.ID, err)
		}
		k.SealedSecrets[l.ID] = b
	}
	if pol == (tree.Policy{M: 1, N: 1}) {
		if leaves[0].Device != s.self {
			return fmt.Errorf("%w: the proposer must be a resulting member", ErrBadChange)
		}
		k.GroupKey, k.VerShares = leaves[0].DeviceKey, map[uint16][32]byte{1: leaves[0].DeviceKey}
	} else if err := s.runDKG(ctx, a, st, leaves, pol.M, add, k); err != nil {
		return err
	}
	op.NewKey = k
	if op.Add != nil {
		op.Add.FrostID = k.FrostIDs[op.Add.ID]
	}
	return nil
}

// commit decides op at st: consensus in the current committee, or for
// M = 1 an Ed25519-signed CommitFact stored directly.
func (s *Service) commit(ctx context.Context, a *auth, st *tree.TreeState, op *tree.TreeOp) (consensus.CommitFact, error) {
	if st.Policy.M == 1 {
		return s.commitSingle(ctx, a, st, op)
	}
	a.refreshMu.Lock()
	d := a.drv
	a.refreshMu.Unlock()
	if d == nil {
		return consensus.CommitFact{}, fmt.Errorf("%w: no consensus driver (share missing?)", ErrBelowThreshold)
	}
	cf, err := d.Propose(ctx, op.Canonical())
	switch {
	case err == nil:
		return cf, nil
	case errors.Is(err, consensus.ErrConsensusTimeout), errors.Is(err, consensus.ErrInsufficientWitnesses):
		return cf, fmt.Errorf("%w: %w", ErrBelowThreshold, err)
	case errors.Is(err, consensus.ErrInvalidOp):
		return cf, fmt.Errorf("%w: %w", ErrBadChange, err)
	case errors.Is(err, driver.ErrClosed):
		return cf, fmt.Errorf("%w: driver replaced: %w", ErrSuperseded, err)
	}
	return cf, err
}

// commitSingle signs op's Commit with the single device's Ed25519 key
// (SPEC §4: M = N = 1) and stores it.
func (s *Service) commitSingle(ctx context.Context, a *auth, st *tree.TreeState, op *tree.TreeOp) (consensus.CommitFact, error) {
	post, err := tree.Execute(a.aid, st, op)
	if err != nil {
		return consensus.CommitFact{}, fmt.Errorf("%w: %w", ErrBadChange, err)
	}
	var nb [8]byte
	if _, err := s.cfg.Rand.Read(nb[:]); err != nil {
		return consensus.CommitFact{}, err
	}
	nonce := binary.BigEndian.Uint64(nb[:])
	pre, oh := tree.PrestateHash(a.aid, st.Root), op.OpHash()
	cf := consensus.CommitFact{CID: consensus.CIDOf(pre, oh, nonce), PrestateHash: pre, OpHash: oh,
		RID: consensus.RIDOf(pre, oh, post.Root), Nonce: nonce, Op: op.Canonical(), Scope: a.ns,
		KeyEpoch: st.KeyEpoch, Threshold: 1, Signers: []uint16{st.Leaves[0].FrostID}, Path: consensus.PathFast1}
	if st.Leaves[0].DeviceKey != s.cfg.Device.pub() {
		return consensus.CommitFact{}, ErrNotMember
	}
	T := consensus.Transcript(cf.Scope, cf.CID, cf.PrestateHash, cf.OpHash, cf.RID, 1, st.GroupKey, st.KeyEpoch)
	cf.Signature = [64]byte(ed25519.Sign(s.cfg.Device.Key, T))
	if err := s.store(ctx, a.ns, cf.Fact()); err != nil {
		return consensus.CommitFact{}, err
	}
	return cf, nil
}

// store adds one fact to the journal and checks it was acknowledged.
func (s *Service) store(ctx context.Context, ns journal.Namespace, f journal.Fact) error {
	res, err := s.cfg.Journal.Add(ctx, ns, s.cfg.Now(), f.Canonical())
	if err != nil {
		return err
	}
	if res[0].Outcome != journal.Stored {
		return fmt.Errorf("treesvc: fact not stored: %v", res[0].Err)
	}
	return nil
}

// Create founds a single-device authority (SPEC §4.1 step 1): Genesis
// with AuthorityId from this DeviceKey and a random nonce, and
// AuthoritySecret_0 sealed to this device's DHKey.
func (s *Service) Create(ctx context.Context) (journal.AuthorityID, error) {
	if s.isClosed() {
		return journal.AuthorityID{}, ErrClosed
	}
	var nonce [32]byte
	secret := make([]byte, 32)
	if _, err := s.cfg.Rand.Read(nonce[:]); err != nil {
		return journal.AuthorityID{}, err
	}
	if _, err := s.cfg.Rand.Read(secret); err != nil {
		return journal.AuthorityID{}, err
	}
	pub, dh := s.cfg.Device.pub(), s.cfg.Device.dhPub()
	sealed, err := seal.Seal(s.cfg.Rand, dh, secret)
	if err != nil {
		return journal.AuthorityID{}, err
	}
	aid := tree.AuthorityIDOf(pub, nonce)
	g := &journal.AuthorityGenesis{AuthorityID: aid, Nonce: nonce, GenesisTimeMs: uint64(s.cfg.Now().UnixMilli()),
		Leaf:   journal.Leaf{ID: 0, Device: s.self, Role: tree.RoleDevice, DeviceKey: pub, DHKey: dh, FrostID: 1},
		Policy: journal.Policy{M: 1, N: 1},
		KeyRotation: journal.KeyRotation{GroupKey: pub, VerShares: map[uint16][32]byte{1: pub},
			FrostIDs: map[uint32]uint16{0: 1}, SealedSecrets: map[uint32][]byte{0: sealed}}}
	ns := journal.AuthorityNS(aid)
	s.cfg.Journal.Join(ns)
	if err := s.store(ctx, ns, journal.SignAuthorityGenesis(g, s.cfg.Device.Key)); err != nil {
		return journal.AuthorityID{}, err
	}
	a, err := s.adopt(aid)
	if err != nil {
		return journal.AuthorityID{}, err
	}
	return aid, s.refresh(ctx, a)
}
