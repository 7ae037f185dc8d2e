package driver

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// TestEnvelopeSizes: every sealed envelope is exactly 1, 4, 16 or 64 KiB
// (the smallest that fits), opens to the frame under K_fb, and fails to
// open under another key, with a flipped bit or a wrong size (SPEC §5.6).
func TestEnvelopeSizes(t *testing.T) {
	other := [32]byte{0xee}
	for _, tc := range []struct{ n, want int }{{0, 1 << 10}, {900, 1 << 10}, {1000, 4 << 10},
		{4040, 4 << 10}, {4060, 16 << 10}, {16330, 16 << 10}, {16350, 64 << 10}, {65000, 64 << 10}} {
		frame := bytes.Repeat([]byte{0xab}, tc.n)
		env, err := SealEnvelope(testKfb, frame)
		if err != nil {
			t.Fatalf("%d B: %v", tc.n, err)
		}
		if len(env) != tc.want || !ValidEnvelopeSize(len(env)) {
			t.Fatalf("%d B sealed to %d B, want %d", tc.n, len(env), tc.want)
		}
		got, err := OpenEnvelope(testKfb, env)
		if err != nil || !bytes.Equal(got, frame) {
			t.Fatalf("%d B: open %v", tc.n, err)
		}
		if _, err := OpenEnvelope(other, env); !errors.Is(err, ErrEnvelope) {
			t.Fatalf("foreign key opened: %v", err)
		}
		env[len(env)-1] ^= 1
		if _, err := OpenEnvelope(testKfb, env); !errors.Is(err, ErrEnvelope) {
			t.Fatalf("tampered envelope opened: %v", err)
		}
		if _, err := OpenEnvelope(testKfb, env[:len(env)-1]); !errors.Is(err, ErrEnvelope) {
			t.Fatalf("short envelope opened: %v", err)
		}
	}
	if _, err := SealEnvelope(testKfb, make([]byte, 64<<10)); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("64 KiB frame sealed: %v", err)
	}
}

func TestFallbackKeyOf(t *testing.T) {
	a, err := FallbackKeyOf([]byte("secret-a"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FallbackKeyOf([]byte("secret-b"))
	if a == b || EnvelopeTag(a) == EnvelopeTag(b) {
		t.Fatal("distinct secrets gave one K_fb or Tag")
	}
}

// FuzzOpenEnvelope: arbitrary bytes never panic; whatever opens re-seals
// to an envelope that opens to the same frame.
func FuzzOpenEnvelope(f *testing.F) {
	for _, n := range []int{0, 10, 2000} {
		env, err := SealEnvelope(testKfb, bytes.Repeat([]byte{1}, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(env)
	}
	f.Add(make([]byte, 1<<10))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		frame, err := OpenEnvelope(testKfb, b)
		if err != nil {
			if !errors.Is(err, ErrEnvelope) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		env, err := SealEnvelope(testKfb, frame)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := OpenEnvelope(testKfb, env); err != nil || !bytes.Equal(got, frame) {
			t.Fatal("round trip")
		}
	})
}

// FuzzParseVote: vote-log records never panic and round-trip.
func FuzzParseVote(f *testing.F) {
	cid, pre := [32]byte{1}, [32]byte{2}
	f.Add(VoteKey(cid, pre).String(), bytes.Repeat([]byte{3}, 32))
	f.Add(voteRoot+"/zz/yy", []byte{1})
	f.Add("", []byte(nil))
	f.Fuzz(func(t *testing.T, key string, val []byte) {
		v, err := parseVote(key, val)
		if err != nil {
			if !errors.Is(err, ErrJournal) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if strings.ToLower(key) != VoteKey(v.CID, v.PrestateHash).String() || !bytes.Equal(v.RID[:], val) {
			t.Fatal("rid round trip")
		}
	})
}

// TestBadFrameResetsAndCounts: an undecodable frame or a stream from a
// non-member is answered only by a reset and counts one misbehaviour
// point (SPEC §6.6); the service keeps running.
func TestBadFrameResetsAndCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSimCluster(t, 3, 5, 4, simLatency, memberCfg{})
		defer c.close()
		stranger := c.net.AddNode(simnet.PeerID(50))
		for _, tc := range []struct {
			from p2p.Transport
			kind string
		}{{c.net.Node(c.peer(1)), KindUndecodable}, {stranger, KindUnknownPeer}} {
			st, err := tc.from.Open(context.Background(), c.peer(0), protocols.Consensus)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.WriteFrame([]byte{0xff, 0xff, 0xff}); err != nil {
				t.Fatal(err)
			}
			c.net.Advance(5 * simLatency)
			if _, err := st.ReadFrame(); !errors.Is(err, p2p.ErrStreamReset) {
				t.Fatalf("%s: remote saw %v, want a reset", tc.kind, err)
			}
			if n := c.ms[0].met.get(func(m *countMetrics) int { return m.misbeh[tc.kind] }); n != 1 {
				t.Fatalf("%s: %d misbehaviour points", tc.kind, n)
			}
		}
		f, _ := c.propose(0, 1, c.ms)
		checkAgree(t, c.ms, f.CID, &counterScope{com: c.ks.com})
	})
}

// TestFallbackValidator: the topic validator checks size only — a size
// outside 1/4/16/64 KiB is Rejected (penalised by topic scoring), a
// forwarding peer past FallbackPeerRate is Ignored, a well-sized envelope
// of another committee is Accepted (opening is local, after validation).
func TestFallbackValidator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSimCluster(t, 3, 5, 5, simLatency, memberCfg{})
		defer c.close()
		s := c.ms[0].svc
		ctx := context.Background()
		from := c.peer(1)
		for _, n := range []int{0, 1023, 1025, 2048, 65 << 10} {
			if r := s.validate(ctx, from, make([]byte, n)); r != p2p.Reject {
				t.Fatalf("%d B: %v, want Reject", n, r)
			}
		}
		foreign, err := SealEnvelope([32]byte{9}, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		for i := range fallbackPeerMsgs {
			if r := s.validate(ctx, from, foreign); r != p2p.Accept {
				t.Fatalf("message %d: %v, want Accept", i, r)
			}
		}
		if r := s.validate(ctx, from, foreign); r != p2p.Ignore {
			t.Fatalf("over FallbackPeerRate: %v, want Ignore", r)
		}
		if r := s.validate(ctx, c.peer(2), foreign); r != p2p.Accept {
			t.Fatalf("other peer: %v, want Accept", r)
		}
		time.Sleep(time.Second) // virtual: the next rate window
		if r := s.validate(ctx, from, foreign); r != p2p.Accept {
			t.Fatalf("next second: %v, want Accept", r)
		}
		if _, ok := s.openTopic(foreign); ok {
			t.Fatal("a foreign committee's envelope was opened")
		}
		got := c.ms[0].met.get(func(m *countMetrics) int { return m.envelopes[EnvelopeReject]*100 + m.envelopes[EnvelopeIgnore] })
		if got != 5*100+1 {
			t.Fatalf("metrics reject*100+ignore = %d", got)
		}
	})
}
