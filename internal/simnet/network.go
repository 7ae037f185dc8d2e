package simnet

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// Network is a simulated set of nodes. All state sits behind one mutex;
// a single scheduler goroutine (run) owns delivery. Methods are safe for
// concurrent use; Partition, Crash and friends are meant to be called from
// the test goroutine after RunUntilQuiet or Advance so their effect is
// ordered against deliveries.
type Network struct {
	cfg    Config
	k0, k1 uint64 // SipHash key derived from Seed
	start  time.Time
	log    *slog.Logger
	ctx    context.Context // passed to validators; cancelled by Close
	cancel context.CancelFunc
	kick   chan struct{} // wakes the scheduler after an enqueue
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	nodes   map[peer.ID]*Node // current incarnation per peer
	order   []peer.ID         // AddNode order
	incs    map[peer.ID]uint32
	stats   map[peer.ID]*Stats
	group   map[peer.ID]int // partition group; nil when healed
	links   map[linkID]LinkConfig
	fifo    map[linkID]*linkFIFO
	topics  map[string]map[peer.ID]*sub
	queue   eventHeap
	lastAt  time.Time // instant of the last delivery (one per instant)
	trace   traceLog
	scratch []byte
	onSend  []func(Event)
	onDeliv []func(Event)
}

type linkID struct{ from, to peer.ID }

// Stats are per-peer counters, kept across Restart.
type Stats struct {
	FramesSent, BytesSent           uint64 // stream data frames accepted by WriteFrame
	FramesDelivered, BytesDelivered uint64 // stream data frames delivered to this peer
	Published                       uint64 // Publish calls that sent
	TopicDelivered                  uint64 // topic messages delivered here (incl. local and dups)
	Dropped                         uint64 // events from this peer lost to drop draws
	Cut                             uint64 // events from this peer cut by partition/down/crash
	Resets                          uint64 // stream ends of this peer that were reset
	Rejected                        uint64 // this peer's messages rejected by receivers (penalty)
	Ignored                         uint64 // this peer's messages ignored by receivers
}

// New starts a network. Call it inside a testing/synctest bubble (see
// doc.go) and Close it before the bubble ends. It panics on an invalid
// Config (a test-setup bug); check Config.Validate first to handle it.
func New(cfg Config) *Network {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	n := &Network{
		cfg: cfg, start: time.Now(), log: cfg.Logger,
		kick: make(chan struct{}, 1), done: make(chan struct{}),
		nodes: map[peer.ID]*Node{}, incs: map[peer.ID]uint32{}, stats: map[peer.ID]*Stats{},
		links: map[linkID]LinkConfig{}, fifo: map[linkID]*linkFIFO{},
		topics: map[string]map[peer.ID]*sub{}, trace: newTraceLog(!cfg.NoTraceLog),
	}
	if n.log == nil {
		n.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	key := canon.H("aura/simnet/seed/v1", binary.BigEndian.AppendUint64(nil, uint64(cfg.Seed)))
	n.k0, n.k1 = binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:16])
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.wg.Add(1)
	go n.run()
	return n
}

// Now is time.Now(): inside a synctest bubble, the virtual clock.
func (n *Network) Now() time.Time { return time.Now() }

// Elapsed is virtual time since New.
func (n *Network) Elapsed() time.Duration { return time.Since(n.start) }

// AddNode adds a peer and returns its transport. It panics if id is
// already present (use Restart to replace a node).
func (n *Network) AddNode(id peer.ID) *Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.nodes[id]; ok || n.closed {
		panic(fmt.Sprintf("simnet: AddNode(%s): duplicate peer or closed network", id))
	}
	n.order = append(n.order, id)
	n.stats[id] = &Stats{}
	return n.newNodeLocked(id)
}

// AddNodes adds k nodes with IDs PeerID(i), continuing after the nodes
// already present, and returns them in order.
func (n *Network) AddNodes(k int) []*Node {
	n.mu.Lock()
	base := len(n.order)
	n.mu.Unlock()
	out := make([]*Node, k)
	for i := range out {
		out[i] = n.AddNode(PeerID(base + i))
	}
	return out
}

func (n *Network) newNodeLocked(id peer.ID) *Node {
	n.incs[id]++
	nd := newNode(n, id, n.incs[id])
	n.nodes[id] = nd
	return nd
}

// Node returns the current incarnation of id, or nil.
func (n *Network) Node(id peer.ID) *Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nodes[id]
}

// Peers lists peer IDs in AddNode order.
func (n *Network) Peers() []peer.ID {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]peer.ID(nil), n.order...)
}

// Stats returns a copy of id's counters.
func (n *Network) Stats(id peer.ID) Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s := n.stats[id]; s != nil {
		return *s
	}
	return Stats{}
}

// Pending is the number of scheduled, undelivered events.
func (n *Network) Pending() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.queue)
}

// OnSend registers f to run on every send (Open, WriteFrame, CloseWrite,
// Reset, Publish), synchronously in the sender's goroutine before the call
// returns, with Outcome Sent. It always runs before the event can be
// delivered: delivery takes at least 1ns of virtual time, which cannot pass
// while the sender is running. Audits of writes (charge-before-send) filter
// on Kind (KindFrame, KindTopic; a Publish is one event with empty Dst).
// Rejected writes (oversize, closed, reset, failed local validation) are
// not reported; the reset an oversize write causes is (KindReset). f runs without the network lock, may run concurrently
// from several goroutines, and must not block.
func (n *Network) OnSend(f func(Event)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onSend = append(n.onSend, f)
}

// OnDeliver registers f to run on every processed event (whatever its
// Outcome), in trace order, on the scheduler goroutine, without the network
// lock. f must not block or call RunUntilQuiet.
func (n *Network) OnDeliver(f func(Event)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onDeliv = append(n.onDeliv, f)
}

// Close crashes every node (resetting all streams, cancelling all
// subscriptions), discards pending events, stops the scheduler and waits for
// it and for every handler goroutine simnet started. Handlers must return
// once their stream fails. Idempotent.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	for _, id := range n.order {
		n.crashLocked(n.nodes[id])
	}
	n.queue = nil
	n.mu.Unlock()
	n.cancel()
	close(n.done)
	n.wg.Wait()
	return nil
}
