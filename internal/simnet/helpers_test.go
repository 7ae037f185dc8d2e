package simnet

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/p2p"
)

const testProto protocol.ID = "/aura/test/1.0.0"

// inBubble runs f inside a synctest bubble on a fresh network that is
// closed (and whose goroutines are awaited) before the bubble ends.
func inBubble(t *testing.T, cfg Config, f func(t *testing.T, net *Network)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		net := New(cfg)
		defer net.Close()
		f(t, net)
	})
}

// quiet runs the network until quiet and fails the test otherwise.
func quiet(t *testing.T, net *Network) {
	t.Helper()
	if err := net.RunUntilQuiet(time.Minute); err != nil {
		t.Fatalf("RunUntilQuiet: %v", err)
	}
}

// echoHandler writes back every frame it reads, then half-closes.
func echoHandler(s p2p.Stream) {
	for {
		f, err := s.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				_ = s.CloseWrite()
			}
			return
		}
		if s.WriteFrame(f) != nil {
			return
		}
	}
}

// sinkHandler collects frames into got until the stream ends, then sends
// the terminal error on done.
func sinkHandler(got *[][]byte, done chan<- error) p2p.StreamHandler {
	return func(s p2p.Stream) {
		for {
			f, err := s.ReadFrame()
			if err != nil {
				done <- err
				return
			}
			*got = append(*got, f)
		}
	}
}

func mustOpen(t *testing.T, from *Node, to *Node) p2p.Stream {
	t.Helper()
	s, err := from.Open(context.Background(), to.Self(), testProto)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func mustSub(t *testing.T, nd *Node, topic string, v p2p.Validator) p2p.Subscription {
	t.Helper()
	s, err := nd.Subscribe(topic, v)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return s
}

// drain returns every message already queued on s without blocking past
// the current instant.
func drain(t *testing.T, s p2p.Subscription) []*p2p.Message {
	t.Helper()
	var out []*p2p.Message
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
		m, err := s.Next(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, m)
	}
}

func peerIDOf(s string) peer.ID    { return peer.ID(s) }
func protoOf(s string) protocol.ID { return protocol.ID(s) }

// synctestRun is synctest.Test, for tests that manage the network's
// lifetime themselves.
func synctestRun(t *testing.T, f func(t *testing.T)) { synctest.Test(t, f) }
