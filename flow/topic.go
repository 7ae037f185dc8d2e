package flow

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/guard"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// forwardDst is the Dst of a topic's forward budget key; publishes use
// the zero Dst (SPEC §6.2), so the two per-device budgets of one topic
// never share a key. [GO-DECISION local to flow]
var forwardDst = journal.AuthorityID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// TopicKey is the budget key of a topic publish (forward=false) or
// forward at flow epoch e (SPEC §6.2: ctx = TopicCtx(topic), slot 0).
func TopicKey(topic string, forward bool, e uint64) budget.Key {
	k := budget.Key{Ctx: budget.TopicCtx(topic), Epoch: e}
	if forward {
		k.Dst = forwardDst
	}
	return k
}

// Publish charges an originating topic message of kind against the
// topic's per-device publish limit, then publishes data (SPEC §6.2; no
// receipt travels). stage joins the charge batch.
func (s *Sender) Publish(ctx context.Context, topic string, kind budget.Msg, data []byte, stage ...Stager) error {
	lim, ok := s.cfg.Topics[topic]
	if !ok {
		return s.exec.refuse(stage, &guard.DenialError{Stage: guard.StageSnapshot, Err: ErrNoTopicLimit})
	}
	k := TopicKey(topic, false, 0)
	snap, err := s.deviceSnapshot(kind, k.Ctx, k.Dst, lim.Publish, len(data))
	if err != nil {
		return s.exec.refuse(stage, err)
	}
	_, err = s.exec.Charge(ctx, snap, nil, stage, func(guard.Charge) error {
		return s.t.Publish(ctx, topic, data)
	})
	return err
}

// ChargeForward charges a validator Accept of a topic message of kind
// against the topic's forward limit, synced before it returns (SPEC
// §6.2). Subscribe calls it; validators written by hand may too.
func (s *Sender) ChargeForward(ctx context.Context, topic string, kind budget.Msg, data []byte) error {
	lim, ok := s.cfg.Topics[topic]
	if !ok {
		return s.exec.denied(&guard.DenialError{Stage: guard.StageSnapshot, Err: ErrNoTopicLimit})
	}
	k := TopicKey(topic, true, 0)
	snap, err := s.deviceSnapshot(kind, k.Ctx, k.Dst, lim.Forward, len(data))
	if err != nil {
		return s.exec.denied(err)
	}
	_, err = s.exec.Charge(ctx, snap, nil, nil, func(guard.Charge) error { return nil })
	return err
}

// Subscribe joins topic with validator v (nil accepts all). A message
// from another peer that v accepts is charged to the forward budget as
// kind before Accept is returned; a refused charge turns it into Ignore
// (not forwarded, no penalty for the sender).
func (s *Sender) Subscribe(topic string, kind budget.Msg, v p2p.Validator) (p2p.Subscription, error) {
	self := s.t.Self()
	return s.t.Subscribe(topic, func(ctx context.Context, from peer.ID, data []byte) p2p.ValidationResult {
		r := p2p.Accept
		if v != nil {
			r = v(ctx, from, data)
		}
		if r != p2p.Accept || from == self {
			return r
		}
		if s.ChargeForward(ctx, topic, kind, data) != nil {
			return p2p.Ignore
		}
		return p2p.Accept
	})
}
