package node

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/jstate"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// envService records the Env it was built from.
type envService struct{ env chan Env }

func (s *envService) Start(context.Context) error { return nil }
func (s *envService) Close() error                { return nil }

// TestEnvHasSenderNotTransport: a node built with a Keyring hands its
// services the one guarded Sender (over the host, for the node's peer
// ID), the journal, the journal-backed state and the FlowCharge signer;
// no Env field holds a p2p.Transport, not even behind a type assertion.
func TestEnvHasSenderNotTransport(t *testing.T) {
	dir := initDir(t)
	f := jt.NewFounder("node-env")
	kr := &jstate.Keyring{Authority: f.Authority, Device: f.Device, DeviceKey: f.DeviceKey,
		MemberKey: f.MemberKey, Secret: f.AuthoritySecret[:]}
	got := make(chan Env, 1)
	svc := func(env Env) (Service, error) { got <- env; return &envService{}, nil }
	n, err := Open(Config{DataDir: dir, Keyring: kr, Services: []ServiceFunc{svc}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	env := <-got
	if env.Sender == nil || env.Sender != n.Sender() || env.Sender.Self() != n.ID() {
		t.Fatalf("env sender %v, node sender %v", env.Sender, n.Sender())
	}
	if env.Journal == nil || env.Journal != n.Journal() || !env.Journal.IsMember(f.NS()) {
		t.Fatal("env journal is not the node's, or the authority namespace is not joined")
	}
	if id, err := env.State.Identity(); err != nil || id.Authority != f.Authority {
		t.Fatalf("state identity %v, %v", id.Authority, err)
	}
	if env.Charges == nil || env.Host.ID() != n.ID() {
		t.Fatal("charge signer or host view missing")
	}
	v := reflect.ValueOf(env)
	for i := range v.NumField() {
		fv := v.Field(i)
		if !fv.CanInterface() {
			continue
		}
		x := fv.Interface()
		if fv.Kind() == reflect.Interface && !fv.IsNil() {
			x = fv.Elem().Interface()
		}
		if _, ok := x.(p2p.Transport); ok {
			t.Errorf("Env.%s (%T) is a p2p.Transport", v.Type().Field(i).Name, x)
		}
	}
}

// TestNoKeyringSender: without a Keyring the node still builds the
// Sender (per-device budgets) but has no FlowCharge signer.
func TestNoKeyringSender(t *testing.T) {
	dir := initDir(t)
	got := make(chan Env, 1)
	svc := func(env Env) (Service, error) { got <- env; return &envService{}, nil }
	n, err := Open(Config{DataDir: dir, Services: []ServiceFunc{svc}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	env := <-got
	if env.Sender == nil || env.Charges != nil {
		t.Fatalf("sender %v charges %v", env.Sender, env.Charges)
	}
	if _, err := env.State.Identity(); err == nil {
		t.Fatal("identity without a keyring")
	}
}

// TestGuardedSendBetweenNodes: two nodes over libp2p on loopback, each
// with a Keyring of one static context and its journal holding the
// Genesis and both DevicePeer facts. A service on the first resolves the
// second's authority from its peer ID and sends a guarded envelope
// through Env.Sender; a service on the second admits it with its own
// Env.Sender's Receiver (receipt signed with the sender's member key,
// checked against the journal's Genesis).
func TestGuardedSendBetweenNodes(t *testing.T) {
	c := jt.NewStaticContext("node-send", 2)
	envs := [2]chan Env{make(chan Env, 1), make(chan Env, 1)}
	nodes := make([]*Node, 2)
	for i, f := range c.Founders {
		kr := &jstate.Keyring{Authority: f.Authority, Device: f.Device, DeviceKey: f.DeviceKey,
			MemberKey: f.MemberKey, Secret: f.AuthoritySecret[:]}
		svc := func(env Env) (Service, error) { envs[i] <- env; return &envService{}, nil }
		n, err := Open(Config{DataDir: initDir(t), Keyring: kr, Services: []ServiceFunc{svc}})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		nodes[i] = n
	}
	for i, n := range nodes {
		j := n.Journal()
		j.Join(c.NS())
		raws := [][]byte{c.Genesis().Canonical()}
		for k, m := range nodes {
			raws = append(raws, c.DevicePeer(k, []byte(m.ID()), nil, 1).Canonical())
		}
		if res, err := j.Add(context.Background(), c.NS(), time.Now(), raws...); err != nil || res[0].Outcome != journal.Stored {
			t.Fatalf("node %d journal: %v", i, err)
		}
		if err := n.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	a, b := <-envs[0], <-envs[1]
	got := make(chan error, 1)
	b.Sender.Handle(protocols.Ctx, func(s *flow.Stream) {
		f, err := s.ReadFrame()
		if err == nil {
			in := flow.Inbound{Kind: budget.MsgEnvelope, Need: "generic", Ctx: c.ID}
			in.Frame, in.Receipt, in.TokenHash = splitAppended(f)
			var adm *flow.Admission
			if adm, err = b.Sender.Receiver().Admit(context.Background(), s, in); err == nil {
				err = adm.Commit(context.Background())
			}
		}
		got <- err
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := nodes[0].Host().Connect(ctx, nodes[1].Host().AddrInfo()); err != nil {
		t.Fatal(err)
	}
	dst, err := a.State.AuthorityOf(c.ID, nodes[1].ID())
	if err != nil || dst != c.Founders[1].Authority {
		t.Fatalf("resolve: %v, %v", dst, err)
	}
	s, err := a.Sender.Open(ctx, nodes[1].ID(), protocols.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("hello over the guarded path")
	m := flow.Msg{Kind: budget.MsgEnvelope, Need: "generic", Scope: flow.ScopeContext, Ctx: c.ID, Dst: dst,
		Frame: body, Attach: appendFixed}
	if err := s.WriteFrame(ctx, m); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("receiver: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("no frame within 20 s")
	}
	recs, err := a.Sender.Executor().ChargeRecords(ctx)
	if err != nil || len(recs) != 1 || recs[0].Key.Dst != dst {
		t.Fatalf("charge records %+v, %v", recs, err)
	}
}

// appendFixed lays out frame ‖ receipt ‖ token hash (receipt fixed size).
func appendFixed(frame, rcpt []byte, th [32]byte) []byte {
	return append(append(append([]byte(nil), frame...), rcpt...), th[:]...)
}

func splitAppended(b []byte) (frame, rcpt []byte, th [32]byte) {
	if len(b) < receipt.Size+32 {
		return nil, nil, th
	}
	n := len(b) - receipt.Size - 32
	copy(th[:], b[n+receipt.Size:])
	return b[:n], b[n : n+receipt.Size], th
}
