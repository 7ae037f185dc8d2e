package control_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/node"
)

// runNode initialises a loopback-only data directory and starts a node
// with the control service (and mounts); it is closed at cleanup.
func runNode(t *testing.T, mounts ...control.Mount) (*node.Node, string) {
	t.Helper()
	parent, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	dir := filepath.Join(parent, "d")
	fc := node.DefaultFileConfig()
	fc.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	fc.NATPortMap = false
	fc.ForcePublic = true
	if _, err := node.Init(dir, fc); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(node.Config{DataDir: dir, Services: []node.ServiceFunc{control.NewService(control.Config{DataDir: dir}, mounts...)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("node Close: %v", err)
		}
	})
	return n, dir
}

func TestNodeStatus(t *testing.T) {
	n, dir := runNode(t)
	c, err := control.Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var st control.Status
	if err := c.Call(ctx, control.MethodNodeStatus, nil, &st); err != nil {
		t.Fatal(err)
	}
	if st.PeerID != n.ID().String() {
		t.Fatalf("peer id %q, want %s", st.PeerID, n.ID())
	}
	if len(st.ListenAddrs) == 0 || !strings.HasPrefix(st.ListenAddrs[0], "/ip4/127.0.0.1/tcp/") ||
		!strings.HasSuffix(st.ListenAddrs[0], "/p2p/"+st.PeerID) {
		t.Fatalf("listen addrs %v", st.ListenAddrs)
	}
	// A lone node has no peers and, with no bootstrap peer, is not joined.
	if st.ConnectedPeers != 0 || st.RoutingTableSize != 0 || st.Joined || st.JoinPeers != node.DeploymentJoinPeers || st.UptimeMs < 0 {
		t.Fatalf("status %+v", st)
	}
	if err := c.Call(ctx, control.MethodAuthorityShow, control.AuthorityShowParams{}, nil); !errors.Is(err, control.ErrUnknownMethod) {
		t.Fatalf("authority.show before the service exists: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(control.SocketPath(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket left after node Close: %v", err)
	}
	if err := c.Call(ctx, control.MethodNodeStatus, nil, &st); !errors.Is(err, control.ErrNotRunning) {
		t.Fatalf("call after Close: %v", err)
	}
}

// TestMountRegistersHandlers: a mount (what the authority service's wiring
// will be) registers a method and an error mapping.
func TestMountRegistersHandlers(t *testing.T) {
	errOffline := errors.New("tree: dkg participant silent")
	mount := func(srv *control.Server, env node.Env) error {
		if err := srv.MapError(errOffline, control.ErrDeviceOffline); err != nil {
			return err
		}
		return control.Register(srv, control.MethodDeviceRemove, func(_ context.Context, p control.DeviceRemoveParams) (struct{}, error) {
			if env.Datastore == nil {
				return struct{}{}, errors.New("no datastore")
			}
			return struct{}{}, errOffline
		})
	}
	_, dir := runNode(t, mount)
	c, err := control.Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Call(t.Context(), control.MethodDeviceRemove, control.DeviceRemoveParams{DeviceID: "00"}, nil)
	if !errors.Is(err, control.ErrDeviceOffline) || !strings.Contains(err.Error(), "silent") {
		t.Fatalf("device.remove: %v", err)
	}
}
