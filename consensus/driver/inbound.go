package driver

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// fallbackForwardKind prices validator accepts on the fallback topic.
const fallbackForwardKind = budget.MsgFallbackForward

// Misbehaviour kinds reported by the driver (SPEC §6.6).
const (
	KindUndecodable = "undecodable"
	KindOversize    = "oversize"
	KindUnknownPeer = "unknown_peer"
	KindBadEnvelope = "bad_envelope"
)

// streamSet tracks inbound streams so Close can reset them.
type streamSet struct {
	mu sync.Mutex
	m  map[*flow.Stream]struct{}
}

func (ss *streamSet) add(s *flow.Stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[*flow.Stream]struct{}{}
	}
	ss.m[s] = struct{}{}
}

func (ss *streamSet) remove(s *flow.Stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, s)
}

func (ss *streamSet) resetAll() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for s := range ss.m {
		_ = s.Reset()
	}
}

// handleStream serves one inbound /aura/consensus/1.0.0 stream: one frame
// per message, any number of frames per stream (the sender keeps one
// stream per peer). An unknown peer or an undecodable or oversize frame
// resets the stream and counts one misbehaviour point.
func (s *Service) handleStream(st *flow.Stream) {
	s.streams.add(st)
	defer s.streams.remove(st)
	from, ok := s.cfg.Peers.WitnessOf(st.RemotePeer())
	if !ok {
		s.misbehaved(st, KindUnknownPeer)
		return
	}
	s.kickWriter(from)
	for {
		b, err := st.ReadFrame()
		if err != nil {
			if errors.Is(err, protocols.ErrFrameTooLarge) {
				s.misbehaved(st, KindOversize)
				return
			}
			_ = st.Reset()
			return
		}
		msg, err := consensus.Unmarshal(b)
		if err != nil {
			s.misbehaved(st, KindUndecodable)
			return
		}
		if !s.push(inbound{from: from, msg: msg}) {
			_ = st.Reset()
			return
		}
	}
}

// kickWriter makes from's writer retry unsent announcements at once: a
// new inbound stream means the member is up.
func (s *Service) kickWriter(from consensus.WitnessID) {
	_ = s.do(s.ctx, func() {
		if w, ok := s.writers[from]; ok {
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
	})
}

// push hands a message to the owner goroutine (blocking: backpressure on
// the stream) until the service closes.
func (s *Service) push(m inbound) bool {
	select {
	case s.in <- m:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *Service) misbehaved(st *flow.Stream, kind string) {
	_ = st.Reset()
	s.report1(st.RemotePeer(), kind)
}

func (s *Service) report1(p peer.ID, kind string) {
	s.cfg.Metrics.Misbehaviour(kind)
	if s.cfg.Reporter != nil {
		s.cfg.Reporter.ReportMisbehaviour(p, string(protocols.Consensus), kind)
	}
}

// validate is the fallback topic validator (SPEC §5.6): Reject a size
// outside the buckets, Ignore past FallbackPeerRate, else Accept (the flow
// Sender then charges the forward budget, Ignore if spent). It never opens
// the envelope.
func (s *Service) validate(_ context.Context, from peer.ID, data []byte) p2p.ValidationResult {
	if !ValidEnvelopeSize(len(data)) {
		s.cfg.Metrics.FallbackEnvelope(EnvelopeReject)
		return p2p.Reject
	}
	if from != s.cfg.Sender.Self() && !s.rate.allow(from, len(data), time.Now()) {
		s.cfg.Metrics.FallbackEnvelope(EnvelopeIgnore)
		return p2p.Ignore
	}
	s.cfg.Metrics.FallbackEnvelope(EnvelopeAccept)
	return p2p.Accept
}

// readTopic opens fallback envelopes of this committee and feeds their
// AggregateShares to the core; foreign tags are dropped locally.
func (s *Service) readTopic() {
	defer s.wg.Done()
	for {
		m, err := s.sub.Next(s.ctx)
		if err != nil {
			return
		}
		if m.Local {
			continue
		}
		if in, ok := s.openTopic(m.Data); ok && !s.push(in) {
			return
		}
	}
}

// openTopic opens one envelope; ok=false drops it.
func (s *Service) openTopic(data []byte) (inbound, bool) {
	if s.cfg.Carriage == CarryDirectOnly {
		return inbound{}, false
	}
	frame, err := s.opener.open(data)
	if err != nil {
		return inbound{}, false // another committee's, or garbage (validator passed size)
	}
	msg, err := consensus.Unmarshal(frame)
	if err != nil {
		return inbound{}, false
	}
	switch m := msg.(type) {
	case *consensus.AggregateShare:
		if m.Witness == s.cfg.Core.Self {
			return inbound{}, false
		}
		return inbound{from: m.Witness, msg: m}, true
	case *consensus.Commit:
		return s.commitFromTopic(m)
	}
	return inbound{}, false
}

// commitFromTopic attributes a topic Commit to some other member (a
// Commit is self-verifying; the sender only matters for replies).
func (s *Service) commitFromTopic(m *consensus.Commit) (inbound, bool) {
	for _, mem := range s.com.Load().Members {
		if mem.Witness != s.cfg.Core.Self {
			return inbound{from: mem.Witness, msg: m}, true
		}
	}
	return inbound{}, false
}
