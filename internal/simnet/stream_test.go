package simnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"lukechampine.com/blake3"

	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

func TestStreamEchoAndEOF(t *testing.T) {
	inBubble(t, Config{Latency: 10 * time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		nodes[1].Handle(testProto, echoHandler)
		start := net.Now()
		s := mustOpen(t, nodes[0], nodes[1])
		if s.RemotePeer() != nodes[1].Self() || s.Protocol() != testProto {
			t.Fatalf("stream identity: %s %s", s.RemotePeer(), s.Protocol())
		}
		for i := range 3 {
			if err := s.WriteFrame([]byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			f, err := s.ReadFrame()
			if err != nil || !bytes.Equal(f, []byte{byte(i)}) {
				t.Fatalf("frame %d: %x %v", i, f, err)
			}
		}
		if rtt := net.Now().Sub(start); rtt < 20*time.Millisecond || rtt > 20*time.Millisecond+time.Microsecond {
			t.Fatalf("first echo after %v, want one RTT (20ms)", rtt)
		}
		if _, err := s.ReadFrame(); !errors.Is(err, io.EOF) {
			t.Fatalf("after remote CloseWrite: %v, want io.EOF", err)
		}
		if err := s.WriteFrame([]byte("x")); !errors.Is(err, ErrStreamClosed) {
			t.Fatalf("write after CloseWrite: %v", err)
		}
		quiet(t, net)
		st := net.Stats(nodes[0].Self())
		if st.FramesSent != 3 || st.FramesDelivered != 3 || st.Resets != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(3)
		ctx := context.Background()
		nodes[1].Handle(testProto, echoHandler)
		cases := []struct {
			name string
			from *Node
			to   string
			want error
		}{
			{"no handler", nodes[1], string(nodes[2].Self()), p2p.ErrNoProtocol},
			{"self", nodes[1], string(nodes[1].Self()), p2p.ErrUnreachable},
			{"unknown", nodes[0], string(PeerID(99)), p2p.ErrUnreachable},
		}
		for _, c := range cases {
			if _, err := c.from.Open(ctx, peerIDOf(c.to), testProto); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		nodes[1].RemoveHandler(testProto)
		if _, err := nodes[0].Open(ctx, nodes[1].Self(), testProto); !errors.Is(err, p2p.ErrNoProtocol) {
			t.Errorf("after RemoveHandler: %v", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := nodes[0].Open(cctx, nodes[1].Self(), testProto); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled ctx: %v", err)
		}
	})
}

func TestHandlerRemovedWhileOpenInFlight(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		nodes[1].Handle(testProto, echoHandler)
		s := mustOpen(t, nodes[0], nodes[1])
		nodes[1].RemoveHandler(testProto)
		if _, err := s.ReadFrame(); !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("refused stream read: %v", err)
		}
		if tr := net.Trace(); len(tr) != 1 || tr[0].Outcome != Refused {
			t.Fatalf("trace %+v", tr)
		}
	})
}

func TestOversizeFrameResets(t *testing.T) {
	for _, proto := range []string{string(protocols.Invite), string(testProto)} {
		t.Run(proto, func(t *testing.T) {
			inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
				nodes := net.AddNodes(2)
				var sent []Kind // OnSend runs in this goroutine (the writer)
				net.OnSend(func(e Event) { sent = append(sent, e.Kind) })
				done := make(chan error, 1)
				var got [][]byte
				nodes[1].Handle(protoOf(proto), sinkHandler(&got, done))
				s, err := nodes[0].Open(context.Background(), nodes[1].Self(), protoOf(proto))
				if err != nil {
					t.Fatal(err)
				}
				max := protocols.MaxFrame(protoOf(proto))
				if err := s.WriteFrame(make([]byte, max)); err != nil {
					t.Fatalf("frame at cap: %v", err)
				}
				if err := s.WriteFrame(make([]byte, max+1)); !errors.Is(err, protocols.ErrFrameTooLarge) {
					t.Fatalf("oversize: %v", err)
				}
				if err := s.WriteFrame([]byte("after")); !errors.Is(err, p2p.ErrStreamReset) {
					t.Fatalf("write after oversize: %v", err)
				}
				// Open, the frame at the cap, then the reset the oversize
				// write sent: every send the peer will see is tapped.
				if want := []Kind{KindOpen, KindFrame, KindReset}; !slices.Equal(sent, want) {
					t.Fatalf("OnSend saw %v, want %v", sent, want)
				}
				if err := <-done; !errors.Is(err, p2p.ErrStreamReset) {
					t.Fatalf("remote read: %v", err)
				}
				if len(got) != 1 || len(got[0]) != max {
					t.Fatalf("remote got %d frames", len(got))
				}
			})
		})
	}
}

func TestResetAndClose(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		done := make(chan error, 2)
		var got [][]byte
		nodes[1].Handle(testProto, sinkHandler(&got, done))
		s := mustOpen(t, nodes[0], nodes[1])
		_ = s.WriteFrame([]byte("a"))
		if err := s.Reset(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReadFrame(); !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("local read after Reset: %v", err)
		}
		if err := <-done; !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("remote after Reset: %v", err)
		}
		if s.Close() != nil || s.Reset() != nil {
			t.Fatal("Close/Reset after reset must be nil")
		}
		s2 := mustOpen(t, nodes[0], nodes[1])
		if err := s2.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s2.ReadFrame(); !errors.Is(err, ErrStreamClosed) {
			t.Fatalf("read after Close: %v", err)
		}
		if err := <-done; !errors.Is(err, io.EOF) {
			t.Fatalf("remote after Close: %v", err)
		}
		quiet(t, net)
	})
}

func TestDropResetsStreamAtBothEnds(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond, DropRate: 1}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		done := make(chan error, 1)
		var got [][]byte
		nodes[1].Handle(testProto, sinkHandler(&got, done))
		s := mustOpen(t, nodes[0], nodes[1])
		if err := s.WriteFrame([]byte("lost")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReadFrame(); !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("writer side: %v", err)
		}
		if err := <-done; !errors.Is(err, p2p.ErrStreamReset) || len(got) != 0 {
			t.Fatalf("reader side: %v, %d frames", err, len(got))
		}
		a, b := net.Stats(nodes[0].Self()), net.Stats(nodes[1].Self())
		if a.Dropped != 1 || a.Resets != 1 || b.Resets != 1 {
			t.Fatalf("stats %+v %+v", a, b)
		}
	})
}

func TestPerStreamFIFOUnderReorder(t *testing.T) {
	cfg := Config{Seed: 7, Latency: time.Millisecond, Jitter: 5 * time.Millisecond, Reorder: true}
	inBubble(t, cfg, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		const streams, frames = 4, 50
		done := make(chan error, streams)
		got := make([][][]byte, streams)
		idx := make(chan int, streams)
		for i := range streams {
			idx <- i
		}
		nodes[1].Handle(testProto, func(s p2p.Stream) {
			i := <-idx
			sinkHandler(&got[i], done)(s)
		})
		var order []int // stream of each delivered frame, in trace order
		net.OnDeliver(func(e Event) {
			if e.Kind == KindFrame {
				order = append(order, int(e.Stream.N))
			}
		})
		for range streams {
			s := mustOpen(t, nodes[0], nodes[1])
			for j := range frames {
				_ = s.WriteFrame([]byte{byte(j)})
			}
			_ = s.CloseWrite()
			net.Advance(time.Microsecond)
		}
		for range streams {
			if err := <-done; !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
		}
		for i, fs := range got {
			for j, f := range fs {
				if f[0] != byte(j) {
					t.Fatalf("stream %d frame %d = %d: per-stream FIFO broken", i, j, f[0])
				}
			}
		}
		if !interleaved(order) {
			t.Fatalf("Reorder with jitter never interleaved streams: %v", order)
		}
	})
}

// interleaved reports whether some stream's frames were overtaken by a
// later-opened stream's frames.
func interleaved(order []int) bool {
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			return true
		}
	}
	return false
}

func TestLinkFIFOWithoutReorder(t *testing.T) {
	cfg := Config{Seed: 7, Latency: time.Millisecond, Jitter: 5 * time.Millisecond}
	inBubble(t, cfg, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		nodes[1].Handle(testProto, func(s p2p.Stream) { _, _ = io.Copy(io.Discard, readerOf(s)) })
		var sent, delivered []string
		net.OnSend(func(e Event) {
			if e.Kind == KindFrame {
				sent = append(sent, fmt.Sprint(e.Stream.N, "/", e.Seq))
			}
		})
		net.OnDeliver(func(e Event) {
			if e.Kind == KindFrame {
				delivered = append(delivered, fmt.Sprint(e.Stream.N, "/", e.Seq))
			}
		})
		for i := range 30 {
			s := mustOpen(t, nodes[0], nodes[1])
			_ = s.WriteFrame([]byte{byte(i)})
			_ = s.CloseWrite()
			net.Advance(100 * time.Microsecond) // distinct send instants
		}
		quiet(t, net)
		if fmt.Sprint(sent) != fmt.Sprint(delivered) {
			t.Fatalf("link not FIFO:\nsent      %v\ndelivered %v", sent, delivered)
		}
	})
}

// readerOf adapts a stream to io.Reader for draining handlers.
func readerOf(s p2p.Stream) io.Reader { return frameReader{s} }

type frameReader struct{ s p2p.Stream }

func (r frameReader) Read(b []byte) (int, error) {
	f, err := r.s.ReadFrame()
	if err != nil {
		return 0, err
	}
	return copy(b, f), nil
}

func TestSetLinkLatency(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(3)
		slow := net.DefaultLink()
		slow.Latency = 25 * time.Millisecond
		net.SetLink(nodes[0].Self(), nodes[1].Self(), slow)
		arrived := make(chan time.Duration, 2)
		for _, nd := range nodes[1:] {
			nd.Handle(testProto, func(s p2p.Stream) {
				if _, err := s.ReadFrame(); err == nil {
					arrived <- net.Elapsed()
				}
			})
		}
		for _, nd := range nodes[1:] {
			_ = mustOpen(t, nodes[0], nd).WriteFrame([]byte("x"))
		}
		first, second := <-arrived, <-arrived
		if first > 2*time.Millisecond || second < 25*time.Millisecond || second > 26*time.Millisecond {
			t.Fatalf("arrivals %v, %v; want ~1ms and ~25ms", first, second)
		}
		net.ClearLink(nodes[0].Self(), nodes[1].Self())
		if got := net.DefaultLink(); got.Latency != time.Millisecond {
			t.Fatalf("DefaultLink %+v", got)
		}
	})
}

// TestOneDeliveryPerInstant: with zero jitter many frames are due at the
// same instant; the scheduler spreads them 1ns apart so each delivery's
// consequences run to quiescence before the next (doc.go, Determinism).
// Trace entries carry the payload digest.
func TestOneDeliveryPerInstant(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(4)
		sink := nodes[3]
		var active atomic.Int32
		var overlap atomic.Bool
		sink.Handle(testProto, func(s p2p.Stream) {
			for {
				if _, err := s.ReadFrame(); err != nil {
					return
				}
				if active.Add(1) > 1 {
					overlap.Store(true)
				}
				runtime.Gosched() // "processing"
				active.Add(-1)
			}
		})
		payload := map[peer.ID][]byte{}
		streams := make([]p2p.Stream, 3)
		for i := range streams {
			streams[i] = mustOpen(t, nodes[i], sink)
			payload[nodes[i].Self()] = []byte{byte(i)}
		}
		net.Advance(2 * time.Millisecond)
		for i, s := range streams {
			_ = s.WriteFrame(payload[nodes[i].Self()]) // all due at the same instant
		}
		quiet(t, net)
		tr := net.Trace()
		seen := map[time.Duration]bool{}
		for _, e := range tr {
			if seen[e.At] {
				t.Fatalf("two deliveries at %v", e.At)
			}
			seen[e.At] = true
			if e.Kind == KindFrame && (e.Len != 1 || e.Digest != blake3.Sum256(payload[e.Src]) || e.Dst != sink.Self()) {
				t.Fatalf("frame entry %+v", e)
			}
		}
		if len(tr) != 6 || overlap.Load() {
			t.Fatalf("%d events (want 3 opens + 3 frames), overlap %v", len(tr), overlap.Load())
		}
	})
}
