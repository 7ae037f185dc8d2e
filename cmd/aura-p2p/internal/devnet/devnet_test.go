package devnet

import (
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the devnet's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runDevnet(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	base := runtime.NumGoroutine()
	var out syncBuffer
	parent := t.TempDir()
	err := Run(context.Background(), Config{Nodes: n, Out: &out, Dir: parent, StepTimeout: timeout})
	t.Logf("devnet output:\n%s", out.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, want := range []string{"joined " + itoa(n) + "/" + itoa(n), "== step join ok", "== step gossip ok",
		"gossip: " + itoa(n*(n-1)) + "/" + itoa(n*(n-1)) + " deliveries", "== step authority ok",
		"authority: 4 members agree", "PASS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if ents, err := os.ReadDir(parent); err != nil || len(ents) != 0 {
		t.Fatalf("devnet left %d entries in %s (%v)", len(ents), parent, err)
	}
	checkGoroutines(t, base)
}

// checkGoroutines waits (bounded) until the goroutine count is back to at
// most base plus a small allowance for process-wide library singletons.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	const slack = 3
	defer func() { t.Logf("goroutines: base %d, after close %d", base, runtime.NumGoroutine()) }()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+slack {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines %d > base %d + %d:\n%s", runtime.NumGoroutine(), base, slack, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestDevnetJoins is §14's devnet check with N=5: every peer joins,
// every gossip message reaches every peer, the journals converge and the
// authority ceremonies commit with every member agreeing.
func TestDevnetJoins(t *testing.T) { runDevnet(t, 5, time.Minute) }

// TestDevnet50 is the 2-core scale check behind AURA_LONG=1.
func TestDevnet50(t *testing.T) {
	if os.Getenv("AURA_LONG") != "1" {
		t.Skip("AURA_LONG=1 runs the 50-peer devnet")
	}
	runDevnet(t, 50, 3*time.Minute) // -race on 2 shared cores is slow
}

func TestFailingStepFails(t *testing.T) {
	boom := errors.New("boom")
	ran := false
	var out syncBuffer
	steps := []Step{
		{Name: "fail", Run: func(ctx context.Context, d *Devnet) error { return boom }},
		{Name: "later", Run: func(ctx context.Context, d *Devnet) error { ran = true; return nil }},
	}
	err := Run(context.Background(), Config{Nodes: 1, Steps: steps, Out: &out, Dir: t.TempDir()})
	if !errors.Is(err, ErrStepFailed) || !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want ErrStepFailed wrapping boom", err)
	}
	if ran || !strings.Contains(out.String(), "FAIL") {
		t.Fatalf("later step ran=%v; output:\n%s", ran, out.String())
	}
}

func TestStepDeadline(t *testing.T) {
	var out syncBuffer
	d, err := Start(context.Background(), Config{Nodes: 1, Out: &out, Dir: t.TempDir(), StepTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	wait := Step{Name: "wait", Run: func(ctx context.Context, d *Devnet) error { <-ctx.Done(); return ctx.Err() }}
	if err := d.RunSteps(context.Background(), []Step{wait}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunSteps = %v, want the step deadline", err)
	}
}

func TestGossipMsgRoundTrip(t *testing.T) {
	m := gossipMsg{nonce: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}, from: 49, sentNs: time.Now().UnixNano()}
	got, ok := decodeGossip(m.encode())
	if !ok || got != m {
		t.Fatalf("decode = %+v %v, want %+v", got, ok, m)
	}
	if _, ok := decodeGossip(m.encode()[1:]); ok {
		t.Fatal("short message decoded")
	}
}

func FuzzDecodeGossip(f *testing.F) {
	f.Add(gossipMsg{from: 3, sentNs: 42}.encode())
	f.Add([]byte{})
	f.Add(make([]byte, gossipMsgLen+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok := decodeGossip(b)
		if !ok {
			return
		}
		if !bytes.Equal(m.encode(), b) {
			t.Fatalf("round trip mismatch for %x", b)
		}
	})
}

func TestPercentile(t *testing.T) {
	var ts []time.Duration
	for i := 1; i <= 100; i++ {
		ts = append(ts, time.Duration(i))
	}
	for _, c := range []struct{ p, want int }{{50, 50}, {99, 99}, {100, 100}, {1, 1}} {
		if got := percentile(ts, c.p); got != time.Duration(c.want) {
			t.Errorf("p%d = %d, want %d", c.p, got, c.want)
		}
	}
	if percentile(nil, 50) != 0 || percentile(ts[:1], 99) != 1 {
		t.Error("edge cases")
	}
}
