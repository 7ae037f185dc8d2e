package treesvc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// catchUpTimeout bounds the sync a member runs when a DKGStart names a
// parent newer than its state (SPEC §4.1 step 3a "else it syncs first").
const catchUpTimeout = 10 * time.Second

// joining is a Join in progress: the inviter's key is trusted for the
// DKGStart of the authority until the joiner has synced (SPEC §4.1 step 2).
type joining struct {
	ticket Ticket
	dkg    chan dkgOutcome // the joiner's DKG result (buffered 1)
}

// put keeps only the latest DKG outcome (a re-proposed AddLeaf runs a
// new DKG; the inviter's reply seals the last one's secret).
func (j *joining) put(o dkgOutcome) {
	for {
		select {
		case j.dkg <- o:
			return
		default:
		}
		select {
		case <-j.dkg:
		default:
		}
	}
}

type dkgOutcome struct {
	keyEpoch uint64
	took     time.Duration
	err      error
}

// authorityOf returns the authority whose namespace recomputes st's sid.
func (s *Service) authorityOf(st *dkgsvc.Start) (*auth, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.auths {
		if _, err := st.Session(a.ns.Bytes()); err == nil {
			return a, nil
		}
	}
	return nil, ErrUnknownAuthority
}

// selfIndex is this device's FrostID in st (0 if not listed).
func (s *Service) selfIndex(st *dkgsvc.Start) uint16 {
	me, dh := s.cfg.Device.pub(), s.cfg.Device.dhPub()
	for _, m := range st.Members {
		if m.SignKey == me && m.DHKey == dh && m.ID == [16]byte(s.self) {
			return m.FrostID
		}
	}
	return 0
}

// authorise is the dkgsvc Authorise callback (SPEC §4.1 step 3a): this
// device is listed; the proposer is a current leaf (or, while joining,
// the inviter); the parent is our current state (after one catch-up sync
// from the proposer if it is not) and KeyEpoch is S.KeyEpoch+1.
func (s *Service) authorise(st dkgsvc.Start) error {
	a, err := s.authorityOf(&st)
	if err != nil {
		return err
	}
	if s.selfIndex(&st) == 0 {
		return fmt.Errorf("%w: this device is not listed", ErrNotMember)
	}
	prop := st.Members[st.Proposer-1].SignKey
	s.mu.Lock()
	cur, jn := a.state(), a.joining
	s.mu.Unlock()
	if jn != nil && (cur == nil || !isLeaf(cur, s.self)) {
		if prop != jn.ticket.InviterKey {
			return fmt.Errorf("%w: proposer is not the inviter", ErrNotMember)
		}
		return nil
	}
	if cur == nil || cur.Epoch != st.ParentEpoch || cur.Root != st.ParentRoot {
		cur = s.catchUp(a, st.From)
	}
	switch {
	case cur == nil:
		return ErrUnknownAuthority
	case cur.Epoch != st.ParentEpoch || cur.Root != st.ParentRoot:
		return fmt.Errorf("%w: parent %d is not our state %d", ErrBadChange, st.ParentEpoch, cur.Epoch)
	case st.KeyEpoch != cur.KeyEpoch+1:
		return fmt.Errorf("%w: key epoch %d after %d", ErrBadChange, st.KeyEpoch, cur.KeyEpoch)
	}
	for _, l := range cur.Leaves {
		if l.DeviceKey == prop {
			return nil
		}
	}
	return fmt.Errorf("%w: proposer is not a current leaf", ErrNotMember)
}

// catchUp pulls a's namespace from p and re-reduces; it returns the state.
func (s *Service) catchUp(a *auth, p peer.ID) *tree.TreeState {
	ctx, cancel := context.WithTimeout(s.ctx, catchUpTimeout)
	defer cancel()
	if s.cfg.Syncer != nil && p != "" {
		if err := s.cfg.Syncer.Pull(ctx, a.ns, p); err != nil {
			s.log.Debug("catch-up pull failed", "err", err)
		}
	}
	if err := s.refresh(ctx, a); err != nil {
		s.log.Debug("catch-up refresh failed", "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return a.state()
}

func isLeaf(st *tree.TreeState, d journal.DeviceID) bool {
	_, ok := st.LeafByDevice(d)
	return ok
}

// followStarts runs, for each authorised DKGStart, this device's part of
// the DKG on its own goroutine.
func (s *Service) followStarts(d *dkgsvc.Service) {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case st := <-d.Starts():
			s.follow(d, st)
		}
	}
}

func (s *Service) follow(d *dkgsvc.Service, st dkgsvc.Start) {
	a, err := s.authorityOf(&st)
	if err != nil {
		return
	}
	sess, err := st.Session(a.ns.Bytes())
	self := s.selfIndex(&st)
	if err != nil || self == 0 {
		return
	}
	peers, err := s.startPeers(&st)
	if err != nil {
		s.log.Warn("DKG member without peer", "err", err)
		return
	}
	s.mu.Lock()
	jn := a.joining
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t0 := time.Now()
		res, err := d.Run(s.ctx, sess, peers, self, s.cfg.Device.Key)
		if err != nil {
			s.log.Info("DKG failed", "authority", a.aid.String(), "err", err)
		} else {
			s.keepShare(s.ctx, a.ns, sess.Threshold, st.KeyEpoch, res)
		}
		if jn != nil {
			jn.put(dkgOutcome{keyEpoch: st.KeyEpoch, took: time.Since(t0), err: err})
		}
	}()
}

// startPeers resolves every member of st: the proposer is st.From.
func (s *Service) startPeers(st *dkgsvc.Start) ([]peer.ID, error) {
	out := make([]peer.ID, len(st.Members))
	for i, m := range st.Members {
		if m.FrostID == st.Proposer && st.From != "" {
			out[i] = st.From
			continue
		}
		p, ok := s.peerOf(journal.DeviceID(m.ID))
		if !ok {
			return nil, fmt.Errorf("%w: no peer for device %x", ErrDeviceOffline, m.ID[:4])
		}
		out[i] = p
	}
	return out, nil
}

// runDKG is the proposer's DKG (SPEC §4.1 step 3a–b) among leaves (the
// op's resulting members, FrostIDs 1..N) with threshold m; add is the
// candidate whose peer is not yet known to Peers. It fills k's key
// fields.
func (s *Service) runDKG(ctx context.Context, a *auth, st *tree.TreeState, leaves []tree.Leaf, m uint16, add *Candidate, k *tree.KeyRotation) error {
	s.mu.Lock()
	d := s.dkg
	s.mu.Unlock()
	members := make([]dkgsvc.StartMember, len(leaves))
	peers := make([]peer.ID, len(leaves))
	self := uint16(0)
	for i, l := range leaves {
		members[i] = dkgsvc.StartMember{ID: l.Device, FrostID: uint16(i + 1), SignKey: l.DeviceKey, DHKey: l.DHKey}
		if l.Device == s.self {
			self = uint16(i + 1)
		}
		if add != nil && l.DeviceKey == add.DeviceKey && add.Peer != "" {
			peers[i] = add.Peer
			continue
		}
		p, ok := s.peerOf(l.Device)
		if !ok {
			return &OfflineError{Devices: []journal.DeviceID{l.Device},
				Cause: &dkg.TimeoutError{Missing: []uint16{uint16(i + 1)}}}
		}
		peers[i] = p
	}
	if self == 0 {
		return fmt.Errorf("%w: the proposer must be a resulting member", ErrBadChange)
	}
	if _, err := s.cfg.Rand.Read(k.DKGNonce[:]); err != nil {
		return err
	}
	start := dkgsvc.NewStart(a.ns.Bytes(), st.KeyEpoch+1, st.Epoch, st.Root, m, members, k.DKGNonce)
	signed, err := d.Propose(ctx, start, s.cfg.Device.Key, peers)
	if err != nil {
		s.log.Info("DKGStart not delivered to every member", "err", err) // Run names the silent ones
	}
	sess, err := signed.Session(a.ns.Bytes())
	if err != nil {
		return err
	}
	res, err := d.Run(ctx, sess, peers, self, s.cfg.Device.Key)
	if err != nil {
		var te *dkg.TimeoutError
		if errors.As(err, &te) {
			oe := &OfflineError{Cause: err}
			for _, f := range te.Missing {
				oe.Devices = append(oe.Devices, leaves[f-1].Device)
			}
			return oe
		}
		return err
	}
	s.keepShare(ctx, a.ns, m, st.KeyEpoch+1, res)
	k.GroupKey, k.VerShares = res.GroupKey, res.VerShares
	k.Round1, k.DKGTranscriptHash, k.Confirms = res.Round1, res.TranscriptHash, res.Confirms
	return nil
}
