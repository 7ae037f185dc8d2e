package simnet

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"lukechampine.com/blake3"

	"github.com/aura-p2p/aura-p2p/p2p"
)

// sub is a node's subscription to one topic; it implements
// p2p.Subscription. Fields are guarded by the network mutex.
type sub struct {
	node      *Node
	topic     string
	v         p2p.Validator
	queue     []*p2p.Message
	cancelled bool // Cancel called
	closed    bool // node crashed or network closed
	waiter    chan struct{}
}

var _ p2p.Subscription = (*sub)(nil)

func (s *sub) wake() {
	if s.waiter != nil {
		close(s.waiter)
		s.waiter = nil
	}
}

// Subscribe joins topic with validator v (nil accepts all). A node holds
// at most one active subscription per topic (ErrAlreadySubscribed). GossipSub
// is modelled as direct delivery from the publisher to every subscriber
// with per-link delay and drop; mesh formation takes no time.
func (nd *Node) Subscribe(topic string, v p2p.Validator) (p2p.Subscription, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if !nd.alive {
		return nil, p2p.ErrClosed
	}
	if nd.subs[topic] != nil {
		return nil, fmt.Errorf("%w: %s", ErrAlreadySubscribed, topic)
	}
	s := &sub{node: nd, topic: topic, v: v}
	nd.subs[topic] = s
	if n.topics[topic] == nil {
		n.topics[topic] = map[peer.ID]*sub{}
	}
	n.topics[topic][nd.id] = s
	return s, nil
}

// Next blocks until a message, ctx end, Cancel (p2p.ErrSubscriptionCancelled)
// or the node's crash (p2p.ErrClosed). Messages come in delivery order.
func (s *sub) Next(ctx context.Context) (*p2p.Message, error) {
	n := s.node.net
	for {
		n.mu.Lock()
		m, ready, err := s.nextLocked()
		if ready {
			n.mu.Unlock()
			return m, err
		}
		if s.waiter == nil {
			s.waiter = make(chan struct{})
		}
		w := s.waiter
		n.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *sub) nextLocked() (*p2p.Message, bool, error) {
	switch {
	case s.cancelled:
		return nil, true, p2p.ErrSubscriptionCancelled
	case len(s.queue) > 0:
		m := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		return m, true, nil
	case s.closed:
		return nil, true, p2p.ErrClosed
	}
	return nil, false, nil
}

// Cancel leaves the topic: Publish on it then fails with
// p2p.ErrNotSubscribed and messages in flight to it are discarded.
func (s *sub) Cancel() {
	n := s.node.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if s.cancelled {
		return
	}
	s.cancelled = true
	s.queue = nil
	n.unsubscribeLocked(s)
	s.wake()
}

func (n *Network) unsubscribeLocked(s *sub) {
	if s.node.subs[s.topic] == s {
		delete(s.node.subs, s.topic)
	}
	if m := n.topics[s.topic]; m[s.node.id] == s {
		delete(m, s.node.id)
	}
}

// Publish sends data to every current subscriber of topic, including this
// node (Local=true). The publisher's validator runs first, synchronously;
// Reject or Ignore fails with ErrValidationFailed and sends nothing. Each
// remote copy gets its own delay, drop and dup draw; receivers' validators
// run on delivery (Reject also counts in the publisher's Stats.Rejected).
// Concurrent Publish calls from one node on one topic get an undefined
// counter order (and so undefined draws): publish from one goroutine.
func (nd *Node) Publish(ctx context.Context, topic string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := nd.publishValidator(topic)
	if err != nil {
		return err
	}
	if v != nil {
		if res := v(ctx, nd.id, data); res != p2p.Accept {
			return fmt.Errorf("%w: topic %s", ErrValidationFailed, topic)
		}
	}
	data = append([]byte(nil), data...)
	digest := blake3.Sum256(data)
	n := nd.net
	n.mu.Lock()
	ev, err := nd.publishLocked(topic, data, digest)
	taps := n.onSend
	n.mu.Unlock()
	if err != nil {
		return err
	}
	callTaps(taps, ev)
	return nil
}

func (nd *Node) publishValidator(topic string) (p2p.Validator, error) {
	nd.net.mu.Lock()
	defer nd.net.mu.Unlock()
	if err := nd.publishableLocked(topic); err != nil {
		return nil, err
	}
	return nd.subs[topic].v, nil
}

func (nd *Node) publishableLocked(topic string) error {
	if !nd.alive {
		return p2p.ErrClosed
	}
	if nd.subs[topic] == nil {
		return fmt.Errorf("%w: %s", p2p.ErrNotSubscribed, topic)
	}
	return nil
}

// publishLocked fans one message out to the current subscribers.
func (nd *Node) publishLocked(topic string, data []byte, digest [32]byte) (Event, error) {
	n := nd.net
	if err := nd.publishableLocked(topic); err != nil {
		return Event{}, err
	}
	seq := nd.pubs[topic]
	nd.pubs[topic]++
	base := Event{Kind: KindTopic, Src: nd.id, Topic: topic, Seq: seq, Len: len(data), Digest: digest, Data: data}
	for _, s := range n.topics[topic] {
		nd.scheduleTopicLocked(base, s.node, 0)
	}
	n.stats[nd.id].Published++
	base.Outcome, base.At = Sent, time.Since(n.start)
	return base, nil
}

// scheduleTopicLocked enqueues one copy for dst and, on a dup draw, a
// second copy with its own identity and delay.
func (nd *Node) scheduleTopicLocked(base Event, dst *Node, dup uint8) {
	n := nd.net
	e := &event{dst: dst, ev: base}
	e.ev.Dst, e.ev.Dup, e.ev.Local = dst.id, dup, dst == nd
	e.k0, e.k1 = n.keyLocked(func(b []byte) []byte { return nd.topicIdentity(b, base, dst, dup) })
	r := n.enqueueLocked(e, true, nil)
	if dup == 0 && dst != nd && unitFloat(r.Uint64()) < n.cfg.DupRate {
		nd.scheduleTopicLocked(base, dst, 1)
	}
}

func (nd *Node) topicIdentity(b []byte, base Event, dst *Node, dup uint8) []byte {
	b = append(b, 't', dup)
	b = appendLP(b, string(nd.id))
	b = appendU64(b, uint64(nd.inc))
	b = appendLP(b, base.Topic)
	b = appendU64(b, base.Seq)
	b = appendLP(b, string(dst.id))
	return appendU64(b, uint64(dst.inc))
}
