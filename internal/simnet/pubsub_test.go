package simnet

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/p2p"
)

func TestPublishDeliversToSubscribersAndLocal(t *testing.T) {
	inBubble(t, Config{Latency: 5 * time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(4)
		subs := make([]p2p.Subscription, 3) // node 3 does not subscribe
		for i := range subs {
			subs[i] = mustSub(t, nodes[i], "t", nil)
		}
		ctx := context.Background()
		if err := nodes[3].Publish(ctx, "t", []byte("x")); !errors.Is(err, p2p.ErrNotSubscribed) {
			t.Fatalf("publish unjoined: %v", err)
		}
		if err := nodes[0].Publish(ctx, "t", []byte("hello")); err != nil {
			t.Fatal(err)
		}
		quiet(t, net)
		for i, s := range subs {
			ms := drain(t, s)
			if len(ms) != 1 || !bytes.Equal(ms[0].Data, []byte("hello")) || ms[0].From != nodes[0].Self() {
				t.Fatalf("node %d got %+v", i, ms)
			}
			if ms[0].Local != (i == 0) || ms[0].Topic != "t" {
				t.Fatalf("node %d Local=%v Topic=%q", i, ms[0].Local, ms[0].Topic)
			}
		}
		if _, err := nodes[0].Subscribe("t", nil); !errors.Is(err, ErrAlreadySubscribed) {
			t.Fatalf("double subscribe: %v", err)
		}
		subs[0].Cancel()
		if _, err := subs[0].Next(ctx); !errors.Is(err, p2p.ErrSubscriptionCancelled) {
			t.Fatalf("Next after Cancel: %v", err)
		}
		if err := nodes[0].Publish(ctx, "t", nil); !errors.Is(err, p2p.ErrNotSubscribed) {
			t.Fatalf("publish after Cancel: %v", err)
		}
	})
}

func TestValidatorRejectIgnore(t *testing.T) {
	inBubble(t, Config{Latency: time.Millisecond}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(3)
		pub := nodes[0].Self()
		verdict := func(res p2p.ValidationResult) p2p.Validator {
			return func(_ context.Context, from peer.ID, data []byte) p2p.ValidationResult {
				if from != pub {
					t.Errorf("validator from %s, want %s", from, pub)
				}
				if bytes.Equal(data, []byte("good")) {
					return p2p.Accept
				}
				return res
			}
		}
		mustSub(t, nodes[0], "t", nil)
		rej := mustSub(t, nodes[1], "t", verdict(p2p.Reject))
		ign := mustSub(t, nodes[2], "t", verdict(p2p.Ignore))
		ctx := context.Background()
		for _, m := range []string{"bad", "good", "bad"} {
			if err := nodes[0].Publish(ctx, "t", []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		quiet(t, net)
		for name, s := range map[string]p2p.Subscription{"reject": rej, "ignore": ign} {
			if ms := drain(t, s); len(ms) != 1 || string(ms[0].Data) != "good" {
				t.Fatalf("%s subscriber got %d messages", name, len(ms))
			}
		}
		st := net.Stats(pub)
		if st.Rejected != 2 || st.Ignored != 2 {
			t.Fatalf("publisher penalties %+v, want 2 rejected, 2 ignored", st)
		}
	})
}

func TestLocalValidatorBlocksPublish(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, net *Network) {
		nodes := net.AddNodes(2)
		mustSub(t, nodes[0], "t", func(context.Context, peer.ID, []byte) p2p.ValidationResult { return p2p.Reject })
		other := mustSub(t, nodes[1], "t", nil)
		if err := nodes[0].Publish(context.Background(), "t", []byte("x")); !errors.Is(err, ErrValidationFailed) {
			t.Fatalf("publish: %v", err)
		}
		quiet(t, net)
		if ms := drain(t, other); len(ms) != 0 || net.TraceLen() != 0 {
			t.Fatalf("rejected publish leaked: %d messages, %d events", len(ms), net.TraceLen())
		}
	})
}

func TestTopicDupAndDrop(t *testing.T) {
	t.Run("dup", func(t *testing.T) {
		inBubble(t, Config{Latency: time.Millisecond, Jitter: time.Millisecond, DupRate: 1}, func(t *testing.T, net *Network) {
			nodes := net.AddNodes(2)
			mustSub(t, nodes[0], "t", nil)
			s := mustSub(t, nodes[1], "t", nil)
			_ = nodes[0].Publish(context.Background(), "t", []byte("x"))
			quiet(t, net)
			if ms := drain(t, s); len(ms) != 2 {
				t.Fatalf("DupRate=1: %d copies, want 2", len(ms))
			}
		})
	})
	t.Run("drop", func(t *testing.T) {
		inBubble(t, Config{Latency: time.Millisecond, DropRate: 1}, func(t *testing.T, net *Network) {
			nodes := net.AddNodes(2)
			own := mustSub(t, nodes[0], "t", nil)
			s := mustSub(t, nodes[1], "t", nil)
			_ = nodes[0].Publish(context.Background(), "t", []byte("x"))
			quiet(t, net)
			if len(drain(t, s)) != 0 || len(drain(t, own)) != 1 {
				t.Fatal("DropRate=1 must lose the remote copy and keep the local one")
			}
			if st := net.Stats(nodes[0].Self()); st.Dropped != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	})
}

func TestSubscriptionNextHonoursContext(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, net *Network) {
		nd := net.AddNodes(1)[0]
		s := mustSub(t, nd, "t", nil)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := net.Now()
		if _, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Next: %v", err)
		}
		if d := net.Now().Sub(start); d != time.Second {
			t.Fatalf("Next returned after %v", d)
		}
	})
}
