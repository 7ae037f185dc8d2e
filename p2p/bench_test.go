package p2p

import (
	"context"
	"encoding/binary"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
)

const benchProto protocol.ID = "/aura/bench/1.0.0"

func benchPair(b *testing.B) (*Host, *Host) {
	b.Helper()
	x, y := newTestHost(b, testConfig()), newTestHost(b, testConfig())
	b.Cleanup(func() { closeAll(b, []*Host{x, y}) })
	connectPair(b, x, y)
	return x, y
}

// BenchmarkStreamRTT ping-pongs 64-byte frames over one framed stream
// between two loopback hosts (TCP, Noise, yamux).
func BenchmarkStreamRTT(b *testing.B) {
	x, y := benchPair(b)
	y.Handle(benchProto, func(s Stream) {
		for {
			f, err := s.ReadFrame()
			if err != nil || s.WriteFrame(f) != nil {
				_ = s.Reset()
				return
			}
		}
	})
	s, err := x.Open(context.Background(), y.ID(), benchProto)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	frame := make([]byte, 64)
	b.ResetTimer()
	for b.Loop() {
		if err := s.WriteFrame(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ReadFrame(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamThroughput writes 1 MiB chunks over one raw libp2p stream
// (bytes/s reported by SetBytes).
func BenchmarkStreamThroughput(b *testing.B) {
	x, y := benchPair(b)
	done := make(chan int64, 1)
	y.LibP2P().SetStreamHandler(benchProto, func(s network.Stream) {
		n, _ := io.Copy(io.Discard, s)
		_ = s.Close()
		done <- n
	})
	s, err := x.LibP2P().NewStream(context.Background(), y.ID(), benchProto)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	_ = s.CloseWrite()
	<-done
	_ = s.Close()
}

// BenchmarkGossipLatency20 publishes from rotating peers of a 20-peer
// network and reports p50/p99 delivery latency over all receivers.
func BenchmarkGossipLatency20(b *testing.B) {
	boot, peers := startNetwork(b, netPeers-1)
	all := append([]*Host{boot}, peers...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, h := range all {
		if err := h.WaitJoined(ctx, len(all)); err != nil {
			b.Fatal(err)
		}
	}
	topic := FallbackTopic(DefaultNeighbourhood)
	subs := make([]Subscription, len(all))
	for i, h := range all {
		s, err := h.Subscribe(topic, nil)
		if err != nil {
			b.Fatal(err)
		}
		subs[i] = s
		defer s.Cancel()
	}
	waitMeshes(b, all, topic)
	var mu sync.Mutex
	var lat []time.Duration
	recv := func(ctx context.Context, s Subscription, want int, wg *sync.WaitGroup) {
		defer wg.Done()
		for range want {
			m, err := s.Next(ctx)
			if err != nil {
				return
			}
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(m.Data[8:])))
			mu.Lock()
			lat = append(lat, time.Since(sent))
			mu.Unlock()
		}
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for _, s := range subs {
			wg.Add(1)
			go recv(ctx, s, 1, &wg)
		}
		msg := make([]byte, 16)
		binary.BigEndian.PutUint64(msg, uint64(i))
		binary.BigEndian.PutUint64(msg[8:], uint64(time.Now().UnixNano()))
		if err := all[i%len(all)].Publish(ctx, topic, msg); err != nil {
			b.Fatal(err)
		}
		wg.Wait()
		i++
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

// BenchmarkGossipBurst20 measures delivering 2000 messages (paced in
// windows, 0 lost) across a 20-host network.
func BenchmarkGossipBurst20(b *testing.B) {
	boot, peers := startNetwork(b, netPeers-1)
	all := append([]*Host{boot}, peers...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, h := range all {
		if err := h.WaitJoined(ctx, len(all)); err != nil {
			b.Fatal(err)
		}
	}
	topic := FallbackTopic(DefaultNeighbourhood)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		subs := make([]Subscription, len(all))
		for i, h := range all {
			s, err := h.Subscribe(topic, nil)
			if err != nil {
				b.Fatal(err)
			}
			subs[i] = s
		}
		waitMeshes(b, all, topic)
		b.StartTimer()
		d := burst(b, all, subs, topic, 2000)
		b.ReportMetric(2000/d.Seconds(), "msg/s")
		for _, s := range subs {
			s.Cancel()
		}
	}
}
