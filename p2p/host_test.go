package p2p

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/protocols"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func TestIdentityPersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, IdentityFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	cfg := testConfig()
	cfg.PrivKey = k1
	h1 := newTestHost(t, cfg)
	id1 := h1.ID()
	if err := h1.Close(); err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PrivKey = k2
	h2 := newTestHost(t, cfg)
	defer h2.Close()
	if h2.ID() != id1 {
		t.Fatalf("peer ID changed across restart: %s -> %s", id1, h2.ID())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func TestIdentityErrors(t *testing.T) {
	rsa, _, err := crypto.GenerateECDSAKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	ecdsaRaw, _ := crypto.MarshalPrivateKey(rsa)
	good, _, _ := crypto.GenerateEd25519Key(nil)
	goodRaw, _ := crypto.MarshalPrivateKey(good)
	tests := []struct {
		name string
		data []byte
		mode os.FileMode
		want error
	}{
		{"world readable", goodRaw, 0o644, ErrIdentityPermissions},
		{"group readable", goodRaw, 0o640, ErrIdentityPermissions},
		{"garbage", []byte("not a key"), 0o600, ErrIdentityCorrupt},
		{"empty", nil, 0o600, ErrIdentityCorrupt},
		{"not ed25519", ecdsaRaw, 0o600, ErrIdentityCorrupt},
		{"ok", goodRaw, 0o600, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, IdentityFile)
			if err := os.WriteFile(path, tc.data, tc.mode); err != nil {
				t.Fatal(err)
			}
			_ = os.Chmod(path, tc.mode)
			_, err := LoadIdentity(dir)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("LoadIdentity: %v, want %v", err, tc.want)
			}
			if _, err := LoadOrCreateIdentity(dir); !errors.Is(err, tc.want) {
				t.Fatalf("LoadOrCreateIdentity: %v, want %v (must not overwrite)", err, tc.want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		if _, err := LoadIdentity(t.TempDir()); !errors.Is(err, ErrIdentityMissing) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, IdentityFile), 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := LoadIdentity(dir)
		if err == nil || errors.Is(err, ErrIdentityMissing) {
			t.Fatalf("directory as key file: %v", err)
		}
	})
}

func FuzzDecodeIdentity(f *testing.F) {
	k, _, _ := crypto.GenerateEd25519Key(nil)
	raw, _ := crypto.MarshalPrivateKey(k)
	f.Add(raw)
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x01, 0x12, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := decodeIdentity(data)
		if err != nil {
			if !errors.Is(err, ErrIdentityCorrupt) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := crypto.MarshalPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := decodeIdentity(again)
		if err != nil || !k2.Equals(k) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	pid, _ := peer.Decode("12D3KooWGczUeQrqHCyW2y2QTvV2rbYMKJbpbnbVSs9k6c2h4Rh9")
	addr := ma.StringCast("/ip4/127.0.0.1/tcp/4001")
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"zero", func(c *Config) { *c = Config{} }, true},
		{"low > high", func(c *Config) { c.ConnLow, c.ConnHigh = 10, 5 }, false},
		{"negative low", func(c *Config) { c.ConnLow = -1 }, false},
		{"negative grace", func(c *Config) { c.ConnGrace = -time.Second }, false},
		{"negative limit", func(c *Config) { c.MisbehaviourLimit = -1 }, false},
		{"long neighbourhood", func(c *Config) { c.Neighbourhood = string(make([]byte, 65)) }, false},
		{"bad utf8 neighbourhood", func(c *Config) { c.Neighbourhood = "\xff" }, false},
		{"udp listen", func(c *Config) { c.ListenAddrs = []ma.Multiaddr{ma.StringCast("/ip4/0.0.0.0/udp/1")} }, false},
		{"nil listen entry", func(c *Config) { c.ListenAddrs = []ma.Multiaddr{nil} }, false},
		{"quic listen", func(c *Config) { c.ListenAddrs = []ma.Multiaddr{ma.StringCast("/ip4/0.0.0.0/udp/0/quic-v1")} }, true},
		{"seed without id", func(c *Config) { c.BootstrapPeers = []peer.AddrInfo{{Addrs: []ma.Multiaddr{addr}}} }, false},
		{"seed without addrs", func(c *Config) { c.BootstrapPeers = []peer.AddrInfo{{ID: pid}} }, false},
		{"seed ok", func(c *Config) { c.BootstrapPeers = []peer.AddrInfo{{ID: pid, Addrs: []ma.Multiaddr{addr}}} }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			before := c
			err := c.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
				t.Fatalf("Validate: %v, ok=%v", err, tc.ok)
			}
			if c.Neighbourhood != before.Neighbourhood || c.ConnLow != before.ConnLow || len(c.ListenAddrs) != len(before.ListenAddrs) {
				t.Fatal("Validate mutated the config")
			}
			if !tc.ok {
				if _, err := New(context.Background(), c); !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("New: %v, want ErrInvalidConfig", err)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{Bootstrap: true}.withDefaults()
	if c.ConnLow != BootstrapConnLow || c.ConnHigh != BootstrapConnHigh || c.Neighbourhood != "aura" ||
		c.MisbehaviourLimit != 20 || c.GateDuration != 10*time.Minute {
		t.Fatalf("bootstrap defaults: %+v", c)
	}
	c = Config{ConnLow: 300}.withDefaults()
	if c.ConnLow != 300 || c.ConnHigh != 300 {
		t.Fatalf("high not raised to low: %d/%d", c.ConnLow, c.ConnHigh)
	}
}

func TestTopicNames(t *testing.T) {
	fb, rdv := FallbackTopic("aura"), RendezvousTopic("aura")
	if len(fb) != len("/aura/fb/1/")+32 || fb[:11] != "/aura/fb/1/" || rdv[:12] != "/aura/rdv/1/" {
		t.Fatalf("topic names %q %q", fb, rdv)
	}
	if FallbackTopic("other") == fb || RendezvousTopic("aura") != rdv {
		t.Fatal("topic names not a function of the neighbourhood")
	}
}

func TestResourceLimits(t *testing.T) {
	l := resourceLimits().ToPartialLimitConfig()
	if l.System.Conns != SystemConns || l.System.ConnsInbound != SystemConnsInbound ||
		l.System.Streams != SystemStreams || l.System.Memory != SystemMemory ||
		l.PeerDefault.Conns != PeerConns || l.PeerDefault.StreamsInbound != PeerStreamsInbound ||
		l.PeerDefault.Memory != PeerMemory {
		t.Fatalf("limits: system %+v peer %+v", l.System, l.PeerDefault)
	}
	for _, p := range protocols.All() {
		if got := l.ProtocolPeer[p].StreamsInbound; got != ProtocolPeerStreamsInbound {
			t.Fatalf("%s inbound streams per peer %v", p, got)
		}
	}
	r := relayResources()
	if r.Limit == nil || r.Limit.Duration != time.Hour || r.Limit.Data != 64<<20 ||
		r.MaxReservations != 1024 || r.MaxCircuits != 64 {
		t.Fatalf("relay resources %+v", r)
	}
}

func TestProtect(t *testing.T) {
	a := newTestHost(t, testConfig())
	defer a.Close()
	p := peer.ID("x")
	a.Protect(p, "committee")
	if !a.LibP2P().ConnManager().IsProtected(p, "committee") {
		t.Fatal("not protected")
	}
	if a.Unprotect(p, "committee") {
		t.Fatal("still protected")
	}
}

func TestTransportErrors(t *testing.T) {
	a := newTestHost(t, testConfig())
	b := newTestHost(t, testConfig())
	t.Cleanup(func() { closeAll(t, []*Host{a, b}) })
	connectPair(t, a, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.Open(ctx, b.ID(), protocols.Sync); !errors.Is(err, ErrNoProtocol) {
		t.Fatalf("Open unsupported: %v, want ErrNoProtocol", err)
	}
	stranger, _, _ := crypto.GenerateEd25519Key(nil)
	sid, _ := peer.IDFromPrivateKey(stranger)
	if _, err := a.Open(ctx, sid, protocols.Sync); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Open unknown peer: %v, want ErrUnreachable", err)
	}
	if err := a.Publish(ctx, "/aura/never-joined", []byte("x")); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("Publish: %v, want ErrNotSubscribed", err)
	}
	// A frame over the cap is refused locally; the stream stays usable.
	got := make(chan []byte, 1)
	b.Handle(protocols.DKG, func(s Stream) {
		f, _ := s.ReadFrame()
		got <- f
		_ = s.Close()
	})
	s, err := a.Open(ctx, b.ID(), protocols.DKG)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFrame(make([]byte, protocols.MaxDKGFrame+1)); !errors.Is(err, protocols.ErrFrameTooLarge) {
		t.Fatalf("oversize write: %v", err)
	}
	if err := s.WriteFrame([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	if f := <-got; string(f) != "ok" {
		t.Fatalf("got %q", f)
	}
	// Reset on one side surfaces as ErrStreamReset on the other.
	b.Handle(protocols.Ctx, func(s Stream) {
		_, _ = s.ReadFrame()
		_ = s.Reset()
	})
	s2, err := a.Open(ctx, b.ID(), protocols.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = s2.WriteFrame([]byte("hi"))
	if _, err := s2.ReadFrame(); !errors.Is(err, ErrStreamReset) {
		t.Fatalf("read after remote reset: %v, want ErrStreamReset", err)
	}
}

func TestQUIC(t *testing.T) {
	cfg := testConfig()
	cfg.ListenAddrs = []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/udp/0/quic-v1")}
	a, b := newTestHost(t, cfg), newTestHost(t, cfg)
	t.Cleanup(func() { closeAll(t, []*Host{a, b}) })
	connectPair(t, a, b)
	conns := a.LibP2P().Network().ConnsToPeer(b.ID())
	if len(conns) == 0 || conns[0].ConnState().Transport != "quic-v1" {
		t.Fatalf("conns %v", conns)
	}
}

// TestCloseLeavesNoGoroutines warms up once (global singletons), then
// checks that a joined three-host network leaves no goroutine behind.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	run := func() {
		boot, peers := startNetworkNoCleanup(t, 2)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, h := range peers {
			if err := h.WaitJoined(ctx, 3); err != nil {
				t.Fatal(err)
			}
		}
		sub, err := peers[0].Subscribe(FallbackTopic(DefaultNeighbourhood), nil)
		if err != nil {
			t.Fatal(err)
		}
		sub2, err := peers[1].Subscribe(FallbackTopic(DefaultNeighbourhood), nil)
		if err != nil {
			t.Fatal(err)
		}
		sub.Cancel()
		if _, err := sub.Next(ctx); !errors.Is(err, ErrSubscriptionCancelled) {
			t.Fatalf("Next after Cancel: %v", err)
		}
		closeAll(t, append([]*Host{boot}, peers...))
		if _, err := sub2.Next(ctx); !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v", err)
		}
		if err := peers[1].Publish(ctx, FallbackTopic(DefaultNeighbourhood), []byte("x")); !errors.Is(err, ErrClosed) {
			t.Fatalf("Publish after Close: %v", err)
		}
		for _, h := range append([]*Host{boot}, peers...) {
			if err := h.WaitJoined(ctx, 3); !errors.Is(err, ErrClosed) {
				t.Fatalf("WaitJoined after Close: %v", err)
			}
		}
	}
	run()
	base := stableGoroutines()
	run()
	deadline := time.Now().Add(20 * time.Second)
	n := runtime.NumGoroutine()
	for n > base && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(20 * time.Millisecond) // bounded wait for exiting goroutines, not convergence
		n = runtime.NumGoroutine()
	}
	if n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after close, baseline %d:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// stableGoroutines returns the goroutine count once it stops falling.
func stableGoroutines() int {
	n := runtime.NumGoroutine()
	for range 100 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			return m
		}
		n = m
	}
	return n
}
