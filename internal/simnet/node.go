package simnet

import (
	"context"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/p2p"
)

// Node is one incarnation of a simulated peer; it implements p2p.Transport.
// After Crash (or Restart, or Network.Close) every method fails with
// p2p.ErrClosed and Handle is a no-op. All fields are guarded by the
// network mutex.
type Node struct {
	net      *Network
	id       peer.ID
	inc      uint32
	alive    bool
	handlers map[protocol.ID]p2p.StreamHandler
	subs     map[string]*sub
	ends     map[*end]struct{} // live stream ends held by this node
	opens    map[openKey]uint64
	pubs     map[string]uint64
}

type openKey struct {
	dst   peer.ID
	proto protocol.ID
}

var _ p2p.Transport = (*Node)(nil)

func newNode(n *Network, id peer.ID, inc uint32) *Node {
	return &Node{
		net: n, id: id, inc: inc, alive: true,
		handlers: map[protocol.ID]p2p.StreamHandler{}, subs: map[string]*sub{},
		ends: map[*end]struct{}{}, opens: map[openKey]uint64{}, pubs: map[string]uint64{},
	}
}

// Self is the node's peer ID.
func (nd *Node) Self() peer.ID { return nd.id }

// Incarnation counts Restarts of this peer ID, starting at 1.
func (nd *Node) Incarnation() uint32 { return nd.inc }

// Alive reports whether this incarnation has not crashed.
func (nd *Node) Alive() bool {
	nd.net.mu.Lock()
	defer nd.net.mu.Unlock()
	return nd.alive
}

// Handle registers h for inbound streams of proto, replacing any previous
// handler. simnet runs h on its own goroutine when the open reaches this
// node (one link latency after Open) and waits for it in Network.Close.
func (nd *Node) Handle(proto protocol.ID, h p2p.StreamHandler) {
	nd.net.mu.Lock()
	defer nd.net.mu.Unlock()
	if nd.alive {
		nd.handlers[proto] = h
	}
}

// RemoveHandler unregisters proto. Opens already in flight are refused
// (reset) on arrival.
func (nd *Node) RemoveHandler(proto protocol.ID) {
	nd.net.mu.Lock()
	defer nd.net.mu.Unlock()
	delete(nd.handlers, proto)
}

// Open opens a stream to p. It costs no virtual time for the caller
// (lazy multistream negotiation): the stream is usable at once, and the
// remote handler starts when the open event arrives one link delay later,
// ahead of the stream's first frame. Errors: p2p.ErrClosed (this node is
// down), p2p.ErrUnreachable (unknown, self, crashed, or across a partition
// or down link), p2p.ErrNoProtocol (no handler for proto on p now), ctx.Err().
func (nd *Node) Open(ctx context.Context, p peer.ID, proto protocol.ID) (p2p.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := nd.net
	n.mu.Lock()
	dst, err := nd.openTargetLocked(p, proto)
	if err != nil {
		n.mu.Unlock()
		return nil, err
	}
	ok := openKey{p, proto}
	key := StreamKey{Opener: nd.id, Incarnation: nd.inc, Dst: p, Proto: proto, N: nd.opens[ok]}
	nd.opens[ok]++
	st := newStream(key, nd, dst)
	ev := st.ends[0].sendLocked(KindOpen, nil, [32]byte{})
	taps := n.onSend
	n.mu.Unlock()
	callTaps(taps, ev)
	return st.ends[0], nil
}

func (nd *Node) openTargetLocked(p peer.ID, proto protocol.ID) (*Node, error) {
	n := nd.net
	if !nd.alive {
		return nil, p2p.ErrClosed
	}
	dst := n.nodes[p]
	switch {
	case p == nd.id:
		return nil, fmt.Errorf("%w: dial to self", p2p.ErrUnreachable)
	case dst == nil || !dst.alive:
		return nil, fmt.Errorf("%w: %s is not running", p2p.ErrUnreachable, p)
	case n.cutLocked(nd.id, p) || n.cutLocked(p, nd.id):
		return nil, fmt.Errorf("%w: %s is across a partition or down link", p2p.ErrUnreachable, p)
	case dst.handlers[proto] == nil:
		return nil, fmt.Errorf("%w: %s on %s", p2p.ErrNoProtocol, proto, p)
	}
	return dst, nil
}
