package p2p

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// topicState is one joined GossipSub topic. The host registers a single
// pubsub validator per topic at join time; it dispatches to the Validator
// most recently passed to Subscribe (nil: accept).
type topicState struct {
	name      string
	t         *pubsub.Topic
	relay     pubsub.RelayCancelFunc
	validator atomic.Pointer[Validator]
}

// join returns the joined topic, joining it and registering the
// dispatching validator on first use. Callers hold no lock.
func (h *Host) join(name string) (*topicState, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: empty topic name", ErrInvalidConfig)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if ts, ok := h.topics[name]; ok {
		return ts, nil
	}
	ts := &topicState{name: name}
	// Inline: the dispatcher runs on pubsub's validation workers, so no
	// per-topic concurrency throttle can drop messages in a burst.
	if err := h.ps.RegisterTopicValidator(name, h.topicValidator(ts), pubsub.WithValidatorInline(true)); err != nil {
		return nil, fmt.Errorf("p2p: validator for %s: %w", name, err)
	}
	t, err := h.ps.Join(name)
	if err != nil {
		return nil, fmt.Errorf("p2p: join %s: %w", name, err)
	}
	ts.t = t
	h.topics[name] = ts
	return ts, nil
}

// topicValidator adapts the topic's current Validator to pubsub, counts
// verdicts and turns a Reject from a remote forwarder into a misbehaviour
// point (SPEC §6.6).
func (h *Host) topicValidator(ts *topicState) pubsub.ValidatorEx {
	return func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		res := Accept
		if v := ts.validator.Load(); v != nil && *v != nil {
			res = (*v)(ctx, from, m.GetData())
		}
		h.cfg.Metrics.GossipValidated(ts.name, res)
		if res == Reject {
			h.ReportMisbehaviour(from, ts.name, KindValidatorReject)
		}
		return toPubsubResult(res)
	}
}

func toPubsubResult(r ValidationResult) pubsub.ValidationResult {
	switch r {
	case Accept:
		return pubsub.ValidationAccept
	case Ignore:
		return pubsub.ValidationIgnore
	default:
		return pubsub.ValidationReject
	}
}

// Subscribe implements Transport. It joins topic if needed and, when v is
// non-nil, makes v the topic's validator (replacing an earlier one). The
// subscription buffers GossipSubBuffer messages.
func (h *Host) Subscribe(topic string, v Validator) (Subscription, error) {
	ts, err := h.join(topic)
	if err != nil {
		return nil, err
	}
	if v != nil {
		ts.validator.Store(&v)
	}
	sub, err := ts.t.Subscribe(pubsub.WithBufferSize(GossipSubBuffer))
	if err != nil {
		return nil, fmt.Errorf("p2p: subscribe %s: %w", topic, err)
	}
	return &subscription{sub: sub, self: h.host.ID(), hostCtx: h.ctx}, nil
}

// Publish implements Transport: ErrNotSubscribed for a topic never joined
// through Subscribe (the two neighbourhood topics are joined at start).
func (h *Host) Publish(ctx context.Context, topic string, data []byte) error {
	h.mu.Lock()
	ts, ok := h.topics[topic]
	closed := h.closed
	h.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case !ok:
		return fmt.Errorf("%w: %s", ErrNotSubscribed, topic)
	}
	if err := ts.t.Publish(ctx, data); err != nil {
		return fmt.Errorf("p2p: publish %s: %w", topic, err)
	}
	return nil
}

// Topics lists the joined topics.
func (h *Host) Topics() []string { return h.ps.GetTopics() }

// TopicPeers lists peers known to be subscribed to topic.
func (h *Host) TopicPeers(topic string) []peer.ID { return h.ps.ListPeers(topic) }

// MeshSize is the number of peers in this host's GossipSub mesh for topic.
func (h *Host) MeshSize(topic string) int { return h.tracer.meshSize(topic) }

// subscription adapts *pubsub.Subscription to Subscription.
type subscription struct {
	sub     *pubsub.Subscription
	self    peer.ID
	hostCtx context.Context // ends at Host.Close
}

// Next implements Subscription. After Host.Close it returns ErrClosed.
func (s *subscription) Next(ctx context.Context) (*Message, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.hostCtx, cancel)
	defer stop()
	m, err := s.sub.Next(ctx)
	if err != nil {
		switch {
		case errors.Is(err, pubsub.ErrSubscriptionCancelled):
			return nil, ErrSubscriptionCancelled
		case s.hostCtx.Err() != nil:
			return nil, ErrClosed
		}
		return nil, err
	}
	return &Message{
		Topic: m.GetTopic(),
		From:  m.ReceivedFrom,
		Data:  m.GetData(),
		Local: m.ReceivedFrom == s.self,
	}, nil
}

// Cancel implements Subscription.
func (s *subscription) Cancel() { s.sub.Cancel() }
