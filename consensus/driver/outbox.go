package driver

import (
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// queueLen bounds each writer's queue; a full queue drops the message
// (consensus retransmits through fallback gossip) — never a carrier.
const queueLen = 1024

// openTimeout bounds one stream open.
const openTimeout = 3 * time.Second

// item is one outbound message. The writer waits for gate (nil: none)
// before writing; a carrier stages its Ready's durable part in the send's
// JournalCoupler batch after waiting for the previous gate.
type item struct {
	kind    budget.Msg
	dst     consensus.WitnessID
	frame   []byte
	gate    *gate
	carrier *durable
	prev    *gate
}

// Announce retries: a CommitmentAnnounce that could not be sent (the
// member is not up yet or restarting) is retried with backoff, so its
// pool fills once the member is reachable (SPEC §5.4: announce on start).
const (
	announceRetryFirst = 500 * time.Millisecond
	announceRetryMax   = 8 * time.Second
	announceRetries    = 8
	maxPendingAnnounce = 4
)

// writer sends to one member over one long-lived stream (or publishes on
// the fallback topic when topic is set), in FIFO order.
type writer struct {
	s     *Service
	peer  peer.ID
	topic bool
	q     chan item
	st    *flow.Stream

	kick    chan struct{} // an inbound stream from this member: retry now
	pending []item        // unsent CommitmentAnnounces, oldest first
	backoff time.Duration
	tries   int
	retry   *time.Timer
}

func (s *Service) newWriter(p peer.ID, topic bool) *writer {
	w := &writer{s: s, peer: p, topic: topic, q: make(chan item, queueLen), kick: make(chan struct{}, 1)}
	s.wg.Add(1)
	go w.run()
	return w
}

func (w *writer) run() {
	defer w.s.wg.Done()
	defer w.closeStream()
	w.retry = time.NewTimer(time.Hour)
	w.retry.Stop()
	defer w.retry.Stop()
	for {
		select {
		case <-w.s.ctx.Done():
			return
		case it := <-w.q:
			w.handle(it)
		case <-w.retry.C:
			w.retryAnnounces()
		case <-w.kick:
			if len(w.pending) > 0 {
				w.tries = 0
				w.retryAnnounces()
			}
		}
	}
}

// deferAnnounce keeps a failed CommitmentAnnounce for a later retry.
func (w *writer) deferAnnounce(it item) {
	if len(w.pending) == maxPendingAnnounce {
		w.pending = w.pending[1:]
	}
	w.pending = append(w.pending, it)
	if len(w.pending) == 1 {
		w.backoff, w.tries = announceRetryFirst, 0
		w.retry.Reset(w.backoff)
	}
}

func (w *writer) retryAnnounces() {
	for len(w.pending) > 0 {
		if w.send(w.pending[0]) != nil {
			w.tries++
			if w.tries >= announceRetries {
				w.pending = nil
				return
			}
			w.backoff = min(2*w.backoff, announceRetryMax)
			w.retry.Reset(w.backoff)
			return
		}
		w.pending = w.pending[1:]
	}
}

func (w *writer) handle(it item) {
	ctx := w.s.ctx
	if it.carrier != nil {
		if !it.prev.wait(ctx) {
			it.carrier.gate.settle(false)
			return
		}
		err := w.send(it)
		w.s.finishCarrier(it.carrier, err)
		return
	}
	if !it.gate.wait(ctx) {
		return
	}
	if err := w.send(it); err != nil {
		if it.kind == budget.MsgCommitmentAnnounce && !isGuardErr(err) {
			w.deferAnnounce(it)
		}
		w.s.cfg.Metrics.SendFailed()
		w.s.log.Debug("send failed", "peer", w.peer, "kind", int(it.kind), "err", err)
	}
}

// send performs one guarded write (retrying once on a fresh stream).
func (w *writer) send(it item) error {
	var stage []flow.Stager
	if it.carrier != nil {
		stage = []flow.Stager{it.carrier}
	}
	if w.topic {
		return w.s.cfg.Sender.Publish(w.s.ctx, w.s.cfg.FallbackTopic, it.kind, it.frame, stage...)
	}
	m := flow.Msg{Kind: it.kind, Scope: flow.ScopeAuthority, Ctx: w.s.budgetCtx, Dst: journal.AuthorityID(it.dst), Frame: it.frame, Stage: stage}
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if w.st == nil {
			if err = w.open(); err != nil {
				return err
			}
		}
		err = w.st.WriteFrame(w.s.ctx, m)
		if err == nil {
			return nil
		}
		w.closeStream()
		if isGuardErr(err) {
			return err // refused: nothing was written
		}
		if it.carrier != nil && !it.carrier.gate.settled() {
			return err // never reached its batch: finishCarrier commits it alone
		}
		m.Stage = nil // the durable part (if any) is committed: resend the frame alone
	}
	return err
}

func isGuardErr(err error) bool {
	return errors.Is(err, flow.ErrAuthorizationDenied) || errors.Is(err, flow.ErrInsufficientBudget) ||
		errors.Is(err, flow.ErrJournalCommitFailed)
}

func (w *writer) open() error {
	ctx, cancel := context.WithTimeout(w.s.ctx, openTimeout)
	defer cancel()
	st, err := w.s.cfg.Sender.Open(ctx, w.peer, protocols.Consensus)
	if err != nil {
		return err
	}
	w.st = st
	return nil
}

func (w *writer) closeStream() {
	if w.st != nil {
		_ = w.st.Reset()
		w.st = nil
	}
}

// finishCarrier settles a carrier's gate: committed with its send, or —
// when the send never reached the batch (open failed, guard denial) —
// committed alone. A failed batch fails the gate (the core is rebuilt).
func (s *Service) finishCarrier(d *durable, err error) {
	if err != nil {
		s.cfg.Metrics.SendFailed()
	}
	if d.gate.settled() {
		return
	}
	if errors.Is(err, flow.ErrJournalCommitFailed) {
		d.gate.settle(false)
		return
	}
	if cerr := s.cfg.Sender.Executor().CommitStaged(s.ctx, d); cerr != nil {
		d.gate.settle(false)
	}
}

// kindOf maps a message to its §6.2 cost row.
func kindOf(m consensus.Message, topic bool) budget.Msg {
	switch m.(type) {
	case *consensus.Execute:
		return budget.MsgExecute
	case *consensus.GetExecute:
		return budget.MsgGetExecute
	case *consensus.NonceCommit:
		return budget.MsgNonceCommit
	case *consensus.SignRequest:
		return budget.MsgSignRequest
	case *consensus.SignShare:
		return budget.MsgSignShare
	case *consensus.StateMismatch:
		return budget.MsgStateMismatch
	case *consensus.Conflict:
		return budget.MsgConflict
	case *consensus.CommitmentAnnounce:
		return budget.MsgCommitmentAnnounce
	case *consensus.Commit:
		if topic {
			return budget.MsgFallbackCommit
		}
		return budget.MsgCommitDirect
	case *consensus.AggregateShare:
		if topic {
			return budget.MsgFallbackPublish
		}
		return budget.MsgAggregateShare
	}
	return budget.MsgInvalid
}

// needsGate: messages carrying a vote, a share or a Commit wait until the
// Ready's durable part (and every earlier one) committed.
func needsGate(m consensus.Message) bool {
	switch m.(type) {
	case *consensus.SignShare, *consensus.AggregateShare, *consensus.Commit:
		return true
	}
	return false
}
