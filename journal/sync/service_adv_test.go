package sync

import (
	"context"
	"crypto/ed25519"
	"errors"
	gosync "sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// TestNonMemberGetsOnlyResets is SPEC §16.13 on simnet: a node that knows
// the ContextId, the Genesis and the members' peers, but not K_root, runs
// a Service and raw probes against three members. Every stream it opens
// is reset; no member ever sends it a frame; its facts are never stored.
func TestNonMemberGetsOnlyResets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 13)
		net := simnet.New(simnet.Config{Seed: 13, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		nodes := net.AddNodes(4)
		outsider := nodes[3]
		var mu gosync.Mutex
		leaked := 0
		net.OnSend(func(e simnet.Event) {
			if e.Dst == outsider.Self() && e.Kind == simnet.KindFrame {
				mu.Lock()
				leaked++
				mu.Unlock()
			}
		})
		fx := journaltest.NewStaticContext("members", 3)
		trs := []p2p.Transport{nodes[0], nodes[1], nodes[2]}
		rep := &reporter{}
		cfg := DefaultServiceConfig()
		cfg.Reporter = rep
		rs := startReplicas(t, fx, trs, cfg, 13, nil)
		defer closeReplicas(rs)

		// The outsider: same public facts, a guessed secret, its own key.
		oj := memJournal(t, fx.NS())
		if _, err := oj.Add(context.Background(), fx.NS(), time.Now(), seedFacts(fx, trs)...); err != nil {
			t.Fatal(err)
		}
		stranger := journaltest.NewFounder("stranger")
		guess := DeriveSecret(fx.ID[:])
		om := newCountMetrics()
		ocfg := DefaultServiceConfig()
		ocfg.Metrics = om
		// The outsider has a working guard chain (it knows the member keys
		// from the Genesis): its Hellos are charged, sent and still reset.
		osnd := guardedSender(t, outsider, senderState(fx, stranger, bigLimit), dssync.MutexWrap(ds.NewMapDatastore()))
		osvc, err := NewService(osnd, oj, ocfg, NamespaceKeys{NS: fx.NS(), Secrets: []Secret{guess},
			Signer: Ed25519Signer{ID: stranger.Authority, Key: stranger.MemberKey}})
		if err != nil {
			t.Fatal(err)
		}
		defer osvc.Close()
		planted := journaltest.Raw(journal.SignBody(fx.NS(), &journal.Generic{Kind: 9, Data: []byte("planted")}, stranger.Authority, stranger.MemberKey))
		if _, err := osvc.Write(context.Background(), fx.NS(), planted); err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			r.write(t, fx, "m", 2)
		}
		probe(t, outsider, nodes[0], guess, stranger)
		net.Advance(10 * cfg.SyncInterval)

		if leaked != 0 {
			t.Fatalf("members sent %d frames to the non-member", leaked)
		}
		rounds, resets, _, stored, _ := om.snapshot()
		if stored != 0 || rounds["aborted"] == 0 || len(rounds) != 1 {
			t.Fatalf("outsider: stored %d, rounds %v (want only aborted)", stored, rounds)
		}
		t.Logf("outsider rounds %v resets %v", rounds, resets)
		want := 1 + 3 + 3*2
		if !converged(t, rs, fx.NS(), want) {
			t.Fatal("members did not converge among themselves")
		}
		refused := 0
		for _, r := range rs {
			_, re, _, _, _ := r.m.snapshot()
			refused += re["not_member"]
		}
		if refused == 0 {
			t.Fatal("no member counted a not_member reset")
		}
		if k := rep.kinds(); len(k) != 0 {
			t.Fatalf("a non-member Hello is not misbehaviour, got %v", k)
		}
	})
}

// probe opens a raw stream and sends a Hello under the guessed secret:
// the only answer is a reset.
func probe(t *testing.T, from, to *simnet.Node, guess Secret, f *journaltest.Founder) {
	t.Helper()
	st, err := from.Open(context.Background(), to.Self(), protocols.Sync)
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInitiator(InitiatorConfig{Config: DefaultConfig(), S: guess, Local: []byte(from.Self()),
		Remote: []byte(to.Self()), Mode: ModeReconcile, Members: memberKeys{}, Entries: journalEntries{},
		Signer: Ed25519Signer{ID: f.Authority, Key: f.MemberKey}})
	if err != nil {
		t.Fatal(err)
	}
	hello, err := in.Start()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := EncodeFrame(hello[0])
	if err := st.WriteFrame(b); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ReadFrame(); !errors.Is(err, p2p.ErrStreamReset) {
		t.Fatalf("probe read %d bytes, err %v; want only a reset", len(got), err)
	}
}

// TestByzantineBadSymbols: a member whose responder corrupts a symbol's
// Count is reset by the initiator, counted as bad_symbols, reported as
// misbehaviour and backed off (500 ms·2ⁿ), and the honest journal keeps
// nothing from it.
func TestByzantineBadSymbols(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 7)
		net := simnet.New(simnet.Config{Seed: 7, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		nodes := net.AddNodes(2)
		fx := journaltest.NewStaticContext("byz", 2)
		trs := []p2p.Transport{nodes[0], nodes[1]}
		rep := &reporter{}
		cfg := DefaultServiceConfig()
		cfg.Reporter = rep
		honest := startReplicas(t, fx, trs[:1], cfg, 7, nil)[0]
		defer honest.svc.Close()
		if _, err := honest.j.Add(context.Background(), fx.NS(), time.Now(), journaltest.Raw(fx.DevicePeer(1, []byte(nodes[1].Self()), nil, 1))); err != nil {
			t.Fatal(err)
		}
		if err := honest.svc.Join(context.Background(), keysOf(fx, 0)); err != nil { // re-reduce: peer 1 now known
			t.Fatal(err)
		}
		byz := newByzantine(t, fx, nodes[1])
		net.Advance(10 * cfg.SyncInterval)

		rounds, resets, _, stored, _ := honest.m.snapshot()
		attempts := byz.sessions()
		if rounds["bad_symbols"] == 0 || resets["bad_symbols"] != rounds["bad_symbols"] || stored != 0 {
			t.Fatalf("rounds %v resets %v stored %d", rounds, resets, stored)
		}
		if k := rep.kinds(); len(k) == 0 || k[0] != "bad_symbols" {
			t.Fatalf("misbehaviour reports %v", k)
		}
		if byz.resetSeen() == 0 {
			t.Fatal("byzantine responder never observed a reset")
		}
		// 10 intervals = 5 s; backoff 0.5, 1, 2 s after each failure allows ≤ 5 sessions.
		if attempts > 5 {
			t.Fatalf("%d sessions in 5 s: no backoff", attempts)
		}
		t.Logf("byzantine: %d sessions, rounds %v, reports %v", attempts, rounds, rep.kinds())
	})
}

// byzantine serves member 1 with a real Responder core and corrupts the
// Count of the first symbol it sends.
type byzantine struct {
	mu       gosync.Mutex
	n, reset int
}

func (b *byzantine) sessions() int  { b.mu.Lock(); defer b.mu.Unlock(); return b.n }
func (b *byzantine) resetSeen() int { b.mu.Lock(); defer b.mu.Unlock(); return b.reset }

func newByzantine(t *testing.T, fx *journaltest.StaticContext, nd *simnet.Node) *byzantine {
	j := memJournal(t, fx.NS())
	extra := journaltest.Raw(fx.Generic(1, 1, []byte("byzantine extra")))
	if _, err := j.Add(context.Background(), fx.NS(), time.Now(), journaltest.Raw(fx.Genesis()), extra); err != nil {
		t.Fatal(err)
	}
	ids, _ := j.EntryIDs(context.Background(), fx.NS())
	members := memberKeys{}
	for _, f := range fx.Founders {
		members[f.Authority] = f.MemberKey.Public().(ed25519.PublicKey)
	}
	k := keysOf(fx, 1)
	rsv := resolver{secrets: k.Secrets, served: Served{Set: ids, Members: members,
		Entries: journalEntries{ctx: context.Background(), j: j, ns: fx.NS()}, Signer: k.Signer}}
	b := &byzantine{}
	self := []byte(nd.Self())
	// The byzantine member has a genuine guard chain: its frames carry
	// valid receipts, only the symbols are wrong.
	snd := guardedSender(t, nd, senderState(fx, fx.Founders[1], bigLimit), dssync.MutexWrap(ds.NewMapDatastore()))
	snd.Handle(protocols.Sync, func(st *flow.Stream) { b.serve(st, snd, self, rsv, fx.ID) })
	return b
}

// guardedResolver binds the session guard on resolution.
type guardedResolver struct {
	resolver
	g   *sessionGuard
	cid journal.ContextID
}

func (r guardedResolver) Resolve(nonceI, ref [16]byte, pI, pR []byte) (Served, bool) {
	s, ok := r.resolver.Resolve(nonceI, ref, pI, pR)
	r.g.cid, r.g.nonceI = r.cid, nonceI
	s.Guard = r.g
	return s, ok
}

func (b *byzantine) serve(st *flow.Stream, snd *flow.Sender, self []byte, rsv resolver, cid journal.ContextID) {
	b.mu.Lock()
	b.n++
	b.mu.Unlock()
	g := &sessionGuard{snd: snd, st: st, ctx: context.Background()}
	r, err := NewResponder(ResponderConfig{Config: DefaultConfig(), Local: self, Remote: []byte(st.RemotePeer()),
		Resolver: guardedResolver{resolver: rsv, g: g, cid: cid}})
	if err != nil {
		panic(err)
	}
	for {
		raw, err := st.ReadFrame()
		if err != nil {
			if errors.Is(err, p2p.ErrStreamReset) {
				b.mu.Lock()
				b.reset++
				b.mu.Unlock()
			}
			return
		}
		f, err := DecodeFrame(raw)
		if err != nil {
			_ = st.Reset()
			return
		}
		if f.Kind() == KindHello {
			g.helloLen = len(raw)
		}
		if g.admitFrame(f, 0) != nil {
			return
		}
		out, err := r.Step(f)
		if err != nil {
			_ = st.Reset()
			return
		}
		for i, o := range out {
			if sy, ok := o.(Symbols); ok && sy.First == 0 {
				sy.Syms[0].Count = 1 << 20 // outside [0, SetSize]
				out[i] = sy
			}
		}
		if g.sendFrames(out, func(int) {}) != nil {
			return
		}
	}
}

// TestOversizeFrameReset: a frame over a per-frame limit (129 entries in
// one Facts) is reset, counted as bad_frame and reported as misbehaviour.
func TestOversizeFrameReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 11)
		net := simnet.New(simnet.Config{Seed: 11, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		nodes := net.AddNodes(2)
		fx := journaltest.NewStaticContext("oversize", 1)
		rep := &reporter{}
		cfg := DefaultServiceConfig()
		cfg.Reporter = rep
		rs := startReplicas(t, fx, []p2p.Transport{nodes[0]}, cfg, 11, nil)
		defer closeReplicas(rs)
		st, err := nodes[1].Open(context.Background(), nodes[0].Self(), protocols.Sync)
		if err != nil {
			t.Fatal(err)
		}
		b, err := EncodeFrame(Facts{Entries: make([][]byte, FactsPerFrame+1)})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.WriteFrame(b); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ReadFrame(); !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("read %v, want a reset", err)
		}
		net.Advance(time.Second)
		_, resets, _, _, _ := rs[0].m.snapshot()
		if resets["bad_frame"] != 1 {
			t.Fatalf("resets %v", resets)
		}
		if k := rep.kinds(); len(k) != 1 || k[0] != "bad_frame" {
			t.Fatalf("misbehaviour %v", k)
		}
	})
}
