package simnet

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"lukechampine.com/blake3"
)

// Kind is what an Event carries.
type Kind uint8

const (
	// KindOpen opens a stream; its delivery starts the remote handler.
	KindOpen Kind = iota + 1
	// KindFrame is one stream data frame (WriteFrame).
	KindFrame
	// KindFin is a half-close (CloseWrite/Close); the remote reads io.EOF.
	KindFin
	// KindReset aborts the stream at the remote end (Reset, oversize write).
	KindReset
	// KindTopic is one topic message to one subscriber (Publish).
	KindTopic
)

var kindNames = [...]string{"?", "open", "frame", "fin", "reset", "topic"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return kindNames[0]
}

// Outcome is what happened to an Event.
type Outcome uint8

const (
	// Sent marks send-tap events (OnSend); never in the delivery trace.
	Sent Outcome = iota + 1
	// Delivered: handed to the stream end, handler or subscription.
	Delivered
	// Dropped: lost to a seeded drop draw; a stream event resets its stream.
	Dropped
	// Cut: the destination was unreachable at delivery time (partition,
	// link down, crashed); a stream event resets its stream.
	Cut
	// Discarded: the target no longer wanted it (stream already reset or
	// read-closed, subscription cancelled, node restarted).
	Discarded
	// Refused: an open reached a node without a handler; stream reset.
	Refused
	// Rejected: the receiver's validator returned Reject (penalises Src).
	Rejected
	// Ignored: the receiver's validator returned Ignore.
	Ignored
)

var outcomeNames = [...]string{"?", "sent", "delivered", "dropped", "cut", "discarded", "refused", "rejected", "ignored"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return outcomeNames[0]
}

// StreamKey identifies a stream for the whole run: the opener (and its
// incarnation, bumped by Restart), the acceptor, the protocol and the
// opener's per-(Dst, Proto) open counter.
type StreamKey struct {
	Opener      peer.ID
	Incarnation uint32
	Dst         peer.ID
	Proto       protocol.ID
	N           uint64
}

// Event is one entry of the delivery trace, or one send seen by an OnSend
// tap. Stream events carry Stream; topic events carry Topic.
type Event struct {
	// At is virtual time since New.
	At      time.Duration
	Kind    Kind
	Outcome Outcome
	// Src sent it; Dst receives it (empty for a Publish send-tap event).
	Src, Dst peer.ID
	Stream   StreamKey
	Topic    string
	// Seq is the per-stream-direction sequence (open is 0 from the opener)
	// or the publisher's per-topic publish counter.
	Seq uint64
	// Dup is 1 for the duplicate copy of a topic delivery.
	Dup uint8
	// Local is true for the publisher's own copy of a topic message.
	Local bool
	// Len is the payload length; Digest its BLAKE3-256.
	Len    int
	Digest [32]byte
	// Data is the payload, for taps only (nil in Trace entries). Shared and
	// read-only: copy before modifying.
	Data []byte
}

// appendCanonical appends the canonical form hashed into TraceHash
// (Data excluded: Digest covers it): big-endian integers, uvarint-length-
// prefixed strings, in field order.
func (e *Event) appendCanonical(b []byte) []byte {
	b = appendU64(b, uint64(e.At))
	b = append(b, byte(e.Kind), byte(e.Outcome))
	b = appendLP(b, string(e.Src))
	b = appendLP(b, string(e.Dst))
	b = appendLP(b, string(e.Stream.Opener))
	b = appendU64(b, uint64(e.Stream.Incarnation))
	b = appendLP(b, string(e.Stream.Dst))
	b = appendLP(b, string(e.Stream.Proto))
	b = appendU64(b, e.Stream.N)
	b = appendLP(b, e.Topic)
	b = appendU64(b, e.Seq)
	b = append(b, e.Dup, boolByte(e.Local))
	b = appendU64(b, uint64(e.Len))
	return append(b, e.Digest[:]...)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// traceFlush is how many encoded bytes traceLog buffers before hashing
// them (hashing one concatenation in chunks gives the same digest).
const traceFlush = 16 << 10

// traceLog is the running delivery log and its hash. Guarded by Network.mu.
type traceLog struct {
	keep    bool
	entries []Event
	h       *blake3.Hasher
	buf     []byte // encoded entries not yet written to h
	n       int
}

func newTraceLog(keep bool) traceLog {
	t := traceLog{keep: keep, h: blake3.New(32, nil)}
	t.buf = appendLP(make([]byte, 0, traceFlush+512), "aura/simnet/trace/v1")
	return t
}

func (t *traceLog) add(e Event) {
	e.Data = nil
	t.buf = e.appendCanonical(t.buf)
	if len(t.buf) >= traceFlush {
		t.flush()
	}
	t.n++
	if t.keep {
		t.entries = append(t.entries, e)
	}
}

func (t *traceLog) flush() {
	t.h.Write(t.buf)
	t.buf = t.buf[:0]
}

func (t *traceLog) sum() [32]byte {
	t.flush()
	var out [32]byte
	t.h.Sum(out[:0])
	return out
}

// Trace returns a copy of the ordered delivery log (nil with
// Config.NoTraceLog). Every event the scheduler processed appears once, in
// processing order, whatever its Outcome.
func (n *Network) Trace() []Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.trace.keep {
		return nil
	}
	return append([]Event(nil), n.trace.entries...)
}

// TraceHash is BLAKE3 over the canonical encoding of every trace entry so
// far. Same seed and same scenario ⇒ same hash.
func (n *Network) TraceHash() [32]byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.trace.sum()
}

// TraceLen is the number of events processed so far.
func (n *Network) TraceLen() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.trace.n
}
