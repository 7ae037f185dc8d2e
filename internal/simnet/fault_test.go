package simnet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/p2p"
)

func TestPartitionCutsAndHealRestores(t *testing.T) {
	inBubble(t, Config{Latency: 10 * time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(3)
		a, b, c := nodes[0], nodes[1], nodes[2]
		done := make(chan error, 4)
		var got [][]byte
		b.Handle(testProto, sinkHandler(&got, done))
		c.Handle(testProto, sinkHandler(&got, done))
		subs := []p2p.Subscription{mustSub(t, a, "t", nil), mustSub(t, b, "t", nil), mustSub(t, c, "t", nil)}

		// A frame in flight when the partition starts is cut on arrival and
		// resets its stream at both ends.
		s := mustOpen(t, a, b)
		quiet(t, net) // b's handler is running
		_ = s.WriteFrame([]byte("in flight"))
		net.Partition([]peer.ID{a.Self(), c.Self()}, []peer.ID{b.Self()})
		if err := <-done; !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("receiver across cut: %v", err)
		}
		if _, err := s.ReadFrame(); !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("sender across cut: %v", err)
		}
		if _, err := a.Open(context.Background(), b.Self(), testProto); !errors.Is(err, p2p.ErrUnreachable) {
			t.Fatalf("Open across cut: %v", err)
		}
		_ = mustOpen(t, a, c).WriteFrame([]byte("same side"))
		_ = a.Publish(context.Background(), "t", []byte("p1"))
		quiet(t, net)
		if len(got) != 1 || string(got[0]) != "same side" {
			t.Fatalf("frames during partition: %q", got)
		}
		want := []int{1, 0, 1}
		for i, sub := range subs {
			if n := len(drain(t, sub)); n != want[i] {
				t.Fatalf("node %d got %d topic messages during partition, want %d", i, n, want[i])
			}
		}

		net.Heal()
		_ = mustOpen(t, a, b).WriteFrame([]byte("healed"))
		_ = a.Publish(context.Background(), "t", []byte("p2"))
		quiet(t, net)
		if len(got) != 2 || string(got[1]) != "healed" {
			t.Fatalf("frames after heal: %q", got)
		}
		for i, sub := range subs {
			if n := len(drain(t, sub)); n != 1 {
				t.Fatalf("node %d got %d topic messages after heal", i, n)
			}
		}
		if st := net.Stats(a.Self()); st.Cut != 2 {
			t.Fatalf("cut count %+v, want 2 (frame + topic copy)", st)
		}
	})
}

func TestLinkDown(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		nodes[1].Handle(testProto, echoHandler)
		down := net.DefaultLink()
		down.Down = true
		net.SetLink(nodes[1].Self(), nodes[0].Self(), down) // one direction only
		if _, err := nodes[0].Open(context.Background(), nodes[1].Self(), testProto); !errors.Is(err, p2p.ErrUnreachable) {
			t.Fatalf("Open with reverse link down: %v", err)
		}
	})
}

func TestCrashAndRestart(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		a, b := nodes[0], nodes[1]
		handlerErr := make(chan error, 1)
		b.Handle(testProto, func(s p2p.Stream) {
			_, err := s.ReadFrame()
			handlerErr <- err
		})
		sub := mustSub(t, b, "t", nil)
		s := mustOpen(t, a, b)
		quiet(t, net) // handler is now blocked reading

		net.Crash(b.Self())
		if err := <-handlerErr; !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("crashed node's handler: %v", err)
		}
		if err := s.WriteFrame([]byte("x")); !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("peer of crashed node: %v", err)
		}
		if _, err := sub.Next(context.Background()); !errors.Is(err, p2p.ErrClosed) {
			t.Fatalf("crashed subscription: %v", err)
		}
		if _, err := a.Open(context.Background(), b.Self(), testProto); !errors.Is(err, p2p.ErrUnreachable) {
			t.Fatalf("Open to crashed: %v", err)
		}
		if _, err := b.Open(context.Background(), a.Self(), testProto); !errors.Is(err, p2p.ErrClosed) {
			t.Fatalf("Open from crashed: %v", err)
		}
		if b.Alive() || b.Publish(context.Background(), "t", nil) == nil {
			t.Fatal("crashed node still usable")
		}

		b2 := net.Restart(b.Self())
		if b2.Self() != b.Self() || b2.Incarnation() != 2 || !b2.Alive() || net.Node(b.Self()) != b2 {
			t.Fatalf("restart: id %s inc %d", b2.Self(), b2.Incarnation())
		}
		if _, err := a.Open(context.Background(), b.Self(), testProto); !errors.Is(err, p2p.ErrNoProtocol) {
			t.Fatalf("restarted node kept handlers: %v", err)
		}
		b2.Handle(testProto, echoHandler)
		s2 := mustOpen(t, a, b2)
		_ = s2.WriteFrame([]byte("again"))
		if f, err := s2.ReadFrame(); err != nil || string(f) != "again" {
			t.Fatalf("after restart: %q %v", f, err)
		}
		if st := net.Stats(b.Self()); st.Resets != 1 {
			t.Fatalf("stats across restart %+v", st)
		}
	})
}

func TestRunUntilQuietReportsLivelock(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		nodes[1].Handle(testProto, echoHandler)
		s := mustOpen(t, nodes[0], nodes[1])
		go func() { // ping-pong forever: a livelock
			for s.WriteFrame([]byte("ping")) == nil {
				if _, err := s.ReadFrame(); err != nil {
					return
				}
			}
		}()
		start := net.Now()
		err := net.RunUntilQuiet(time.Second)
		if !errors.Is(err, ErrNotQuiet) {
			t.Fatalf("RunUntilQuiet: %v, want ErrNotQuiet", err)
		}
		if d := net.Now().Sub(start); d < time.Second || d > time.Second+2*time.Millisecond {
			t.Fatalf("gave up after %v, want the 1s bound", d)
		}
		_ = s.Reset()
		quiet(t, net)
	})
}

func TestRunUntilQuietIgnoresProtocolTimers(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		mustSub(t, nodes[0], "t", nil)
		sub := mustSub(t, nodes[1], "t", nil)
		timer := time.AfterFunc(time.Hour, func() { _ = nodes[0].Publish(context.Background(), "t", []byte("late")) })
		defer timer.Stop()
		start := net.Now()
		quiet(t, net)
		if d := net.Now().Sub(start); d != 0 {
			t.Fatalf("quiet network took %v", d)
		}
		net.Advance(time.Hour + time.Second)
		if len(drain(t, sub)) != 1 {
			t.Fatal("timer-driven publish not delivered after Advance")
		}
	})
}

func TestCloseStopsEverything(t *testing.T) {
	// synctest.Test itself fails if any goroutine of the bubble outlives
	// it; this test also checks what blocked callers observe.
	synctestRun(t, func(t *testing.T) {
		net := New(Config{Latency: time.Millisecond})
		nodes := net.AddNodes(2)
		handlerDone := make(chan error, 1)
		nodes[1].Handle(testProto, func(s p2p.Stream) {
			_, err := s.ReadFrame()
			handlerDone <- err
		})
		s := mustOpen(t, nodes[0], nodes[1])
		sub := mustSub(t, nodes[0], "t", nil)
		nextErr := make(chan error, 1)
		go func() {
			_, err := sub.Next(context.Background())
			nextErr <- err
		}()
		net.Advance(time.Millisecond + time.Microsecond) // handler started
		_ = s.WriteFrame([]byte("pending"))              // still in flight at Close
		if err := net.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-handlerDone; !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("handler after Close: %v", err)
		}
		if err := <-nextErr; !errors.Is(err, p2p.ErrClosed) {
			t.Fatalf("Next after Close: %v", err)
		}
		if _, err := nodes[0].Open(context.Background(), nodes[1].Self(), testProto); !errors.Is(err, p2p.ErrClosed) {
			t.Fatalf("Open after Close: %v", err)
		}
		if net.Close() != nil {
			t.Fatal("second Close")
		}
	})
}
