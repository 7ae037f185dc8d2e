package simnet

import (
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"lukechampine.com/blake3"

	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// stream joins the opener's end (ends[0]) and the acceptor's (ends[1]).
type stream struct {
	key  StreamKey
	ends [2]*end
}

// end is one side of a stream; it implements p2p.Stream. Fields are
// guarded by the network mutex. One goroutine reads and one writes, as on
// libp2p; concurrent writers on one end get an undefined frame order.
type end struct {
	st      *stream
	side    uint8 // 0 opener, 1 acceptor
	node    *Node
	inbox   [][]byte
	eof     bool // remote FIN delivered
	rclosed bool // local Close
	wclosed bool // local CloseWrite or Close
	reset   bool
	seq     uint64    // next sequence number sent from this end
	last    time.Time // latest scheduled delivery from this end (FIFO)
	waiter  chan struct{}
}

var _ p2p.Stream = (*end)(nil)

func newStream(key StreamKey, opener, acceptor *Node) *stream {
	st := &stream{key: key}
	st.ends[0] = &end{st: st, side: 0, node: opener}
	st.ends[1] = &end{st: st, side: 1, node: acceptor}
	opener.ends[st.ends[0]] = struct{}{}
	acceptor.ends[st.ends[1]] = struct{}{}
	return st
}

func (e *end) peerEnd() *end { return e.st.ends[1-e.side] }
func (e *end) net() *Network { return e.node.net }

// RemotePeer is the other side's peer ID.
func (e *end) RemotePeer() peer.ID { return e.peerEnd().node.id }

// Protocol is the stream's protocol ID.
func (e *end) Protocol() protocol.ID { return e.st.key.Proto }

// ReadFrame blocks until a frame, io.EOF after the remote half-closed,
// p2p.ErrStreamReset after a reset (buffered frames are discarded, as on
// yamux), or ErrStreamClosed after a local Close.
func (e *end) ReadFrame() ([]byte, error) {
	n := e.net()
	for {
		n.mu.Lock()
		f, ready, err := e.readLocked()
		if ready {
			n.mu.Unlock()
			return f, err
		}
		if e.waiter == nil {
			e.waiter = make(chan struct{})
		}
		w := e.waiter
		n.mu.Unlock()
		<-w
	}
}

func (e *end) readLocked() ([]byte, bool, error) {
	switch {
	case e.reset:
		return nil, true, p2p.ErrStreamReset
	case e.rclosed:
		return nil, true, ErrStreamClosed
	case len(e.inbox) > 0:
		f := e.inbox[0]
		e.inbox[0] = nil
		e.inbox = e.inbox[1:]
		return f, true, nil
	case e.eof:
		return nil, true, io.EOF
	}
	return nil, false, nil
}

func (e *end) wake() {
	if e.waiter != nil {
		close(e.waiter)
		e.waiter = nil
	}
}

// WriteFrame sends one frame. A frame over protocols.MaxFrame(proto)
// fails with protocols.ErrFrameTooLarge and resets the stream, as the
// libp2p adapter does. The frame is copied; the caller may reuse it.
func (e *end) WriteFrame(frame []byte) error {
	n := e.net()
	data := append([]byte(nil), frame...)
	digest := blake3.Sum256(data)
	n.mu.Lock()
	if err := e.writableLocked(); err != nil {
		n.mu.Unlock()
		return err
	}
	if max := protocols.MaxFrame(e.st.key.Proto); len(data) > max {
		ev := e.abortLocked()
		taps := n.onSend
		n.mu.Unlock()
		callTaps(taps, ev) // the reset is sent like one from Reset
		return fmt.Errorf("%w: %d > %d bytes on %s", protocols.ErrFrameTooLarge, len(data), max, e.st.key.Proto)
	}
	ev := e.sendLocked(KindFrame, data, digest)
	s := n.stats[e.node.id]
	s.FramesSent++
	s.BytesSent += uint64(len(data))
	taps := n.onSend
	n.mu.Unlock()
	callTaps(taps, ev)
	return nil
}

func (e *end) writableLocked() error {
	switch {
	case e.reset:
		return p2p.ErrStreamReset
	case e.wclosed:
		return ErrStreamClosed
	}
	return nil
}

// sendLocked schedules one event from this end to the peer end and
// returns its send-tap form.
func (e *end) sendLocked(kind Kind, data []byte, digest [32]byte) Event {
	n := e.net()
	to := e.peerEnd()
	ev := &event{to: to, ev: Event{
		Kind: kind, Src: e.node.id, Dst: to.node.id, Stream: e.st.key,
		Seq: e.seq, Len: len(data), Digest: digest, Data: data,
	}}
	e.seq++
	ev.k0, ev.k1 = n.keyLocked(func(b []byte) []byte { return e.identity(b, kind, ev.ev.Seq) })
	n.enqueueLocked(ev, kind == KindFrame, &e.last)
	out := ev.ev
	out.Outcome, out.At = Sent, time.Since(n.start)
	return out
}

func (e *end) identity(b []byte, kind Kind, seq uint64) []byte {
	k := e.st.key
	b = append(b, 's', byte(kind), e.side)
	b = appendLP(b, string(k.Opener))
	b = appendU64(b, uint64(k.Incarnation))
	b = appendLP(b, string(k.Dst))
	b = appendLP(b, string(k.Proto))
	b = appendU64(b, k.N)
	return appendU64(b, seq)
}

// CloseWrite half-closes: the remote reads io.EOF after the frames already
// written. Idempotent; p2p.ErrStreamReset after a reset.
func (e *end) CloseWrite() error {
	n := e.net()
	n.mu.Lock()
	if e.reset {
		n.mu.Unlock()
		return p2p.ErrStreamReset
	}
	if e.wclosed {
		n.mu.Unlock()
		return nil
	}
	e.wclosed = true
	ev := e.sendLocked(KindFin, nil, [32]byte{})
	e.retireIfDoneLocked()
	taps := n.onSend
	n.mu.Unlock()
	callTaps(taps, ev)
	return nil
}

// Close half-closes writing and stops reading: later frames from the
// remote are discarded and ReadFrame returns ErrStreamClosed. A Close after
// a reset returns nil.
func (e *end) Close() error {
	if err := e.CloseWrite(); err != nil {
		return nil //nolint:nilerr // closing a reset stream is not an error
	}
	n := e.net()
	n.mu.Lock()
	defer n.mu.Unlock()
	e.rclosed = true
	e.inbox = nil
	e.wake()
	e.retireIfDoneLocked()
	return nil
}

// Reset aborts the stream: this end fails at once, the remote gets
// p2p.ErrStreamReset when the reset arrives (one link delay, after frames
// already sent). Idempotent.
func (e *end) Reset() error {
	n := e.net()
	n.mu.Lock()
	if e.reset {
		n.mu.Unlock()
		return nil
	}
	ev := e.abortLocked()
	taps := n.onSend
	n.mu.Unlock()
	callTaps(taps, ev)
	return nil
}

// abortLocked resets this end now and sends a reset to the peer end.
func (e *end) abortLocked() Event {
	e.resetLocked()
	return e.sendLocked(KindReset, nil, [32]byte{})
}

// resetLocked resets this end only.
func (e *end) resetLocked() {
	if e.reset {
		return
	}
	e.reset = true
	e.inbox = nil
	e.wake()
	delete(e.node.ends, e)
	if s := e.net().stats[e.node.id]; s != nil {
		s.Resets++
	}
}

// resetBothLocked resets both ends immediately (drop, cut, crash).
func (n *Network) resetBothLocked(e *end) {
	e.resetLocked()
	e.peerEnd().resetLocked()
}

// retireIfDoneLocked forgets a finished end so Crash skips it.
func (e *end) retireIfDoneLocked() {
	if e.wclosed && (e.eof || e.rclosed) {
		delete(e.node.ends, e)
	}
}
