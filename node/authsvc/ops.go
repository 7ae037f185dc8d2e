package authsvc

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aura-p2p/aura-p2p/journal"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
	"github.com/aura-p2p/aura-p2p/journal/tree"
	"github.com/aura-p2p/aura-p2p/journal/tree/invite"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
)

// Create makes a one-device authority with this device as leaf 0 (SPEC
// §4.1 Genesis) and announces this device's peer in it.
func (s *Service) Create(ctx context.Context) (journal.AuthorityID, error) {
	if err := s.check(); err != nil {
		return journal.AuthorityID{}, err
	}
	aid, err := s.tree.Create(ctx)
	if err != nil {
		return journal.AuthorityID{}, err
	}
	if err := s.announce(ctx, aid); err != nil {
		s.log.Warn("device peer fact not written", "authority", aid, "err", err)
	}
	return aid, nil
}

// Resolve parses an authority id; "" names the one authority this
// device belongs to (ErrNoAuthority / ErrAmbiguous otherwise).
func (s *Service) Resolve(id string) (journal.AuthorityID, error) {
	var aid journal.AuthorityID
	if id != "" {
		b, err := hex.DecodeString(id)
		if err != nil || len(b) != len(aid) {
			return aid, fmt.Errorf("%w: authority %q: want 32 hex digits", ErrBadID, id)
		}
		copy(aid[:], b)
		return aid, nil
	}
	all := s.tree.Authorities()
	switch len(all) {
	case 0:
		return aid, ErrNoAuthority
	case 1:
		return all[0], nil
	default:
		return aid, fmt.Errorf("%w (%d)", ErrAmbiguous, len(all))
	}
}

// ParseDevice parses a DeviceId (32 hex digits).
func ParseDevice(id string) (journal.DeviceID, error) {
	var d journal.DeviceID
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != len(d) {
		return d, fmt.Errorf("%w: device %q: want 32 hex digits", ErrBadID, id)
	}
	copy(d[:], b)
	return d, nil
}

// Show is the reduced view of aid; ErrNotMember unless this device is a
// leaf.
func (s *Service) Show(aid journal.AuthorityID) (treesvc.View, error) {
	if err := s.check(); err != nil {
		return treesvc.View{}, err
	}
	v, err := s.tree.View(aid)
	if err != nil {
		return treesvc.View{}, err
	}
	for _, d := range v.Devices {
		if d.Self {
			return v, nil
		}
	}
	return treesvc.View{}, fmt.Errorf("%w: %s", treesvc.ErrNotMember, aid)
}

// Invite mints a one-use invitation to aid valid for expiry (0: the
// configured default), naming this device as inviter with its current
// addresses, and stores it in the registry (SPEC §4.1 step 2).
func (s *Service) Invite(ctx context.Context, aid journal.AuthorityID, expiry time.Duration) (invite.Invite, error) {
	if _, err := s.Show(aid); err != nil {
		return invite.Invite{}, err
	}
	switch {
	case expiry == 0:
		expiry = s.cfg.InviteExpiry
	case expiry < 0 || expiry > MaxInviteExpiry:
		return invite.Invite{}, fmt.Errorf("%w: expiry %s outside (0, %s]", treesvc.ErrBadChange, expiry, MaxInviteExpiry)
	}
	inv, err := invite.Mint(s.cfg.Rand, aid, s.self, s.addrs(), s.dev.Pub(), s.cfg.Now().Add(expiry))
	if err != nil {
		return invite.Invite{}, err
	}
	if err := s.reg.Add(ctx, inv, s.cfg.Now()); err != nil {
		return invite.Invite{}, err
	}
	return inv, nil
}

// Join joins the authority of an invitation code (SPEC §4.1 step 2): it
// makes the inviter dialable, sends the JoinRequest, takes part in the
// AddLeaf ceremony's DKG, opens its sealed AuthoritySecret, syncs from
// the inviter and announces this device's peer. It is idempotent for this
// device: if an earlier join with the same code was cut before the
// inviter's reply (or this device already joined with it), the inviter
// answers again with its stored reply and no second ceremony runs.
func (s *Service) Join(ctx context.Context, code string) (treesvc.Report, error) {
	if err := s.check(); err != nil {
		return treesvc.Report{}, err
	}
	inv, err := invite.ParseCode(code)
	if err != nil {
		return treesvc.Report{}, err
	}
	if inv.Expired(s.cfg.Now()) {
		return treesvc.Report{}, fmt.Errorf("%w: at %s", invite.ErrExpired, time.UnixMilli(inv.ExpiryMs).UTC())
	}
	if inv.Inviter == s.self {
		return treesvc.Report{}, fmt.Errorf("%w: this device minted the invitation", treesvc.ErrBadChange)
	}
	s.env.Host.AddAddrs(inv.Inviter, inv.Addrs)
	s.book.learn(inv.Authority, journal.DeviceIDOf(inv.InviterKey), inv.Inviter)
	c := invite.Candidate{DeviceKey: s.dev.Pub(), DHKey: s.dev.DHPub(), Peer: s.self}
	ns := journal.AuthorityNS(inv.Authority)
	s.env.Journal.Join(ns)
	inviter := jsync.TrustedDevice{Device: journal.DeviceIDOf(inv.InviterKey), DeviceKey: inv.InviterKey, Peer: inv.Inviter}
	if err := s.sync.trust(ctx, ns, inviter); err != nil {
		return treesvc.Report{}, err
	}
	defer s.sync.untrust(ns)
	request := func(ctx context.Context) ([]byte, uint64, error) {
		return s.requestJoin(ctx, inv, c)
	}
	t := treesvc.Ticket{Authority: inv.Authority, InviterKey: inv.InviterKey, Inviter: inv.Inviter,
		Addrs: addrBytes(inv.Addrs), ExpiryMs: inv.ExpiryMs, Code: inv.Code()}
	rep, err := s.tree.JoinWith(ctx, t, request) // a refusal wraps treesvc.ErrRejoinNeeded (requestJoin)
	if err != nil {
		return treesvc.Report{}, err
	}
	if err := s.announce(ctx, inv.Authority); err != nil {
		s.log.Warn("device peer fact not written", "authority", inv.Authority, "err", err)
	}
	return rep, nil
}

// onJoin is the inviter's side of a verified JoinRequest: the AddLeaf
// ceremony for the candidate (invite.JoinFunc).
func (s *Service) onJoin(ctx context.Context, inv invite.Invite, c invite.Candidate) ([]byte, uint64, error) {
	d := journal.DeviceIDOf(c.DeviceKey)
	s.book.learn(inv.Authority, d, c.Peer)
	hs, targets := s.hintsFor(inv.Authority, c)
	s.sendHints(ctx, inv.Authority, targets, hs)
	rep, err := s.tree.Propose(ctx, inv.Authority, treesvc.Change{Kind: tree.AddLeaf,
		Add: &treesvc.Candidate{DeviceKey: c.DeviceKey, DHKey: c.DHKey, Peer: c.Peer}})
	if err != nil {
		s.book.forget(inv.Authority, d)
		s.log.Warn("join ceremony failed", "authority", inv.Authority, "device", d, "err", err)
		return nil, 0, err
	}
	s.mu.Lock()
	s.joins[d] = rep
	s.mu.Unlock()
	s.log.Info("device joined", "authority", inv.Authority, "device", d, "path", rep.Path, "epoch", rep.Epoch,
		"key_epoch", rep.KeyEpoch, "total", rep.Total)
	return rep.Sealed, rep.KeyEpoch, nil
}

// JoinReport is the inviter's report of the AddLeaf ceremony that added
// device d through this device (its DKG, consensus and total latency);
// false if this device did not invite d since it started.
func (s *Service) JoinReport(d journal.DeviceID) (treesvc.Report, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.joins[d]
	return r, ok
}

// Propose runs one ceremony on aid (SPEC §4.1 step 3).
func (s *Service) Propose(ctx context.Context, aid journal.AuthorityID, c treesvc.Change) (treesvc.Report, error) {
	if err := s.check(); err != nil {
		return treesvc.Report{}, err
	}
	if c.Kind == tree.AddLeaf {
		return treesvc.Report{}, fmt.Errorf("%w: devices are added by invitation (device invite / join)", treesvc.ErrBadChange)
	}
	if _, err := s.Show(aid); err != nil {
		return treesvc.Report{}, err
	}
	return s.tree.Propose(ctx, aid, c)
}

// Remove removes devices from aid (RemoveLeaf among the others).
func (s *Service) Remove(ctx context.Context, aid journal.AuthorityID, devices ...journal.DeviceID) (treesvc.Report, error) {
	if len(devices) == 0 {
		return treesvc.Report{}, fmt.Errorf("%w: no device to remove", treesvc.ErrBadChange)
	}
	return s.Propose(ctx, aid, treesvc.Change{Kind: tree.RemoveLeaf, Remove: devices})
}

// Policy sets aid's threshold M (ChangePolicy).
func (s *Service) Policy(ctx context.Context, aid journal.AuthorityID, m uint16) (treesvc.Report, error) {
	if m == 0 {
		return treesvc.Report{}, fmt.Errorf("%w: threshold 0", treesvc.ErrBadChange)
	}
	return s.Propose(ctx, aid, treesvc.Change{Kind: tree.ChangePolicy, Threshold: m})
}

// Rotate runs a RotateEpoch with a fresh DKG on aid.
func (s *Service) Rotate(ctx context.Context, aid journal.AuthorityID) (treesvc.Report, error) {
	return s.Propose(ctx, aid, treesvc.Change{Kind: tree.RotateEpoch, NewKey: true})
}
