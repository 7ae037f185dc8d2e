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

// authorise is the dkgsvc Authorise callback (SPEC §4.1 step 3a), run
// after dkgsvc verified the start's signature under a listed key: this
// device is listed; the proposer is a current leaf (or, while joining,
// the inviter); the parent is our current state and KeyEpoch is
// S.KeyEpoch+1. A parent that is not our state triggers one gated
// catch-up sync (catchup.go) only if the proposer is a current leaf or
// the parent is ahead of ours (members and others gated apart);
// otherwise, or while the gate is closed,
// the start is judged on the state we hold, so a flood of bogus starts
// neither holds handler goroutines nor triggers pulls at will.
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
	if !atParent(cur, &st) {
		if !worthCatchUp(cur, &st, prop) {
			return fmt.Errorf("%w: proposer is not a current leaf", ErrNotMember)
		}
		cur = s.catchUp(a, st.From, isMemberKey(cur, prop))
	}
	switch {
	case cur == nil:
		return ErrUnknownAuthority
	case cur.Epoch != st.ParentEpoch || cur.Root != st.ParentRoot:
		return fmt.Errorf("%w: parent %d is not our state %d", ErrBadChange, st.ParentEpoch, cur.Epoch)
	case st.KeyEpoch != cur.KeyEpoch+1:
		return fmt.Errorf("%w: key epoch %d after %d", ErrBadChange, st.KeyEpoch, cur.KeyEpoch)
	}
	if hasLeafKey(cur, prop) {
		return nil
	}
	return fmt.Errorf("%w: proposer is not a current leaf", ErrNotMember)
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
	peers, err := s.startPeers(a.aid, &st)
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

// startPeers resolves every member of st (a DKG of aid): the proposer is
// st.From.
func (s *Service) startPeers(aid journal.AuthorityID, st *dkgsvc.Start) ([]peer.ID, error) {
	out := make([]peer.ID, len(st.Members))
	for i, m := range st.Members {
		if m.FrostID == st.Proposer && st.From != "" {
			out[i] = st.From
			continue
		}
		p, ok := s.peerOf(aid, journal.DeviceID(m.ID))
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
		p, ok := s.peerOf(a.aid, l.Device)
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
