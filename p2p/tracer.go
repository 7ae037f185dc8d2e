package p2p

import (
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// meshTracer is a pubsub RawTracer that tracks this host's mesh per topic
// (GossipSub does not expose it) and feeds Metrics. Pubsub calls it from
// its event loop; the mutex only guards against concurrent MeshSize reads.
type meshTracer struct {
	m    Metrics
	mu   sync.Mutex
	mesh map[string]map[peer.ID]struct{}
}

var _ pubsub.RawTracer = (*meshTracer)(nil)

func newMeshTracer(m Metrics) *meshTracer {
	return &meshTracer{m: m, mesh: make(map[string]map[peer.ID]struct{})}
}

func (t *meshTracer) meshSize(topic string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.mesh[topic])
}

// Graft implements pubsub.RawTracer.
func (t *meshTracer) Graft(p peer.ID, topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mesh[topic] == nil {
		t.mesh[topic] = make(map[peer.ID]struct{})
	}
	t.mesh[topic][p] = struct{}{}
}

// Prune implements pubsub.RawTracer.
func (t *meshTracer) Prune(p peer.ID, topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.mesh[topic], p)
}

// Leave implements pubsub.RawTracer.
func (t *meshTracer) Leave(topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.mesh, topic)
}

// DeliverMessage implements pubsub.RawTracer.
func (t *meshTracer) DeliverMessage(msg *pubsub.Message) { t.m.GossipDelivered(msg.GetTopic()) }

// UndeliverableMessage implements pubsub.RawTracer.
func (t *meshTracer) UndeliverableMessage(*pubsub.Message) { t.m.GossipDropped(DropSubscriberSlow) }

// DropRPC implements pubsub.RawTracer.
func (t *meshTracer) DropRPC(*pubsub.RPC, peer.ID) { t.m.GossipDropped(DropRPC) }

// RejectMessage implements pubsub.RawTracer; capacity rejections count as
// drops (validator verdicts are counted by the host's validator).
func (t *meshTracer) RejectMessage(_ *pubsub.Message, reason string) {
	switch reason {
	case pubsub.RejectValidationQueueFull:
		t.m.GossipDropped(DropValidationQueueFull)
	case pubsub.RejectValidationThrottled:
		t.m.GossipDropped(DropValidationThrottled)
	}
}

// Drop reasons for Metrics.GossipDropped.
const (
	DropRPC                 = "rpc_dropped"
	DropValidationQueueFull = "validation_queue_full"
	DropValidationThrottled = "validation_throttled"
	DropSubscriberSlow      = "subscriber_slow"
)

// The remaining RawTracer events are not observed.

func (t *meshTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (t *meshTracer) OnClosedOutboundStream(peer.ID)                       {}
func (t *meshTracer) Join(string)                                          {}
func (t *meshTracer) ValidateMessage(*pubsub.Message)                      {}
func (t *meshTracer) DuplicateMessage(*pubsub.Message)                     {}
func (t *meshTracer) ThrottlePeer(peer.ID)                                 {}
func (t *meshTracer) RecvRPC(*pubsub.RPC)                                  {}
func (t *meshTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (t *meshTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
