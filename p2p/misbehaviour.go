package p2p

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Misbehaviour kinds (SPEC §6.6); the protocol label is the protocol ID or
// topic. Protocol packages may report their own kinds (bad_symbols,
// bad_sig, bad_chain) through Host.ReportMisbehaviour.
const (
	KindOversize        = "oversize"
	KindBadFrame        = "bad_frame"
	KindValidatorReject = "validator_reject"
)

// misbehaviourBook is the deterministic core of SPEC §6.6 peer hygiene: it
// keeps each peer's point times within a sliding span and the gate expiry
// of peers that reached the limit. It does no I/O, reads no clock and is
// not safe for concurrent use (gater.go serialises it).
type misbehaviourBook struct {
	limit  int
	span   time.Duration
	gate   time.Duration
	points map[peer.ID][]time.Time
	gated  map[peer.ID]time.Time // gate expiry
}

func newMisbehaviourBook(limit int, span, gate time.Duration) *misbehaviourBook {
	return &misbehaviourBook{
		limit:  limit,
		span:   span,
		gate:   gate,
		points: make(map[peer.ID][]time.Time),
		gated:  make(map[peer.ID]time.Time),
	}
}

// add records one point against p at now and reports whether p has just
// reached the limit (then it is gated until now+gate and its points are
// cleared). Points against an already gated peer are counted but do not
// re-trigger.
func (b *misbehaviourBook) add(p peer.ID, now time.Time) (reached bool) {
	if b.isGated(p, now) {
		return false
	}
	pts := append(b.live(p, now), now)
	if len(pts) < b.limit {
		b.points[p] = pts
		return false
	}
	delete(b.points, p)
	b.gated[p] = now.Add(b.gate)
	return true
}

// live returns p's points newer than now-span, dropping older ones.
func (b *misbehaviourBook) live(p peer.ID, now time.Time) []time.Time {
	pts := b.points[p]
	cut := now.Add(-b.span)
	i := 0
	for i < len(pts) && !pts[i].After(cut) {
		i++
	}
	return pts[i:]
}

// count returns p's live points at now.
func (b *misbehaviourBook) count(p peer.ID, now time.Time) int {
	return len(b.live(p, now))
}

// isGated reports whether p is refused at now, forgetting expired gates.
func (b *misbehaviourBook) isGated(p peer.ID, now time.Time) bool {
	until, ok := b.gated[p]
	if !ok {
		return false
	}
	if now.Before(until) {
		return true
	}
	delete(b.gated, p)
	return false
}

// prune forgets peers with no live points and no active gate, bounding
// memory to peers seen within one span.
func (b *misbehaviourBook) prune(now time.Time) {
	for p := range b.points {
		if pts := b.live(p, now); len(pts) == 0 {
			delete(b.points, p)
		} else {
			b.points[p] = pts
		}
	}
	for p := range b.gated {
		b.isGated(p, now)
	}
}
