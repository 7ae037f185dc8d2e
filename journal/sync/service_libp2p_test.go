package sync

import (
	"context"
	"errors"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// newLoopbackHosts starts n real libp2p hosts on 127.0.0.1 (TCP) and
// connects every pair.
func newLoopbackHosts(t *testing.T, n int) []*p2p.Host {
	t.Helper()
	hs := make([]*p2p.Host, n)
	for i := range hs {
		c := p2p.DefaultConfig()
		c.ListenAddrs = []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")}
		c.NATPortMap, c.ForcePublic, c.Bootstrap = false, true, true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		h, err := p2p.New(ctx, c)
		cancel()
		if err != nil {
			t.Fatalf("p2p.New: %v", err)
		}
		hs[i] = h
		t.Cleanup(func() { _ = h.Close() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, a := range hs {
		for _, b := range hs[i+1:] {
			if err := a.Connect(ctx, b.AddrInfo()); err != nil {
				t.Fatalf("connect: %v", err)
			}
		}
	}
	return hs
}

// TestLoopbackConverges: 4 real hosts, each writes facts (half of them
// without a push, so reconciliation must carry them); every replica
// reaches the same EntryIDs, C[0] and reduced state. The test waits on
// the services' Changed events with a deadline, never a bare sleep.
func TestLoopbackConverges(t *testing.T) {
	const n, writes = 4, 5
	hs := newLoopbackHosts(t, n)
	trs := make([]p2p.Transport, n)
	for i, h := range hs {
		trs[i] = h
	}
	fx := journaltest.NewStaticContext("loopback", n)
	cfg := DefaultServiceConfig()
	rs := startReplicas(t, fx, trs, cfg, 1, func(i int) Liveness { return hs[i] })
	defer closeReplicas(rs)
	start := time.Now()
	for _, r := range rs {
		if r.i%2 == 0 {
			r.write(t, fx, "l", writes) // pushed at once
			continue
		}
		r.writeQuiet(t, fx, "q", writes) // only reconciliation carries these
	}
	want := 1 + n + n*writes
	deadline := time.After(30 * time.Second)
	for !converged(t, rs, fx.NS(), want) {
		select {
		case <-rs[0].svc.Changed():
		case <-rs[1].svc.Changed():
		case <-rs[2].svc.Changed():
		case <-rs[3].svc.Changed():
		case <-deadline:
			t.Fatalf("not converged after 30 s")
		}
	}
	rounds, resets, symbols, stored, sent := sumMetrics(rs)
	t.Logf("converged in %v (%.1f intervals): rounds %v resets %v symbols %d stored %d bytes sent %d",
		time.Since(start), float64(time.Since(start))/float64(cfg.SyncInterval), rounds, resets, symbols, stored, sent)
	for _, h := range hs {
		if p := h.MisbehaviourPoints(rs[0].tr.Self()); p != 0 {
			t.Fatalf("honest peer got %d misbehaviour points", p)
		}
	}
}

// TestLoopbackNonMemberReset is SPEC §16.13 on real hosts: a libp2p host
// that knows the ContextId (not K_root) opens /aura/sync/1.0.0 and sends
// a well-formed Hello under a guessed secret; it reads only a reset, and
// is not penalised for it.
func TestLoopbackNonMemberReset(t *testing.T) {
	hs := newLoopbackHosts(t, 3)
	fx := journaltest.NewStaticContext("loopback-nm", 2)
	rs := startReplicas(t, fx, []p2p.Transport{hs[0], hs[1]}, DefaultServiceConfig(), 2,
		func(i int) Liveness { return hs[i] })
	defer closeReplicas(rs)
	outsider, member := hs[2], hs[0]
	stranger := journaltest.NewFounder("stranger")
	guess := DeriveSecret(fx.ID[:])
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := outsider.Open(ctx, member.Self(), protocols.Sync)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		in, err := NewInitiator(InitiatorConfig{Config: DefaultConfig(), S: guess, Local: []byte(outsider.Self()),
			Remote: []byte(member.Self()), Mode: ModeReconcile, Members: memberKeys{}, Entries: journalEntries{},
			Signer: Ed25519Signer{ID: stranger.Authority, Key: stranger.MemberKey}})
		if err != nil {
			t.Fatal(err)
		}
		hello, _ := in.Start()
		b, _ := EncodeFrame(hello[0])
		if err := st.WriteFrame(b); err != nil {
			t.Fatal(err)
		}
		if got, err := st.ReadFrame(); !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("non-member read %d bytes, err %v; want only a reset", len(got), err)
		}
	}
	if p := member.MisbehaviourPoints(outsider.Self()); p != 0 {
		t.Fatalf("a refused Hello cost %d misbehaviour points", p)
	}
}
