package simnet

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/p2p"
)

// chaosConfig turns on every source of randomness.
func chaosConfig(seed int64) Config {
	return Config{
		Seed: seed, Latency: 2 * time.Millisecond, Jitter: 3 * time.Millisecond,
		DropRate: 0.02, DupRate: 0.1, Reorder: true, NoTraceLog: true,
	}
}

// perturb yields a random number of times (global, unseeded rand) so that
// goroutine interleavings differ between runs; the trace must not.
func perturb() {
	for range rand.IntN(3) {
		runtime.Gosched()
	}
}

// chatter is a scenario with concurrent senders: every node opens streams
// to seeded-random peers, writes frames that are echoed back, and
// publishes on a topic whose validators reject some messages. Each node's
// choices come from its own PRNG seeded from (seed, index), so they do not
// depend on goroutine scheduling.
// It returns once every driver has finished its rounds (virtual time runs
// meanwhile); traffic may still be in flight.
func chatter(t testing.TB, net *Network, seed int64, nodes, rounds int) {
	ns := net.AddNodes(nodes)
	for _, nd := range ns {
		nd.Handle(testProto, func(s p2p.Stream) { perturb(); echoHandler(s) })
		sub, err := nd.Subscribe("chat", rejectSome(nd.Self()))
		if err != nil {
			t.Fatal(err)
		}
		go drainSub(sub)
	}
	done := make(chan struct{}, len(ns))
	for i, nd := range ns {
		go func() {
			drive(nd, ns, rand.New(rand.NewPCG(uint64(seed), uint64(i))), rounds)
			done <- struct{}{}
		}()
	}
	for range ns {
		<-done
	}
}

// rejectSome accepts its own node's messages and rejects or ignores some
// remote ones.
func rejectSome(self peer.ID) p2p.Validator {
	return func(_ context.Context, from peer.ID, data []byte) p2p.ValidationResult {
		perturb()
		switch {
		case from == self:
			return p2p.Accept
		case len(data) > 0 && data[0]%5 == 0:
			return p2p.Reject
		case len(data) > 0 && data[0]%7 == 0:
			return p2p.Ignore
		}
		return p2p.Accept
	}
}

func drainSub(s p2p.Subscription) {
	for {
		if _, err := s.Next(context.Background()); err != nil {
			return
		}
		perturb()
	}
}

// drive is one node's load: rounds of (sleep, open, write k frames,
// half-close, read echoes on a side goroutine, publish).
func drive(nd *Node, all []*Node, r *rand.Rand, rounds int) {
	ctx := context.Background()
	for round := range rounds {
		time.Sleep(time.Duration(r.IntN(5000)) * time.Microsecond)
		dst := all[r.IntN(len(all))]
		if dst == nd {
			_ = nd.Publish(ctx, "chat", []byte{byte(r.IntN(256)), byte(round)})
			continue
		}
		s, err := nd.Open(ctx, dst.Self(), testProto)
		if err != nil {
			return
		}
		go func() { _, _ = io.Copy(io.Discard, readerOf(s)) }()
		for k := range 1 + r.IntN(4) {
			if s.WriteFrame([]byte(fmt.Sprint(nd.Self(), round, k))) != nil {
				break
			}
			perturb()
		}
		_ = s.CloseWrite()
	}
}

// runChatter runs the scenario in a fresh bubble and returns the trace
// hash and length.
func runChatter(t *testing.T, seed int64, nodes, rounds int) (h [32]byte, n int) {
	inBubble(t, chaosConfig(seed), func(t *testing.T, net *Network) {
		chatter(t, net, seed, nodes, rounds)
		if err := net.RunUntilQuiet(time.Hour); err != nil {
			t.Fatal(err)
		}
		h, n = net.TraceHash(), net.TraceLen()
	})
	return h, n
}

func TestSameSeedSameTrace(t *testing.T) {
	runs := 20
	if os.Getenv("AURA_LONG") == "1" {
		runs = 200
	}
	want, n := runChatter(t, 42, 6, 40)
	if n < 500 {
		t.Fatalf("scenario too small: %d events", n)
	}
	for i := 1; i < runs; i++ {
		if got, m := runChatter(t, 42, 6, 40); got != want || m != n {
			t.Fatalf("run %d: trace %x (%d events), want %x (%d)", i, got[:8], m, want[:8], n)
		}
	}
}

func TestDifferentSeedDifferentTrace(t *testing.T) {
	seen := map[[32]byte]int64{}
	for seed := range int64(5) {
		h, _ := runChatter(t, seed, 4, 20)
		if prev, dup := seen[h]; dup {
			t.Fatalf("seeds %d and %d gave the same trace", prev, seed)
		}
		seen[h] = seed
	}
}

// TestNetworkDrawsIgnoreSchedule pins the simulator's own contribution:
// with the load fixed (one publish per node at one instant) and the seed
// varied only in the network, outcomes of every kind occur and the trace
// repeats exactly.
func TestTraceCoversAllOutcomes(t *testing.T) {
	cfg := chaosConfig(3)
	cfg.NoTraceLog = false
	cfg.DropRate, cfg.DupRate = 0.1, 0.3
	inBubble(t, cfg, func(t *testing.T, net *Network) {
		chatter(t, net, 3, 6, 30)
		if err := net.RunUntilQuiet(time.Hour); err != nil {
			t.Fatal(err)
		}
		seen := map[Outcome]int{}
		dups := 0
		for _, e := range net.Trace() {
			seen[e.Outcome]++
			dups += int(e.Dup)
		}
		for _, o := range []Outcome{Delivered, Dropped, Discarded, Rejected, Ignored} {
			if seen[o] == 0 {
				t.Errorf("no %v events in %v", o, seen)
			}
		}
		if dups == 0 {
			t.Error("no duplicate deliveries")
		}
	})
}

func TestTapsSeeEveryWriteAndDelivery(t *testing.T) {
	inBubble(t, chaosConfig(9), func(t *testing.T, net *Network) {
		var sends, frames, badOutcome atomic.Int64
		delivered := 0             // OnDeliver runs on the scheduler goroutine only
		net.OnSend(func(e Event) { // runs concurrently from every writer
			if e.Outcome != Sent {
				badOutcome.Add(1)
			}
			sends.Add(1)
			if e.Kind == KindFrame || e.Kind == KindTopic {
				frames.Add(1)
			}
		})
		net.OnDeliver(func(Event) { delivered++ })
		chatter(t, net, 9, 4, 20)
		if err := net.RunUntilQuiet(time.Hour); err != nil {
			t.Fatal(err)
		}
		var wantFrames uint64
		for _, id := range net.Peers() {
			st := net.Stats(id)
			wantFrames += st.FramesSent + st.Published
		}
		if uint64(frames.Load()) != wantFrames || delivered != net.TraceLen() || sends.Load() <= frames.Load() || badOutcome.Load() != 0 {
			t.Fatalf("taps: %d frame sends (want %d), %d deliveries (want %d)", frames.Load(), wantFrames, delivered, net.TraceLen())
		}
	})
}
