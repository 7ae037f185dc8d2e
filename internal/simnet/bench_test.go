package simnet

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/p2p"
)

// inBubbleB runs f once inside a synctest bubble from a benchmark.
// synctest.Test needs a *testing.T, which a benchmark lacks; testing.RunTests
// supplies one. The benchmark timer runs outside the bubble, so b.Elapsed is
// wall time (inside, time.Now is virtual).
func inBubbleB(b *testing.B, f func(t *testing.T)) {
	b.Helper()
	procs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(procs) // RunTests applies -test.cpu
	var once sync.Once
	match := func(string, string) (bool, error) { return true, nil }
	ok := testing.RunTests(match, []testing.InternalTest{{
		Name: b.Name() + "/bubble",
		F:    func(t *testing.T) { once.Do(func() { synctest.Test(t, f) }) },
	}})
	if !ok {
		b.Fatal("bubble failed")
	}
}

// cpuTime is the process's user+system CPU time. The benchmarks report CPU
// per simulated message because wall time on a shared CI box mostly
// measures other processes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds msgs/s (wall) and cpu-ns/msg metrics for n messages.
func report(b *testing.B, cpu0 time.Duration, n int, unit string) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit+"/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/"+unit)
}

// streamLoad has every node stream perNode frames of size bytes to its
// successor on a ring, and returns when all have been read.
func streamLoad(t *testing.T, net *Network, nodes, perNode, size int) {
	ns := net.AddNodes(nodes)
	done := make(chan int, nodes)
	for _, nd := range ns {
		nd.Handle(testProto, func(s p2p.Stream) {
			n := 0
			for {
				if _, err := s.ReadFrame(); err != nil {
					if !errors.Is(err, io.EOF) {
						t.Errorf("read: %v", err)
					}
					done <- n
					return
				}
				n++
			}
		})
	}
	frame := make([]byte, size)
	for i, nd := range ns {
		s, err := nd.Open(context.Background(), ns[(i+1)%nodes].Self(), testProto)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for range perNode {
				if s.WriteFrame(frame) != nil {
					return
				}
			}
			_ = s.CloseWrite()
		}()
	}
	for range nodes {
		if n := <-done; n != perNode {
			t.Errorf("received %d frames, want %d", n, perNode)
		}
	}
}

// BenchmarkFrames10x1000: a 10-node ring exchanging 10^4 frames of 256
// bytes (1ms latency, 1ms jitter) per iteration; reports simulated frames
// per wall-clock second.
func BenchmarkFrames10x1000(b *testing.B) {
	const nodes, perNode = 10, 1000
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	inBubbleB(b, func(t *testing.T) {
		for range b.N {
			net := New(Config{Seed: 1, Latency: time.Millisecond, Jitter: time.Millisecond, NoTraceLog: true})
			streamLoad(t, net, nodes, perNode, 256)
			_ = net.Close()
		}
	})
	report(b, cpu0, b.N*nodes*perNode, "frame")
}

// BenchmarkPingPong: request/response round trips between two nodes, each
// waiting for the previous reply (the shape of consensus traffic).
func BenchmarkPingPong(b *testing.B) {
	const rounds = 1000
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	inBubbleB(b, func(t *testing.T) {
		for range b.N {
			net := New(Config{Seed: 1, Latency: time.Millisecond, Jitter: time.Millisecond, NoTraceLog: true})
			ns := net.AddNodes(2)
			ns[1].Handle(testProto, echoHandler)
			s, err := ns[0].Open(context.Background(), ns[1].Self(), testProto)
			if err != nil {
				t.Fatal(err)
			}
			for range rounds {
				if s.WriteFrame([]byte("ping")) != nil {
					t.Fatal("write")
				}
				if _, err := s.ReadFrame(); err != nil {
					t.Fatal(err)
				}
			}
			_ = net.Close()
		}
	})
	report(b, cpu0, b.N*rounds, "roundtrip")
}

// BenchmarkPublish10: one node publishes to 9 subscribers.
func BenchmarkPublish10(b *testing.B) {
	const msgs = 1000
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	inBubbleB(b, func(t *testing.T) {
		for range b.N {
			net := New(Config{Seed: 1, Latency: time.Millisecond, Jitter: time.Millisecond, NoTraceLog: true})
			ns := net.AddNodes(10)
			for _, nd := range ns {
				mustSub(t, nd, "t", nil)
			}
			for range msgs {
				_ = ns[0].Publish(context.Background(), "t", []byte("m"))
			}
			if err := net.RunUntilQuiet(time.Hour); err != nil {
				t.Fatal(err)
			}
			_ = net.Close()
		}
	})
	report(b, cpu0, b.N*msgs*10, "delivery")
}

// TestStreamLoad checks the benchmark scenario itself (smaller).
func TestStreamLoad(t *testing.T) {
	inBubble(t, Config{Seed: 1, Latency: time.Millisecond, Jitter: time.Millisecond}, func(t *testing.T, net *Network) {
		streamLoad(t, net, 10, 100, 256)
		quiet(t, net)
		if got := net.TraceLen(); got != 10*(100+2) {
			t.Fatalf("trace has %d events, want %d (open+frames+fin per stream)", got, 10*102)
		}
	})
}
