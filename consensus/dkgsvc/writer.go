package dkgsvc

import (
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Writer retry: a member that is not reachable yet (starting up) is
// retried with backoff for the life of the run (SPEC §4.1 step 4: the DKG
// needs every member; DKGTimeout ends it).
const (
	openTimeout = 3 * time.Second
	retryFirst  = 500 * time.Millisecond
	retryMax    = 8 * time.Second
)

// writer sends one run's frames to one member over one stream, FIFO.
type writer struct {
	s    *Service
	peer peer.ID
	dst  journal.AuthorityID
	q    chan []byte
	st   *flow.Stream
}

func (w *writer) run(ctx context.Context) {
	for frame := range w.q {
		w.deliver(ctx, frame)
	}
	if w.st == nil {
		return
	}
	if ctx.Err() != nil {
		_ = w.st.Reset()
		return
	}
	_ = w.st.Close() // graceful: frames already written still arrive
}

// deliver sends frame, retrying transport failures with backoff until ctx
// ends. A guard refusal (authorisation, budget, journal) is final.
func (w *writer) deliver(ctx context.Context, frame []byte) {
	backoff := retryFirst
	for ctx.Err() == nil {
		err := w.send(ctx, frame)
		if err == nil {
			return
		}
		w.s.cfg.Metrics.SendFailed()
		w.s.log.Debug("dkg send failed", "peer", w.peer, "err", err)
		if isGuardErr(err) {
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		backoff = min(2*backoff, retryMax)
	}
}

func (w *writer) send(ctx context.Context, frame []byte) error {
	if w.st == nil {
		octx, cancel := context.WithTimeout(ctx, openTimeout)
		st, err := w.s.cfg.Sender.Open(octx, w.peer, protocols.DKG)
		cancel()
		if err != nil {
			return err
		}
		w.st = st
	}
	m := flow.Msg{Kind: budget.MsgDKG, Scope: flow.ScopeAuthority, Ctx: w.s.cfg.BudgetCtx, Dst: w.dst, Frame: frame}
	if err := w.st.WriteFrame(ctx, m); err != nil {
		_ = w.st.Reset()
		w.st = nil
		return err
	}
	return nil
}

func isGuardErr(err error) bool {
	return errors.Is(err, flow.ErrAuthorizationDenied) || errors.Is(err, flow.ErrInsufficientBudget) ||
		errors.Is(err, flow.ErrJournalCommitFailed)
}
