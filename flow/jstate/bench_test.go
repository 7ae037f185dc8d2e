package jstate

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

// BenchmarkContextLookup is the per-send cost of the journal-backed
// view once reduced (version check + copy), with 8 grants in the context.
func BenchmarkContextLookup(b *testing.B) {
	c := jt.NewStaticContext("bench-lookup", 2)
	a := newMember(b, c, 0, nil, nil)
	for i := range 8 {
		g, _ := grant(b, c, 1, 0, 10_000+uint64(i))
		a.add(b, g)
	}
	dst := c.Founders[1].Authority
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.st.Context(c.ID, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGuardedSend is one guarded context-scope send through a
// Sender over jstate (sink transport, in-memory datastore): receipt
// signature, charge batch, view lookup.
func BenchmarkGuardedSend(b *testing.B) {
	c := jt.NewStaticContext("bench-send", 2)
	a := newMember(b, c, 0, []peer.ID{"alice", "bob"}, &sinkTransport{self: "alice"})
	g, _ := grant(b, c, 1, 0, 1<<62)
	a.add(b, g)
	s, err := a.s.Open(bg, "bob", proto)
	if err != nil {
		b.Fatal(err)
	}
	dst := c.Founders[1].Authority
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.WriteFrame(bg, envelope(c, dst, 256, byte(i))); err != nil {
			b.Fatal(err)
		}
	}
}
