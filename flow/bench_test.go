package flow

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/guard"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Run: go test -run '^$' -bench . -benchtime 10000x ./flow
//
// BenchmarkCharge (SPEC §16.26): b.N charges on synced go-ds-pebble split
// over 1 or 8 senders (each on its own budget key), beside a bare synced
// batch of the same shape in the same run; reports p50/p99 µs per charge.
func BenchmarkCharge(b *testing.B) {
	for _, senders := range []int{1, 8} {
		b.Run(fmt.Sprintf("bare/senders=%d", senders), func(b *testing.B) {
			d := openBenchPebble(b)
			runLatency(b, senders, func(g, i int) error { return bareBatch(d, g, i) })
		})
		b.Run(fmt.Sprintf("guarded/senders=%d", senders), func(b *testing.B) {
			d := openBenchPebble(b)
			e := NewExecutor(d, nil, nil)
			snaps := benchSnaps(senders)
			runLatency(b, senders, func(g, _ int) error {
				_, err := e.Charge(bg, snaps[g], alice.MemberKey, nil, func(guard.Charge) error { return nil })
				return err
			})
		})
	}
}

func openBenchPebble(b *testing.B) ds.Batching {
	d, err := journal.OpenPebble(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	return d
}

// bareBatch is the JournalCoupler's write without the guard: a charge
// record and a receipt-sized log entry in one synced batch.
func bareBatch(d ds.Batching, g, i int) error {
	bt, err := d.Batch(bg)
	if err != nil {
		return err
	}
	k := budget.Key{Ctx: ctxA, Dst: journal.AuthorityID{byte(g)}, Epoch: 1}
	if err := bt.Put(bg, SpentKey(k), EncodeSpent(uint64(i))); err != nil {
		return err
	}
	if err := bt.Put(bg, ReceiptLogKey(k, uint64(i)), make([]byte, 200)); err != nil {
		return err
	}
	return bt.Commit(bg)
}

// benchSnaps are per-sender snapshots on distinct keys with budgets far
// above any b.N.
func benchSnaps(senders int) []*guard.Snapshot {
	out := make([]*guard.Snapshot, senders)
	for g := range out {
		out[g] = &guard.Snapshot{Ctx: ctxA, Dst: journal.AuthorityID{byte(g + 1)}, Epoch: 1, Cost: 1,
			Slots: budget.Single(1, 1<<62), Receipt: &guard.ReceiptParams{Src: alice.Authority,
				Device: alice.Device, Secret: alice.AuthoritySecret[:]}}
	}
	return out
}

// runLatency runs b.N ops over senders goroutines and reports p50/p99.
func runLatency(b *testing.B, senders int, op func(g, i int) error) {
	lat := make([][]time.Duration, senders)
	var wg sync.WaitGroup
	b.ResetTimer()
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < b.N; i += senders {
				t0 := time.Now()
				if err := op(g, i); err != nil {
					b.Error(err)
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkSend compares a raw stream WriteFrame with a guarded one
// (capability selection, budget, receipt signature, batch, write) in the
// same run, on an in-memory stream: over a map datastore (the CPU cost
// per send) and over synced Pebble (adds one synced write).
func BenchmarkSend(b *testing.B) {
	frame := body(512, 7)
	b.Run("raw", func(b *testing.B) {
		n := newNode(b, alice, 1<<40, memDS())
		_, raw := n.open(b)
		n.tr.events = nil
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			if err := raw.WriteFrame(frame); err != nil {
				b.Fatal(err)
			}
			n.tr.events = n.tr.events[:0]
		}
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	})
	for _, store := range []string{"map", "pebble"} {
		b.Run("guarded/"+store, func(b *testing.B) {
			var d ds.Batching = memDS()
			if store == "pebble" {
				d = openBenchPebble(b)
			}
			n := newNode(b, alice, 1<<40, d)
			s, _ := n.open(b)
			m := msg(budget.MsgSyncPushOps, ctxA, bob.Authority, frame)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if err := s.WriteFrame(context.Background(), m); err != nil {
					b.Fatal(err)
				}
				n.tr.mu.Lock()
				n.tr.events = n.tr.events[:0]
				n.tr.mu.Unlock()
				n.ds.mu.Lock()
				n.ds.commits = n.ds.commits[:0]
				n.ds.mu.Unlock()
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime is the process's user+system CPU time (getrusage): the CPU
// cost per send, independent of other load on the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReceiptSignFloor is the per-send CPU floor of a context-scope
// send (SPEC §6.4: one Ed25519 receipt signature), for comparison with
// BenchmarkSend/guarded/map in the same run.
func BenchmarkReceiptSignFloor(b *testing.B) {
	snap := benchSnaps(1)[0]
	c, err := guard.ChargeFrom(snap, 0)
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	for b.Loop() {
		c.Receipt.Sign(alice.MemberKey)
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
