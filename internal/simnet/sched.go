package simnet

import (
	"context"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/dchest/siphash"
)

// event is one scheduled delivery. Its random draws and its tie-break key
// (k0, k1) come from SipHash(seed, identity), never from call order, so the
// schedule does not depend on which goroutine enqueued first.
type event struct {
	at     time.Time
	k0, k1 uint64
	ev     Event // At and Outcome are filled when processed
	to     *end  // receiving stream end (stream kinds)
	dst    *Node // receiving incarnation (topic kind)
	drop   bool
}

// eventHeap is a binary min-heap ordered by (at, k0, k1).
type eventHeap []*event

func (h eventHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	if a.k0 != b.k0 {
		return a.k0 < b.k0
	}
	return a.k1 < b.k1
}

func (h *eventHeap) push(e *event) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *eventHeap) pop() *event {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = nil
	q = q[:last]
	*h = q
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q.less(l, m) {
			m = l
		}
		if r < len(q) && q.less(r, m) {
			m = r
		}
		if m == i {
			return top
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
}

// keyLocked hashes an identity built by fill into the event's draw seed.
func (n *Network) keyLocked(fill func(b []byte) []byte) (uint64, uint64) {
	n.scratch = fill(n.scratch[:0])
	return siphash.Hash128(n.k0, n.k1, n.scratch)
}

func appendLP(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// linkFIFO keeps one link in order when Reorder is off. Sends made at the
// same instant are not ordered against each other (their goroutine order is
// not deterministic); each is clamped after everything sent at earlier
// instants.
type linkFIFO struct{ instant, prev, cur time.Time }

// enqueueLocked draws e's delay and drop from its key and the link config,
// applies the per-stream (streamLast) and per-link FIFO clamps, and pushes
// it. It returns the draw source so callers can make further draws (dup).
func (n *Network) enqueueLocked(e *event, droppable bool, streamLast *time.Time) *rand.PCG {
	now := time.Now()
	lc := LinkConfig{}
	if !e.ev.Local {
		lc = n.linkLocked(e.ev.Src, e.ev.Dst)
	}
	r := rand.NewPCG(e.k0, e.k1)
	d := lc.Latency
	if j := r.Uint64(); lc.Jitter > 0 {
		d += time.Duration(j % uint64(lc.Jitter+1))
	}
	e.drop = unitFloat(r.Uint64()) < lc.Drop && droppable
	at := now.Add(max1ns(d))
	if streamLast != nil {
		at = strictlyAfter(at, *streamLast)
	}
	if !n.cfg.Reorder && !e.ev.Local {
		at = n.linkFIFOLocked(linkID{e.ev.Src, e.ev.Dst}, now, at)
	}
	if streamLast != nil {
		*streamLast = at
	}
	e.at = at
	n.queue.push(e)
	select {
	case n.kick <- struct{}{}:
	default:
	}
	return r
}

func (n *Network) linkFIFOLocked(id linkID, now, at time.Time) time.Time {
	f := n.fifo[id]
	if f == nil {
		f = &linkFIFO{}
		n.fifo[id] = f
	}
	if now.After(f.instant) {
		if f.cur.After(f.prev) {
			f.prev = f.cur
		}
		f.instant = now
	}
	at = strictlyAfter(at, f.prev)
	if at.After(f.cur) {
		f.cur = at
	}
	return at
}

func strictlyAfter(at, last time.Time) time.Time {
	if at.After(last) {
		return at
	}
	return last.Add(time.Nanosecond)
}

func unitFloat(u uint64) float64 { return float64(u>>11) / (1 << 53) }

// run is the scheduler goroutine. It delivers at most one event per
// virtual instant: when several are due it delivers the least (at, key)
// and sleeps 1ns, so synctest runs each delivery's consequences to
// quiescence before the next one and same-instant ties cannot race.
func (n *Network) run() {
	defer n.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		e, wait, ok := n.nextDue()
		if !ok {
			return
		}
		if e != nil {
			n.process(e)
			continue
		}
		if !n.sleep(timer, wait) {
			return
		}
	}
}

// nextDue pops the event to deliver now, or says how long to wait (0:
// until kicked). ok is false once the network is closed.
func (n *Network) nextDue() (e *event, wait time.Duration, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, 0, false
	}
	if len(n.queue) == 0 {
		return nil, 0, true
	}
	now := time.Now()
	if !n.queue[0].at.After(now) && now.After(n.lastAt) {
		n.lastAt = now
		return n.queue.pop(), 0, true
	}
	next := n.queue[0].at
	if !next.After(now) {
		next = now.Add(time.Nanosecond)
	}
	return nil, next.Sub(now), true
}

func (n *Network) sleep(timer *time.Timer, wait time.Duration) bool {
	if wait <= 0 {
		select {
		case <-n.kick:
			return true
		case <-n.done:
			return false
		}
	}
	timer.Reset(wait)
	select {
	case <-timer.C:
		return true
	case <-n.kick:
		timer.Stop()
		return true
	case <-n.done:
		timer.Stop()
		return false
	}
}

// process applies one popped event, records it and runs the taps.
func (n *Network) process(e *event) {
	if e.ev.Kind == KindTopic {
		n.processTopic(e)
		return
	}
	n.mu.Lock()
	spawn := n.applyStreamLocked(e)
	taps := n.recordLocked(e)
	n.mu.Unlock()
	if spawn != nil {
		go spawn()
	}
	callTaps(taps, e.ev)
}

// recordLocked stamps e and appends it to the trace; it returns the
// delivery taps to call once the lock is released.
func (n *Network) recordLocked(e *event) []func(Event) {
	e.ev.At = time.Since(n.start)
	n.trace.add(e.ev)
	if n.log.Enabled(context.Background(), slog.LevelDebug) {
		n.log.Debug("simnet event", "at", e.ev.At, "kind", e.ev.Kind, "outcome", e.ev.Outcome,
			"src", e.ev.Src, "peer", e.ev.Dst, "topic", e.ev.Topic, "seq", e.ev.Seq, "len", e.ev.Len)
	}
	return n.onDeliv
}

func callTaps(taps []func(Event), ev Event) {
	for _, f := range taps {
		f(ev)
	}
}
