package journal_test

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

// BenchmarkPutSynced measures synced write throughput on real pebble:
// entries/s with single-entry batches vs 128-entry batches.
func BenchmarkPutSynced(b *testing.B) {
	for _, size := range []int{1, 128} {
		b.Run(map[int]string{1: "batch=1", 128: "batch=128"}[size], func(b *testing.B) {
			benchPut(b, size)
		})
	}
}

func benchPut(b *testing.B, size int) {
	ctx := context.Background()
	d, err := journal.OpenPebble(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ns := journal.ContextNS(journal.ContextID{42})
	j, err := journal.Open(ctx, d, journal.Config{})
	if err != nil {
		b.Fatal(err)
	}
	j.Join(ns)
	seq := uint64(0)
	batch := make([]journal.Entry, size)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for i := range batch {
			batch[i] = benchEntry(ns, seq)
			seq++
		}
		b.StartTimer()
		if err := j.Put(ctx, ns, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "entries/s")
}

// benchEntry is an unknown-type fact with a 200-byte body (no signing).
func benchEntry(ns journal.Namespace, i uint64) journal.Entry {
	body := make([]byte, 200)
	binary.BigEndian.PutUint64(body, i)
	e, err := journal.NewEntry(journal.Fact{NS: ns, Type: 600, Schema: 1, Body: body})
	if err != nil {
		panic(err)
	}
	return e
}

// BenchmarkIngress measures stateless ingress of a signed Generic fact.
func BenchmarkIngress(b *testing.B) {
	c := jt.NewStaticContext("bench", 2)
	raw := c.Generic(0, 1, make([]byte, 200)).Canonical()
	chk := journal.NewChecker(journal.DefaultConfig())
	for b.Loop() {
		if _, err := chk.Check(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReduceContext reduces a static context of 1000 Generic facts.
func BenchmarkReduceContext(b *testing.B) {
	c := jt.NewStaticContext("bench", 3)
	es := []journal.Entry{jt.MustEntry(c.Genesis())}
	for i := range 1000 {
		es = append(es, jt.MustEntry(c.Generic(i%3, 1, binary.BigEndian.AppendUint64(nil, uint64(i)))))
	}
	reg := journal.DefaultRegistry()
	for b.Loop() {
		if _, err := reg.Reduce(c.NS(), es); err != nil {
			b.Fatal(err)
		}
	}
}
