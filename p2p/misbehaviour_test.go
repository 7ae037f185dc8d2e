package p2p

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/protocols"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

func TestMisbehaviourBook(t *testing.T) {
	p := peer.ID("p")
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name    string
		offsets []time.Duration // times of points
		reached int             // index of the point that reaches the limit (-1: none)
	}{
		{"below limit", []time.Duration{0, time.Second}, -1},
		{"at limit", []time.Duration{0, time.Second, 2 * time.Second}, 2},
		{"old points expire", []time.Duration{0, time.Second, 11 * time.Minute}, -1},
		{"span boundary excluded", []time.Duration{0, 5 * time.Minute, 10 * time.Minute}, -1},
		{"just inside span", []time.Duration{0, 5 * time.Minute, 10*time.Minute - time.Nanosecond}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newMisbehaviourBook(3, 10*time.Minute, 10*time.Minute)
			for i, off := range tc.offsets {
				if got := b.add(p, t0.Add(off)); got != (i == tc.reached) {
					t.Fatalf("point %d: reached=%v", i, got)
				}
			}
		})
	}
	t.Run("gate expires", func(t *testing.T) {
		b := newMisbehaviourBook(1, time.Minute, 10*time.Minute)
		if !b.add(p, t0) {
			t.Fatal("limit 1 not reached")
		}
		if !b.isGated(p, t0.Add(10*time.Minute-time.Nanosecond)) {
			t.Fatal("not gated before expiry")
		}
		if b.add(p, t0.Add(time.Minute)) {
			t.Fatal("re-triggered while gated")
		}
		if b.isGated(p, t0.Add(10*time.Minute)) {
			t.Fatal("still gated at expiry")
		}
		b.prune(t0.Add(time.Hour))
		if len(b.points) != 0 || len(b.gated) != 0 {
			t.Fatalf("prune kept %d/%d", len(b.points), len(b.gated))
		}
	})
}

// fakeClock is a settable clock for Config.Clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sendRaw opens a raw libp2p stream from a to b and writes raw bytes,
// then reads until error; it returns the read error the writer sees.
func sendRaw(t *testing.T, a, b *Host, proto string, raw []byte) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := a.LibP2P().NewStream(ctx, b.ID(), protocolID(proto))
	if err != nil {
		t.Fatalf("raw stream: %v", err)
	}
	_ = s.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := s.Write(raw); err != nil {
		return err
	}
	_, err = io.ReadAll(s)
	return err
}

func TestBadFramesResetAndGate(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_000_000, 0)}
	mA := newCountingMetrics()
	ca := testConfig()
	ca.Clock, ca.Metrics, ca.MisbehaviourLimit = clk.Now, mA, 3
	a := newTestHost(t, ca)
	b := newTestHost(t, testConfig())
	t.Cleanup(func() { closeAll(t, []*Host{a, b}) })
	connectPair(t, b, a)

	readErrs := make(chan error, 8)
	a.Handle(protocols.Invite, func(s Stream) {
		_, err := s.ReadFrame()
		readErrs <- err
	})
	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{"oversize", protocols.AppendFrame(nil, make([]byte, protocols.MaxInviteFrame+1)), protocols.ErrFrameTooLarge},
		{"garbage prefix", []byte{0x80, 0x80, 0x80, 0x80, 0x01}, protocols.ErrBadFrame},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			werr := sendRaw(t, b, a, string(protocols.Invite), tc.raw)
			if rerr := <-readErrs; !errors.Is(rerr, tc.want) {
				t.Fatalf("reader error %v, want %v", rerr, tc.want)
			}
			if !errors.Is(werr, network.ErrReset) {
				t.Fatalf("writer saw %v, want stream reset", werr)
			}
			if got := a.MisbehaviourPoints(b.ID()); got != i+1 {
				t.Fatalf("points %d, want %d", got, i+1)
			}
		})
	}
	// Points expire after the span on the injected clock.
	clk.Advance(DefaultMisbehaviourSpan + time.Second)
	if got := a.MisbehaviourPoints(b.ID()); got != 0 {
		t.Fatalf("points after span %d, want 0", got)
	}
	// Three points in the span reach the limit: disconnect + gate.
	for range 3 {
		_ = sendRaw(t, b, a, string(protocols.Invite), []byte{0xff, 0xff, 0xff, 0xff, 0xff})
		<-readErrs
	}
	if !a.Gated(b.ID()) {
		t.Fatal("peer not gated at the limit")
	}
	eventually(t, 10*time.Second, "gated peer disconnected on both sides", func() bool {
		return !a.connected(b.ID()) && !b.connected(a.ID())
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// b may complete its side of the handshake, but a's gater refuses the
	// secured connection before a ever adds it.
	_ = b.Connect(ctx, a.AddrInfo())
	if a.connected(b.ID()) {
		t.Fatal("gated peer reconnected")
	}
	if err := a.Connect(ctx, b.AddrInfo()); !errors.Is(err, ErrGated) {
		t.Fatalf("dial to gated peer: %v, want ErrGated", err)
	}
	if _, err := a.Open(ctx, b.ID(), protocols.Invite); !errors.Is(err, ErrGated) || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Open to gated peer: %v", err)
	}
	mA.mu.Lock()
	gatedN, invite := mA.gated, mA.misbehaviour[string(protocols.Invite)+"/"+KindBadFrame]
	mA.mu.Unlock()
	if gatedN != 1 || invite != 4 {
		t.Fatalf("metrics: gated %d, bad_frame points %d; want 1, 4", gatedN, invite)
	}
	// The gate lifts after GateDuration.
	clk.Advance(DefaultGateDuration)
	if a.Gated(b.ID()) {
		t.Fatal("gate did not expire")
	}
	connectPair(t, b, a)
}

func TestValidatorRejectCountsMisbehaviour(t *testing.T) {
	ma := newCountingMetrics()
	cfgA := testConfig()
	cfgA.Metrics = ma
	a := newTestHost(t, cfgA)
	defer func() { t.Logf("validated %v misb %v", ma.validated, ma.misbehaviour) }()
	b := newTestHost(t, testConfig())
	t.Cleanup(func() { closeAll(t, []*Host{a, b}) })
	connectPair(t, b, a)
	const topic = "/aura/test/reject"
	subA, err := a.Subscribe(topic, func(_ context.Context, _ peer.ID, data []byte) ValidationResult {
		if strings.HasPrefix(string(data), "bad") {
			return Reject
		}
		return Accept
	})
	if err != nil {
		t.Fatal(err)
	}
	defer subA.Cancel()
	subB, err := b.Subscribe(topic, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer subB.Cancel()
	eventually(t, 10*time.Second, "a and b see each other on topic", func() bool {
		return len(b.TopicPeers(topic)) == 1 && len(a.TopicPeers(topic)) == 1
	})
	// The first RPCs can race the remote's stream setup, so publish
	// distinct bad messages until one is judged.
	k := 0
	eventually(t, 10*time.Second, "reject recorded", func() bool {
		if a.MisbehaviourPoints(b.ID()) > 0 {
			return true
		}
		k++
		if err := b.Publish(context.Background(), topic, fmt.Appendf(nil, "bad-%d", k)); err != nil {
			t.Fatal(err)
		}
		return false
	})
	if err := b.Publish(context.Background(), topic, []byte("good")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := subA.Next(ctx)
	if err != nil || string(m.Data) != "good" || m.From != b.ID() || m.Local {
		t.Fatalf("got %+v, %v; want good from b", m, err)
	}
}
