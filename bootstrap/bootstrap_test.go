package bootstrap

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

const (
	idA = "12D3KooWGczUeQrqHCyW2y2QTvV2rbYMKJbpbnbVSs9k6c2h4Rh9"
	idB = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
)

func TestParsePeers(t *testing.T) {
	tests := []struct {
		name  string
		in    []string
		want  error
		peers int
		addrs []int
	}{
		{"one", []string{"/ip4/1.2.3.4/tcp/4001/p2p/" + idA}, nil, 1, []int{1}},
		{"merge and dedupe", []string{
			"/ip4/1.2.3.4/tcp/4001/p2p/" + idA,
			"/ip4/1.2.3.4/udp/4001/quic-v1/p2p/" + idA,
			"/ip4/1.2.3.4/tcp/4001/p2p/" + idA,
			" /dns4/seed.example/tcp/1/p2p/" + idB + " ",
			"",
		}, nil, 2, []int{2, 1}},
		{"empty list", nil, nil, 0, nil},
		{"not a multiaddr", []string{"tcp://1.2.3.4:1"}, ErrBadMultiaddr, 0, nil},
		{"bad peer id", []string{"/ip4/1.2.3.4/tcp/1/p2p/notanid"}, ErrBadMultiaddr, 0, nil},
		{"no peer id", []string{"/ip4/1.2.3.4/tcp/4001"}, ErrMissingPeerID, 0, nil},
		{"only peer id", []string{"/p2p/" + idA}, ErrMissingPeerID, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePeers(tc.in)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "seed 0") {
					t.Fatalf("error does not name the entry: %v", err)
				}
				return
			}
			if len(got) != tc.peers {
				t.Fatalf("%d peers, want %d", len(got), tc.peers)
			}
			for i, n := range tc.addrs {
				if len(got[i].Addrs) != n {
					t.Fatalf("peer %d: %d addrs, want %d", i, len(got[i].Addrs), n)
				}
			}
		})
	}
}

func FuzzParsePeers(f *testing.F) {
	f.Add("/ip4/1.2.3.4/tcp/4001/p2p/" + idA)
	f.Add("/ip4/1.2.3.4/tcp/4001")
	f.Add("/p2p/" + idB)
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParsePeers(strings.Split(s, ","))
		if err != nil {
			if !errors.Is(err, ErrBadMultiaddr) && !errors.Is(err, ErrMissingPeerID) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, ai := range got {
			if ai.ID == "" || len(ai.Addrs) == 0 {
				t.Fatalf("accepted incomplete seed %v", ai)
			}
		}
	})
}

// fakeClock fires every After immediately and advances Now by d; it
// records the waits.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// fakeHost fails the first failN dials, reports rt as routing-table size.
type fakeHost struct {
	mu        sync.Mutex
	failN     int
	dials     int
	refreshes int
	rt        int
	onDial    func(n int)
}

func (h *fakeHost) Connect(context.Context, peer.AddrInfo) error {
	h.mu.Lock()
	h.dials++
	n, fail := h.dials, h.dials <= h.failN
	on := h.onDial
	h.mu.Unlock()
	if on != nil {
		on(n)
	}
	if fail {
		return errors.New("dial failed")
	}
	return nil
}

func (h *fakeHost) RoutingTableSize() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rt
}

func (h *fakeHost) RefreshRouting() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.refreshes++
}

func seed(t *testing.T) peer.AddrInfo {
	ai, err := ParsePeers([]string{"/ip4/127.0.0.1/tcp/1/p2p/" + idA})
	if err != nil {
		t.Fatal(err)
	}
	return ai[0]
}

func TestDialerBackoff(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	h := &fakeHost{failN: 5, rt: 3}
	d, err := NewDialer(h, DialerConfig{Seeds: []peer.AddrInfo{seed(t)}, Seed: 7, Clock: clk,
		BaseBackoff: time.Second, MaxBackoff: 8 * time.Second, CheckInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	for range 6 {
		waits = append(waits, d.Step(context.Background()))
		clk.After(waits[len(waits)-1])
	}
	// Five failures: waits in [b/2, b] for b = 1, 2, 4, 8, 8 s; then connected.
	bounds := []time.Duration{1, 2, 4, 8, 8}
	for i, b := range bounds {
		b *= time.Second
		if waits[i] < b/2 || waits[i] > b {
			t.Fatalf("wait %d = %s, want in [%s, %s]", i, waits[i], b/2, b)
		}
	}
	if d.Connected() != 1 || h.refreshes != 1 || waits[5] != time.Hour {
		t.Fatalf("connected %d refreshes %d last wait %s", d.Connected(), h.refreshes, waits[5])
	}
}

func TestBackoffDeterministic(t *testing.T) {
	seq := func(seed uint64) []time.Duration {
		d, _ := NewDialer(&fakeHost{}, DialerConfig{Seed: seed})
		var out []time.Duration
		for n := 1; n <= 10; n++ {
			out = append(out, d.Backoff(n))
		}
		return out
	}
	a, b, c := seq(1), seq(1), seq(2)
	same := true
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 1 not deterministic at %d", i)
		}
		same = same && a[i] == c[i]
	}
	if same {
		t.Fatal("different seeds gave the same jitter")
	}
	if got := ExpBackoff(time.Second, time.Minute, 100); got != time.Minute {
		t.Fatalf("ExpBackoff cap: %s", got)
	}
}

func TestDialerRebootstrap(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	h := &fakeHost{rt: 0}
	d, err := NewDialer(h, DialerConfig{Seeds: []peer.AddrInfo{seed(t)}, Clock: clk, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d.Step(ctx) // first dial succeeds
	if h.dials != 1 || h.refreshes != 1 {
		t.Fatalf("dials %d refreshes %d", h.dials, h.refreshes)
	}
	clk.After(DefaultCheckInterval)
	d.Step(ctx) // routing table empty: re-dial + refresh
	if h.dials != 2 || h.refreshes != 2 {
		t.Fatalf("re-bootstrap: dials %d refreshes %d", h.dials, h.refreshes)
	}
	d.Step(ctx) // still empty, but the next round is backed off
	if h.dials != 2 {
		t.Fatalf("re-bootstrap not backed off: dials %d", h.dials)
	}
	h.mu.Lock()
	h.rt = 4
	h.mu.Unlock()
	clk.After(time.Hour)
	d.Step(ctx)
	if h.dials != 2 || d.rounds != 0 {
		t.Fatalf("healthy table re-dialled: dials %d rounds %d", h.dials, d.rounds)
	}
}

func TestDialerRunStops(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	ctx, cancel := context.WithCancel(context.Background())
	h := &fakeHost{failN: 1 << 30, onDial: func(n int) {
		if n == 20 {
			cancel()
		}
	}}
	d, err := NewDialer(h, DialerConfig{Seeds: []peer.AddrInfo{seed(t)}, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if clk.Now().Sub(time.Unix(0, 0)) < time.Minute {
		t.Fatalf("fake time %s: backoff not applied", clk.Now().Sub(time.Unix(0, 0)))
	}
}

func TestDialerConfigValidate(t *testing.T) {
	bad := []DialerConfig{
		{BaseBackoff: -1},
		{BaseBackoff: time.Minute, MaxBackoff: time.Second},
		{Seeds: []peer.AddrInfo{{Addrs: []ma.Multiaddr{ma.StringCast("/ip4/1.2.3.4/tcp/1")}}}},
	}
	for i, c := range bad {
		if _, err := NewDialer(&fakeHost{}, c); !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("case %d: %v", i, err)
		}
	}
}

// TestExpBackoffNoOverflow: with a cap near the largest Duration the
// doubling must saturate at the cap, never wrap negative or to zero.
func TestExpBackoffNoOverflow(t *testing.T) {
	const maxD = time.Duration(math.MaxInt64)
	cases := []struct {
		base time.Duration
		n    int
		want time.Duration
	}{
		{1 << 62, 1, 1 << 62},
		{1 << 62, 2, maxD},
		{1 << 62, 3, maxD},
		{time.Second, 64, maxD},
		{time.Second, 1000, maxD},
		{time.Second, 3, 4 * time.Second},
	}
	for _, c := range cases {
		if got := ExpBackoff(c.base, maxD, c.n); got != c.want {
			t.Errorf("ExpBackoff(%d, max, %d) = %d, want %d", c.base, c.n, got, c.want)
		}
	}
	d, err := NewDialer(nil, DialerConfig{BaseBackoff: 1 << 62, MaxBackoff: maxD})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < 70; n++ {
		if b := d.Backoff(n); b <= 0 {
			t.Fatalf("Backoff(%d) = %d", n, b)
		}
	}
}
