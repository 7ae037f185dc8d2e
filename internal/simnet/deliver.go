package simnet

import (
	"encoding/binary"

	"github.com/aura-p2p/aura-p2p/p2p"
)

func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// applyStreamLocked delivers one stream event and sets its Outcome. It
// returns the handler goroutine to start for an accepted open.
func (n *Network) applyStreamLocked(e *event) func() {
	to := e.to
	src := n.stats[e.ev.Src]
	switch {
	case n.closed || to.reset:
		e.ev.Outcome = Discarded
	case !to.node.alive || n.cutLocked(e.ev.Src, e.ev.Dst):
		e.ev.Outcome = Cut
		src.Cut++
		n.resetBothLocked(to)
	case e.drop:
		e.ev.Outcome = Dropped
		src.Dropped++
		n.resetBothLocked(to)
	default:
		return n.arriveLocked(e)
	}
	return nil
}

// arriveLocked hands a reachable, undropped stream event to its end.
func (n *Network) arriveLocked(e *event) func() {
	to := e.to
	e.ev.Outcome = Delivered
	switch e.ev.Kind {
	case KindOpen:
		return n.acceptLocked(e)
	case KindFrame:
		if to.rclosed {
			e.ev.Outcome = Discarded
			return nil
		}
		to.inbox = append(to.inbox, append([]byte(nil), e.ev.Data...))
		s := n.stats[e.ev.Dst]
		s.FramesDelivered++
		s.BytesDelivered += uint64(e.ev.Len)
	case KindFin:
		to.eof = true
		to.retireIfDoneLocked()
	case KindReset:
		to.resetLocked()
	}
	to.wake()
	return nil
}

// acceptLocked starts the acceptor's handler, or refuses the stream.
func (n *Network) acceptLocked(e *event) func() {
	to := e.to
	h := to.node.handlers[e.ev.Stream.Proto]
	if h == nil {
		e.ev.Outcome = Refused
		n.resetBothLocked(to)
		return nil
	}
	n.wg.Add(1)
	return func() {
		defer n.wg.Done()
		h(to)
	}
}

// processTopic delivers one topic message: reachability and drop first,
// then the receiver's validator (outside the lock, on the scheduler
// goroutine), then the subscription queue.
func (n *Network) processTopic(e *event) {
	n.mu.Lock()
	s := n.topicTargetLocked(e)
	var v p2p.Validator
	var data []byte
	if s != nil {
		v, data = s.v, append([]byte(nil), e.ev.Data...)
	}
	n.mu.Unlock()
	res := p2p.Accept
	if v != nil && !e.ev.Local {
		res = v(n.ctx, e.ev.Src, data)
	}
	n.mu.Lock()
	if s != nil {
		n.finishTopicLocked(e, s, res, data)
	}
	taps := n.recordLocked(e)
	n.mu.Unlock()
	callTaps(taps, e.ev)
}

// topicTargetLocked returns the receiving subscription, or nil with the
// Outcome set.
func (n *Network) topicTargetLocked(e *event) *sub {
	dst := e.dst
	s := dst.subs[e.ev.Topic]
	switch {
	case n.closed:
		e.ev.Outcome = Discarded
	case !dst.alive || (!e.ev.Local && n.cutLocked(e.ev.Src, e.ev.Dst)):
		e.ev.Outcome = Cut
		n.stats[e.ev.Src].Cut++
	case s == nil:
		e.ev.Outcome = Discarded
	case e.drop:
		e.ev.Outcome = Dropped
		n.stats[e.ev.Src].Dropped++
	default:
		return s
	}
	return nil
}

func (n *Network) finishTopicLocked(e *event, s *sub, res p2p.ValidationResult, data []byte) {
	switch {
	case s.cancelled || s.closed:
		e.ev.Outcome = Discarded
	case res == p2p.Reject:
		e.ev.Outcome = Rejected
		n.stats[e.ev.Src].Rejected++
	case res != p2p.Accept:
		e.ev.Outcome = Ignored
		n.stats[e.ev.Src].Ignored++
	default:
		e.ev.Outcome = Delivered
		s.queue = append(s.queue, &p2p.Message{Topic: e.ev.Topic, From: e.ev.Src, Data: data, Local: e.ev.Local})
		s.wake()
		n.stats[e.ev.Dst].TopicDelivered++
	}
}
