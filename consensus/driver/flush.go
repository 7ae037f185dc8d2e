package driver

import (
	"time"

	"github.com/aura-p2p/aura-p2p/consensus"
)

// flush drains the core's Ready batches: each Ready's durable part (vote
// log, Commit and Equivocation facts) rides in the JournalCoupler batch of
// its first gated send (the carrier), every message carrying a vote, share
// or Commit waits until that batch and all earlier ones committed, and
// outcomes are reported only after it (SPEC §5.5 step 3, §6.4).
func (s *Service) flush() {
	for s.node.HasReady() {
		rd := s.node.Ready()
		s.process(&rd)
	}
}

func (s *Service) process(rd *consensus.Ready) {
	g := s.lastGate
	var d *durable
	if len(rd.VoteWrites)+len(rd.Commits)+len(rd.Evidence) > 0 {
		g = newGate(s.ctx, &s.wg, s.lastGate)
		var err error
		if d, err = newDurable(s.cfg.Journal, s.ns, rd, g); err != nil {
			s.log.Error("durable batch", "err", err)
			g.settle(false)
			s.watchGate(g)
			return
		}
		s.watchGate(g)
	}
	prev := s.lastGate
	s.lastGate = g
	carrier := carrierIndex(rd, d != nil)
	for i, e := range rd.Messages {
		it := item{dst: e.To}
		if d != nil && i == carrier {
			it.carrier, it.prev = d, prev
		} else if needsGate(e.Msg) {
			it.gate = g
		}
		s.enqueue(e, it)
	}
	if d != nil && carrier < 0 {
		s.commitAlone(d, prev)
	}
	s.report(rd.Outcomes, g)
}

// carrierIndex picks the first gated message, else the first message;
// −1 when nothing is durable or there is no message.
func carrierIndex(rd *consensus.Ready, durable bool) int {
	if !durable || len(rd.Messages) == 0 {
		return -1
	}
	for i, e := range rd.Messages {
		if needsGate(e.Msg) {
			return i
		}
	}
	return 0
}

// enqueue encodes e and queues it on its writer; a carrier that cannot be
// queued commits alone.
func (s *Service) enqueue(e consensus.Envelope, it item) {
	if _, ok := e.Msg.(*consensus.Execute); ok && s.cfg.RTT == nil {
		s.execSent[e.Msg.(*consensus.Execute).CID] = time.Now()
	}
	w := s.writerFor(e)
	frame, err := consensus.Marshal(e.Msg)
	if err == nil && e.Topic {
		frame, err = SealEnvelope(s.cfg.FallbackKey, frame)
	}
	if w == nil || err != nil {
		s.dropItem(it)
		return
	}
	it.kind, it.frame = kindOf(e.Msg, e.Topic), frame
	select {
	case w.q <- it:
	default:
		s.dropItem(it)
	}
}

func (s *Service) dropItem(it item) {
	s.cfg.Metrics.SendFailed()
	if it.carrier != nil {
		s.commitAlone(it.carrier, it.prev)
	}
}

// writerFor returns the writer of e's destination, nil if the carriage
// excludes it or the member has no peer.
func (s *Service) writerFor(e consensus.Envelope) *writer {
	if e.Topic {
		if s.cfg.Carriage == CarryDirectOnly || s.opener == nil {
			return nil
		}
		if s.topicW == nil {
			s.topicW = s.newWriter("", true)
		}
		return s.topicW
	}
	if _, agg := e.Msg.(*consensus.AggregateShare); agg && s.cfg.Carriage == CarryTopicOnly {
		return nil
	}
	if w, ok := s.writers[e.To]; ok {
		return w
	}
	p, ok := s.cfg.Peers.PeerOf(e.To)
	if !ok {
		return nil
	}
	w := s.newWriter(p, false)
	s.writers[e.To] = w
	return w
}

// commitAlone commits a durable part without a send (after prev).
func (s *Service) commitAlone(d *durable, prev *gate) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if !prev.wait(s.ctx) {
			d.gate.settle(false)
			return
		}
		s.finishCarrier(d, nil)
	}()
}

// watchGate rebuilds the core if g fails (a journal batch failed).
func (s *Service) watchGate(g *gate) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-g.own:
		case <-s.ctx.Done():
			return
		}
		if !g.ok {
			select {
			case s.reqs <- s.rebuild:
			case <-s.ctx.Done():
			}
		}
	}()
}

// report delivers outcomes once g opened: to Propose waiters, metrics and
// Config.OnOutcome.
func (s *Service) report(outs []consensus.Outcome, g *gate) {
	if len(outs) == 0 {
		return
	}
	type delivery struct {
		o     consensus.Outcome
		ch    chan result
		since time.Time
	}
	var ds []delivery
	for _, o := range outs {
		dl := delivery{o: o}
		if ch, ok := s.waiters[o.CID]; ok && o.Kind != consensus.Applied && o.Kind != consensus.Superseded {
			dl.ch, dl.since = ch, s.started[o.CID]
			delete(s.waiters, o.CID)
			delete(s.started, o.CID)
		}
		ds = append(ds, dl)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ok := g.wait(s.ctx)
		for _, dl := range ds {
			s.deliver(dl.o, dl.ch, dl.since, ok)
		}
	}()
}

func (s *Service) deliver(o consensus.Outcome, ch chan result, since time.Time, durableOK bool) {
	if !durableOK {
		if ch != nil {
			ch <- result{err: ErrJournal}
		}
		return
	}
	if o.Kind == consensus.Committed && o.Fact != nil && !since.IsZero() {
		s.cfg.Metrics.CommitLatency(o.Fact.Path, time.Since(since))
	}
	if s.cfg.OnOutcome != nil {
		s.cfg.OnOutcome(o)
	}
	if ch == nil {
		return
	}
	switch {
	case o.Kind == consensus.Committed && o.Fact != nil:
		ch <- result{fact: *o.Fact}
	case o.Err != nil:
		ch <- result{err: o.Err}
	default:
		ch <- result{err: consensus.ErrConflict}
	}
}
