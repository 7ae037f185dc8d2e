package authsvc_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus/driver"
	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
	"github.com/aura-p2p/aura-p2p/node"
	"github.com/aura-p2p/aura-p2p/node/authsvc"
)

// daemon is one real node (node.Open on 127.0.0.1 with a temp data dir)
// running the authority service and the control API, driven through
// control.Dial exactly as the CLI does.
type daemon struct {
	t          *testing.T
	name       string
	dir        string
	dkgTimeout time.Duration
	n          *node.Node
	auth       *authsvc.Authority
	done       bool
	// commits counts consensus commits its drivers reported (the daemon
	// wires ConsensusMetrics into every authority's driver).
	commits atomic.Int64
}

// commitCounter counts driver CommitLatency observations.
type commitCounter struct {
	driver.NopMetrics
	n *atomic.Int64
}

func (c commitCounter) CommitLatency(uint8, time.Duration) { c.n.Add(1) }

func startDaemon(t *testing.T, name string, dkgTimeout time.Duration) *daemon {
	t.Helper()
	// Unix socket paths are limited to ~104 bytes: keep the dir short.
	base, err := os.MkdirTemp("", "aa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, name)
	fc := node.FileConfig{Version: node.FileConfigVersion, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, ForcePublic: true}
	if _, err := node.Init(dir, fc); err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, name: name, dir: dir, dkgTimeout: dkgTimeout}
	d.open()
	t.Cleanup(d.stop)
	return d
}

// open opens and starts the node of d.dir.
func (d *daemon) open() {
	d.t.Helper()
	d.auth = authsvc.New(authsvc.Config{DKGTimeout: d.dkgTimeout, ConsensusMetrics: commitCounter{n: &d.commits}})
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("AURA_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", d.name)
	}
	cfg := node.Config{DataDir: d.dir, JoinPeers: 2, Logger: log, Services: []node.ServiceFunc{
		d.auth.ServiceFunc(), control.NewService(control.Config{DataDir: d.dir}, d.auth.Mount)}}
	n, err := node.Open(cfg)
	if err != nil {
		d.t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		n.Close()
		d.t.Fatal(err)
	}
	d.n, d.done = n, false
}

// restart closes the node and opens it again on the same data dir.
func (d *daemon) restart() {
	d.t.Helper()
	d.stop()
	d.open()
}

func (d *daemon) stop() {
	if d.done {
		return
	}
	d.done = true
	if err := d.n.Close(); err != nil {
		d.t.Errorf("%s: close: %v", d.name, err)
	}
}

// call runs one control call against the daemon's socket.
func (d *daemon) call(ctx context.Context, method string, params, result any) error {
	c, err := control.Dial(d.dir)
	if err != nil {
		return err
	}
	return c.Call(ctx, method, params, result)
}

func (d *daemon) mustCall(ctx context.Context, method string, params, result any) {
	d.t.Helper()
	if err := d.call(ctx, method, params, result); err != nil {
		d.t.Fatalf("%s %s: %v", d.name, method, err)
	}
}

func (d *daemon) show(ctx context.Context, aid string) treesvc.View {
	d.t.Helper()
	var v treesvc.View
	d.mustCall(ctx, control.MethodAuthorityShow, control.AuthorityShowParams{AuthorityID: aid}, &v)
	return v
}

// connectAll dials every pair (no bootstrap node: the test has no DHT).
func connectAll(t *testing.T, ds ...*daemon) {
	t.Helper()
	for i, a := range ds {
		for _, b := range ds[i+1:] {
			ai := peer.AddrInfo{ID: b.n.ID(), Addrs: b.n.Host().Addrs()}
			if err := a.n.Host().Connect(context.Background(), ai); err != nil {
				t.Fatalf("connect %s → %s: %v", a.name, b.name, err)
			}
		}
	}
}

// invite has inviter mint a code and joiner join with it.
func invite(ctx context.Context, t *testing.T, aid string, inviter, joiner *daemon) control.DeviceJoinResult {
	t.Helper()
	var inv control.DeviceInviteResult
	inviter.mustCall(ctx, control.MethodDeviceInvite, control.DeviceInviteParams{AuthorityID: aid}, &inv)
	var res control.DeviceJoinResult
	joiner.mustCall(ctx, control.MethodDeviceJoin, control.DeviceJoinParams{Code: inv.Code}, &res)
	if res.AuthorityID != aid || res.DeviceID != joiner.n.Device().ID.String() {
		t.Fatalf("join result %+v", res)
	}
	return res
}

// agree waits until every daemon's view of aid has the same (epoch, key
// epoch, root) and n devices, and returns it; a view that never agrees
// fails at ctx's deadline.
func agree(ctx context.Context, t *testing.T, aid string, n int, ds ...*daemon) treesvc.View {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		views := make([]treesvc.View, len(ds))
		ok := true
		for i, d := range ds {
			if err := d.call(ctx, control.MethodAuthorityShow, control.AuthorityShowParams{AuthorityID: aid}, &views[i]); err != nil {
				ok = false
				continue
			}
			if len(views[i].Devices) != n || views[i].Epoch != views[0].Epoch || views[i].Root != views[0].Root ||
				views[i].KeyEpoch != views[0].KeyEpoch {
				ok = false
			}
		}
		if ok {
			return views[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("views of %s never agreed on %d devices: %+v", aid, n, views)
		case <-tick.C:
		}
	}
}

// TestDaemonsCreateInviteJoinRemove: three real daemons driven through
// their control sockets: create, invite+join ×2 (1→2 devices: policy
// {2,2}, then 2-of-3), a non-member's remove is not_member, remove one,
// then a ceremony with a stopped device is device_offline naming it.
func TestDaemonsCreateInviteJoinRemove(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dkgTimeout := 3 * time.Second
	a, b, c := startDaemon(t, "a", dkgTimeout), startDaemon(t, "b", dkgTimeout), startDaemon(t, "c", dkgTimeout)
	connectAll(t, a, b, c)

	var cr control.AuthorityCreateResult
	a.mustCall(ctx, control.MethodAuthorityCreate, nil, &cr)
	if cr.DeviceID != a.n.Device().ID.String() {
		t.Fatalf("create: device %s, want %s", cr.DeviceID, a.n.Device().ID)
	}
	aid := cr.AuthorityID
	if v := a.show(ctx, ""); v.Authority != aid || len(v.Devices) != 1 || v.Policy.M != 1 {
		t.Fatalf("show after create: %+v", v)
	}

	jb := invite(ctx, t, aid, a, b)
	t.Logf("b joined: %+v", *jb.Ceremony)
	v := agree(ctx, t, aid, 2, a, b)
	if v.Policy.M != 2 || v.Policy.N != 2 {
		t.Fatalf("policy after 2nd device: %+v", v.Policy)
	}
	jc := invite(ctx, t, aid, a, c)
	t.Logf("c joined: %+v", *jc.Ceremony)
	v = agree(ctx, t, aid, 3, a, b, c)
	if v.Policy.M != 2 || v.Policy.N != 3 {
		t.Fatalf("policy after 3rd device: %+v", v.Policy)
	}

	// A device outside the authority: not_member.
	outsider := startDaemon(t, "x", dkgTimeout)
	err := outsider.call(ctx, control.MethodDeviceRemove,
		control.DeviceRemoveParams{AuthorityID: aid, DeviceID: b.n.Device().ID.String()}, nil)
	if !errors.Is(err, control.ErrNotMember) {
		t.Fatalf("outsider remove: %v, want not_member", err)
	}
	// Bad input: bad_request.
	err = a.call(ctx, control.MethodDeviceJoin, control.DeviceJoinParams{Code: "aura-invite-1:garbage"}, nil)
	if !errors.Is(err, control.ErrBadRequest) {
		t.Fatalf("bad code: %v, want bad_request", err)
	}

	var rm control.CeremonyResult
	a.mustCall(ctx, control.MethodDeviceRemove, control.DeviceRemoveParams{DeviceID: b.n.Device().ID.String()}, &rm)
	t.Logf("remove b: %+v", rm)
	if rm.Path == "" || rm.Path == "single" || rm.Epoch != v.Epoch+1 {
		t.Fatalf("remove result %+v after epoch %d", rm, v.Epoch)
	}
	if a.commits.Load() == 0 {
		t.Fatal("the proposer's consensus driver reported no commit to ConsensusMetrics")
	}
	v = agree(ctx, t, aid, 2, a, c)
	if v.Root != rm.Root {
		t.Fatalf("agreed root %s, remove reported %s", v.Root, rm.Root)
	}

	// c stops: a rotation's DKG cannot complete ⇒ device_offline naming c.
	c.stop()
	start := time.Now()
	err = a.call(ctx, control.MethodAuthorityRotate, control.AuthorityRotateParams{AuthorityID: aid}, nil)
	if !errors.Is(err, control.ErrDeviceOffline) {
		t.Fatalf("rotate with c stopped: %v, want device_offline", err)
	}
	var ce *control.Error
	if !errors.As(err, &ce) || !containsHex(ce.Message, c.n.Device().ID.String()) {
		t.Fatalf("device_offline message %q does not name c (%s)", err, c.n.Device().ID)
	}
	t.Logf("rotate refused after %s: %v", time.Since(start).Round(time.Millisecond), err)
}

func containsHex(msg, id string) bool {
	for i := 0; i+len(id) <= len(msg); i++ {
		if msg[i:i+len(id)] == id {
			return true
		}
	}
	return false
}

// TestDaemonsLong (AURA_LONG=1): four daemons; 2-of-3 then a fourth
// device, policy 3-of-4, a rotation, the founder restarted on its data
// dir (state, shares and peers come back), a removal and a rotation
// after the restart; every member agrees after each step.
func TestDaemonsLong(t *testing.T) {
	if os.Getenv("AURA_LONG") != "1" {
		t.Skip("AURA_LONG=1 runs the long daemon scenario")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dkgTimeout := 10 * time.Second
	a, b, c, d := startDaemon(t, "a", dkgTimeout), startDaemon(t, "b", dkgTimeout), startDaemon(t, "c", dkgTimeout),
		startDaemon(t, "d", dkgTimeout)
	connectAll(t, a, b, c, d)
	var cr control.AuthorityCreateResult
	a.mustCall(ctx, control.MethodAuthorityCreate, nil, &cr)
	aid := cr.AuthorityID
	invite(ctx, t, aid, a, b)
	invite(ctx, t, aid, a, c)
	invite(ctx, t, aid, a, d)
	agree(ctx, t, aid, 4, a, b, c, d)
	var res control.CeremonyResult
	b.mustCall(ctx, control.MethodAuthorityPolicy, control.AuthorityPolicyParams{Threshold: 3}, &res)
	if v := agree(ctx, t, aid, 4, a, b, c, d); v.Policy.M != 3 || v.Root != res.Root {
		t.Fatalf("policy: %+v vs %+v", v, res)
	}
	c.mustCall(ctx, control.MethodAuthorityRotate, control.AuthorityRotateParams{}, &res)
	before := agree(ctx, t, aid, 4, a, b, c, d)
	a.restart()
	connectAll(t, a, b, c, d)
	if v := a.show(ctx, aid); v.Root != before.Root || v.KeyEpoch != before.KeyEpoch {
		t.Fatalf("after restart: %+v, want %+v", v, before)
	}
	a.mustCall(ctx, control.MethodDeviceRemove, control.DeviceRemoveParams{DeviceID: d.n.Device().ID.String()}, &res)
	t.Logf("remove after restart: %+v", res)
	agree(ctx, t, aid, 3, a, b, c)
	a.mustCall(ctx, control.MethodAuthorityRotate, control.AuthorityRotateParams{}, &res)
	v := agree(ctx, t, aid, 3, a, b, c)
	if v.Root != res.Root || v.Policy.N != 3 {
		t.Fatalf("final: %+v vs %+v", v, res)
	}
}
