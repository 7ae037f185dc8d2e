package authsvc

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow/jstate"
	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
	"github.com/aura-p2p/aura-p2p/node"
)

// startNode runs a real node with the authority service (no control API).
func startNode(t *testing.T, name string) (*node.Node, *Service) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	fc := node.FileConfig{Version: node.FileConfigVersion, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, ForcePublic: true}
	if _, err := node.Init(dir, fc); err != nil {
		t.Fatal(err)
	}
	auth := New(Config{})
	n, err := node.Open(node.Config{DataDir: dir, Services: []node.ServiceFunc{auth.ServiceFunc()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		n.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, auth.Service()
}

// TestHintFromOutsiderRefused: a device that is not a current device of
// the authority (per the receiver's DevicePeer facts) and not the inviter
// of a pending join gets a reset, and its hint is not recorded; a hint
// about an authority the receiver does not belong to likewise.
func TestHintFromOutsiderRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	na, a := startNode(t, "a")
	nx, x := startNode(t, "x")
	if err := nx.Host().Connect(ctx, peer.AddrInfo{ID: na.ID(), Addrs: na.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
	aid, err := a.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	victim := journal.DeviceID{0xee}
	for _, target := range []journal.AuthorityID{aid, {0x42}} {
		frame, err := EncodeHints(target, []Hint{{Device: victim, Peer: nx.ID()}})
		if err != nil {
			t.Fatal(err)
		}
		if err := x.sendHint(ctx, target, a.dev.ID, na.ID(), frame); err == nil {
			t.Fatalf("outsider's hint about %s was acknowledged", target)
		}
	}
	for _, target := range []journal.AuthorityID{aid, {0x42}} {
		if p, ok := a.book.PeerOf(target, victim); ok {
			t.Fatalf("outsider's hint about %s recorded: %s", target, p)
		}
	}
}

// TestAdoptsNodeSync: on a node that runs its own sync service (a jstate
// Keyring), the authority service joins its namespaces there instead of
// starting a second /aura/sync service, and Create still announces the
// device's peer through it.
func TestAdoptsNodeSync(t *testing.T) {
	c := jt.NewStaticContext("authsvc-adopt", 1)
	f := c.Founders[0]
	kr := &jstate.Keyring{Authority: f.Authority, Device: f.Device, DeviceKey: f.DeviceKey,
		MemberKey: f.MemberKey, Secret: f.AuthoritySecret[:]}
	dir := filepath.Join(t.TempDir(), "k")
	fc := node.FileConfig{Version: node.FileConfigVersion, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}}
	if _, err := node.Init(dir, fc); err != nil {
		t.Fatal(err)
	}
	auth := New(Config{})
	cfg := node.Config{DataDir: dir, Keyring: kr, Services: []node.ServiceFunc{auth.ServiceFunc()}}
	cfg.Sync.Service = jsync.DefaultServiceConfig()
	cfg.Sync.Service.Registry, cfg.Sync.Service.OnStored = Registry(), auth.OnStored
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := auth.Service()
	if n.Sync() == nil || s.sync.service() != n.Sync() || s.sync.own {
		t.Fatalf("authority service did not adopt the node's sync service")
	}
	aid, err := s.Create(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := s.book.factPeer(aid, s.dev.ID); !ok || p != n.ID() {
		t.Fatalf("own DevicePeer fact in %s: %v %v", aid, p, ok)
	}
}
