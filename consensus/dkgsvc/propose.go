package dkgsvc

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Propose signs start with the proposer's key (a resulting member's
// SignKey) and sends it to every other member (SPEC §4.1 step 3a), each a
// guarded authority-scope send (budget.MsgDKG). peers[i] is the peer of
// FrostID i+1. It returns the signed Start and the joined errors of the
// sends that failed; the proposer then calls Run like every member.
func (s *Service) Propose(ctx context.Context, start Start, key ed25519.PrivateKey, peers []peer.ID) (Start, error) {
	if len(peers) != len(start.Members) {
		return start, fmt.Errorf("%w: %d peers for %d members", ErrConfig, len(peers), len(start.Members))
	}
	start.Sign(key)
	if err := start.Verify(); err != nil {
		return start, err
	}
	frame, err := marshal(startPBFrame(&start))
	if err != nil {
		return start, err
	}
	var errs []error
	for i, m := range start.Members {
		if m.FrostID == start.Proposer {
			continue
		}
		if err := s.sendOnce(ctx, peers[i], journal.AuthorityID(m.ID), frame); err != nil {
			s.cfg.Metrics.SendFailed()
			errs = append(errs, fmt.Errorf("member %d: %w", m.FrostID, err))
		}
	}
	return start, errors.Join(errs...)
}

// sendOnce opens a stream, writes one guarded frame and closes it.
func (s *Service) sendOnce(ctx context.Context, p peer.ID, dst journal.AuthorityID, frame []byte) error {
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	st, err := s.cfg.Sender.Open(octx, p, protocols.DKG)
	cancel()
	if err != nil {
		return err
	}
	m := flow.Msg{Kind: budget.MsgDKG, Scope: flow.ScopeAuthority, Ctx: s.cfg.BudgetCtx, Dst: dst, Frame: frame}
	if err := st.WriteFrame(ctx, m); err != nil {
		_ = st.Reset()
		return err
	}
	return st.Close()
}
