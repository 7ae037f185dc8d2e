package authsvc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/internal/seal"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree/invite"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
)

// prepareResumes makes the inviter of every pending join (a device.join
// whose daemon stopped after the AddLeaf, treesvc pending.go) dialable
// again before the tree service's Start resumes it: the invitation's
// addresses go to the peerstore and the inviter's DeviceId → peer to the
// book. The tree service trusts the inviter for sync itself.
//
// It also installs the tree service's ResumeRequest (resumeRequest): a
// record cut before the inviter's reply re-sends the JoinRequest from its
// stored invitation code, and the inviter answers this same device with
// its stored JoinResult (journal/tree/invite).
func (s *Service) prepareResumes(ctx context.Context) []journal.AuthorityID {
	s.tree.SetResumeRequest(s.resumeRequest)
	recs, err := treesvc.PendingJoins(ctx, s.env.Datastore)
	if err != nil {
		s.log.Warn("pending joins not read", "err", err)
		return nil
	}
	var out []journal.AuthorityID
	for _, p := range recs {
		if p.Sealed != nil || p.Code != "" {
			out = append(out, p.Authority)
		}
		var addrs []multiaddr.Multiaddr
		for _, b := range p.Addrs {
			if a, err := multiaddr.NewMultiaddrBytes(b); err == nil {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) > 0 {
			s.env.Host.AddAddrs(p.Inviter, addrs)
		}
		s.book.learn(p.Authority, journal.DeviceIDOf(p.InviterKey), p.Inviter)
		s.log.Info("resuming pending join", "authority", p.Authority.String(), "inviter", p.Inviter,
			"have_secret", p.Sealed != nil)
	}
	return out
}

// resumeRequest is the tree service's ResumeRequest: it parses the
// pending join's stored invitation code and sends the JoinRequest again
// (invite.Request). An unparsable code or the inviter's refusal wraps
// treesvc.ErrRejoinNeeded.
func (s *Service) resumeRequest(ctx context.Context, p treesvc.PendingJoin) ([]byte, uint64, error) {
	inv, err := invite.ParseCode(p.Code)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: stored invitation: %w", treesvc.ErrRejoinNeeded, err)
	}
	c := invite.Candidate{DeviceKey: s.dev.Pub(), DHKey: s.dev.DHPub(), Peer: s.self}
	return s.requestJoin(ctx, inv, c)
}

// requestJoin sends the JoinRequest (invite.Request) and, on a reply,
// serves the namespace at once under the new key epoch's secret, trusting
// the inviter, so the first pull can run before this device has the
// Genesis (the tree service exports secrets once it reduces one). A
// refusal wraps treesvc.ErrRejoinNeeded as well as invite.ErrRefused.
func (s *Service) requestJoin(ctx context.Context, inv invite.Invite, c invite.Candidate) ([]byte, uint64, error) {
	sealed, keyEpoch, err := invite.Request(ctx, s.env.Sender, inv, c)
	if errors.Is(err, invite.ErrRefused) {
		return nil, 0, fmt.Errorf("%w (invitation used by another device, expired or unknown at the inviter: %w)",
			err, treesvc.ErrRejoinNeeded)
	}
	if err != nil {
		return nil, 0, err
	}
	if secret, err := seal.Open(s.dev.DH, sealed); err == nil {
		ns := journal.AuthorityNS(inv.Authority)
		if err := s.sync.SetSecrets(ctx, ns, [][]byte{secret}); err != nil {
			s.log.Warn("join: sync keys not installed", "authority", inv.Authority, "err", err)
		}
	}
	return sealed, keyEpoch, nil
}

// resumePoll is how often announceWhenListed checks a resumed join.
const resumePoll = 250 * time.Millisecond

// announceWhenListed writes this device's DevicePeer fact into each
// authority of a resumed join once the tree service lists this device
// there (Start's announceAll ran before), for at most
// treesvc.ResumeJoinTimeout.
func (s *Service) announceWhenListed(ctx context.Context, aids []journal.AuthorityID) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, treesvc.ResumeJoinTimeout)
	defer cancel()
	t := time.NewTicker(resumePoll)
	defer t.Stop()
	for len(aids) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		aids = slices.DeleteFunc(aids, func(aid journal.AuthorityID) bool {
			if !slices.Contains(s.tree.Authorities(), aid) {
				return false
			}
			if err := s.announce(ctx, aid); err != nil {
				s.log.Warn("device peer fact not written", "authority", aid, "err", err)
			}
			return true
		})
	}
}

// addrBytes is the binary form of an invitation's addresses (kept in the
// pending-join record).
func addrBytes(addrs []multiaddr.Multiaddr) [][]byte {
	out := make([][]byte, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.Bytes())
	}
	return out
}
