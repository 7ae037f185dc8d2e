package tree

import (
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
)

// benchAuthority is a single-device authority with 10⁴ tree commits
// (8334-step chain, a competing sibling every 5 steps) and `extra`
// distinct unseen commits at the tip.
func benchAuthority(b *testing.B, extra int) (*fixture, []journal.Entry, []journal.Entry) {
	f := newFixture(b, 90)
	es, tip := f.buildChain(f.g0, 8334, 5)
	all := append(es, f.gen)
	var tips []journal.Entry
	for i := range extra {
		tips = append(tips, f.commit(tip, rotate(tip, uint8(i))).entry)
	}
	return f, all, tips
}

// BenchmarkReduce10kScratch: a cold Reducer reduces 10⁴ tree facts (every
// commit's valid() evaluated: frostx.Verify + op replay).
func BenchmarkReduce10kScratch(b *testing.B) {
	f, all, _ := benchAuthority(b, 0)
	for b.Loop() {
		if _, err := NewReducer(Config{}).Reduce(f.ns, all); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReduce10kIncremental: a warm Reducer re-reduces the 10⁴ facts
// plus one commit it has not seen (one valid() evaluation per op).
func BenchmarkReduce10kIncremental(b *testing.B) {
	f, all, tips := benchAuthority(b, 256)
	r := NewReducer(Config{})
	if _, err := r.Reduce(f.ns, all); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		set := append(all[:len(all):len(all)], tips[i%len(tips)])
		i++
		if _, err := r.Reduce(f.ns, set); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Evaluations()-uint64(len(all)-1))/float64(i), "evals/op")
}

// BenchmarkValidKeyRotation: one uncached valid() of a 3-of-5 membership
// commit (FROST signature + full KeyRotation validation, SPEC §4 ≈ 1.6 ms).
func BenchmarkValidKeyRotation(b *testing.B) {
	f := newFixture(b, 91)
	_, s := f.grow(91, 5, 3)
	c := f.commit(s, f.op(s, RotateEpoch, nil, nil, nil, true))
	cm := &commit{entry: c.entry.ID, fact: c.cf}
	cm.op, _ = DecodeTreeOp(c.cf.Op)
	for b.Loop() {
		r := NewReducer(Config{})
		if ok, _ := r.validAt(f.auth, s, cm); !ok {
			b.Fatal("invalid")
		}
	}
}
