package sync

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// --- taps outside the guard chain --------------------------------------

// wireEvent is one frame written to a stream, stamped from the shared
// sequence before the bytes leave.
type wireEvent struct {
	seq          uint64
	stream       int
	self, remote peer.ID
	nonceI       [16]byte // the session's NonceI (from its Hello, read or written)
	frame        []byte
}

// tapTransport wraps a transport: every stream records its writes.
type tapTransport struct {
	p2p.Transport
	seq *atomic.Uint64

	mu      gosync.Mutex
	streams int
	events  []wireEvent
}

func (t *tapTransport) wrap(s p2p.Stream) p2p.Stream {
	t.mu.Lock()
	t.streams++
	id := t.streams
	t.mu.Unlock()
	return &tapStream{Stream: s, t: t, id: id}
}

func (t *tapTransport) Open(ctx context.Context, p peer.ID, pr protocol.ID) (p2p.Stream, error) {
	s, err := t.Transport.Open(ctx, p, pr)
	if err != nil {
		return nil, err
	}
	return t.wrap(s), nil
}

func (t *tapTransport) Handle(pr protocol.ID, h p2p.StreamHandler) {
	t.Transport.Handle(pr, func(s p2p.Stream) { h(t.wrap(s)) })
}

func (t *tapTransport) Events() []wireEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.events)
}

type tapStream struct {
	p2p.Stream
	t      *tapTransport
	id     int
	nonceI [16]byte // written or read Hello's (one goroutine per stream)
}

func (s *tapStream) note(b []byte) {
	if f, err := DecodeFrame(b); err == nil && f.Kind() == KindHello {
		s.nonceI = f.(Hello).NonceI
	}
}

func (s *tapStream) ReadFrame() ([]byte, error) {
	b, err := s.Stream.ReadFrame()
	if err == nil {
		s.note(b)
	}
	return b, err
}

func (s *tapStream) WriteFrame(b []byte) error {
	s.note(b)
	ev := wireEvent{seq: s.t.seq.Add(1), stream: s.id, self: s.t.Self(), remote: s.RemotePeer(),
		nonceI: s.nonceI, frame: slices.Clone(b)}
	s.t.mu.Lock()
	s.t.events = append(s.t.events, ev)
	s.t.mu.Unlock()
	return s.Stream.WriteFrame(b)
}

// tapDS records every committed batch's receipt-log nonces, stamped from
// the shared sequence after Commit returns.
type tapDS struct {
	ds.Batching
	seq *atomic.Uint64

	mu     gosync.Mutex
	nonces map[uint64]uint64 // nonce → commit seq
}

func newTapDS(seq *atomic.Uint64) *tapDS {
	return &tapDS{Batching: dssync.MutexWrap(ds.NewMapDatastore()), seq: seq, nonces: map[uint64]uint64{}}
}

func (d *tapDS) Batch(ctx context.Context) (ds.Batch, error) {
	b, err := d.Batching.Batch(ctx)
	if err != nil {
		return nil, err
	}
	return &tapBatch{Batch: b, d: d}, nil
}

func (d *tapDS) committed(n uint64) (uint64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.nonces[n]
	return s, ok
}

type tapBatch struct {
	ds.Batch
	d      *tapDS
	nonces []uint64
}

func (b *tapBatch) Put(ctx context.Context, k ds.Key, v []byte) error {
	if ks := k.String(); strings.HasPrefix(ks, "/aura/f/rcpt/") {
		raw, err := hex.DecodeString(ks[strings.LastIndexByte(ks, '/')+1:])
		if err != nil || len(raw) != 8 {
			return errors.New("tap: bad receipt-log key")
		}
		var n uint64
		for _, c := range raw {
			n = n<<8 | uint64(c)
		}
		b.nonces = append(b.nonces, n)
	}
	return b.Batch.Put(ctx, k, v)
}

func (b *tapBatch) Commit(ctx context.Context) error {
	if err := b.Batch.Commit(ctx); err != nil {
		return err
	}
	seq := b.d.seq.Add(1)
	b.d.mu.Lock()
	for _, n := range b.nonces {
		b.d.nonces[n] = seq
	}
	b.d.mu.Unlock()
	return nil
}

// frameReceipt extracts the receipt covering ev's frame: inside the box
// for Hello and HelloAck (opened with the static secret), else the
// Receipt field; nil for a Symbols frame continuing a grant.
func frameReceipt(t *testing.T, s Secret, ev wireEvent) (Frame, []byte) {
	t.Helper()
	f, err := DecodeFrame(ev.frame)
	if err != nil {
		t.Fatalf("frame %d does not decode: %v", ev.seq, err)
	}
	switch h := f.(type) {
	case Hello:
		k := DeriveKeys(s, h.NonceI, []byte(ev.self), []byte(ev.remote))
		body, err := open(k.BoxI, h.Box, BoxSize, BoxSizeFullToken)
		if err != nil {
			t.Fatalf("Hello %d: %v", ev.seq, err)
		}
		box, err := DecodeHelloBox(body)
		if err != nil {
			t.Fatal(err)
		}
		if rc, err := receipt.Decode(box.Receipt); err != nil || rc.PayloadHash != payloadHash(h.NonceI, k.Ref, box.canonical(false)) {
			t.Fatalf("Hello %d: receipt does not bind the box (%v)", ev.seq, err)
		}
		return f, box.Receipt
	case HelloAck:
		k := DeriveKeys(s, ev.nonceI, []byte(ev.remote), []byte(ev.self))
		body, err := open(k.BoxR, h.Box, BoxSize)
		if err != nil {
			t.Fatalf("HelloAck %d: %v", ev.seq, err)
		}
		box, err := DecodeAckBox(body)
		if err != nil {
			t.Fatal(err)
		}
		return f, box.Receipt
	}
	return f, receiptOf(f)
}

// auditNode checks every sync frame tr wrote: its receipt's nonce was
// committed (charge record + receipt log, one synced batch) before the
// write, no charge covers two frames except a grant's Symbols frames,
// and a Symbols frame without receipt continues a covered grant on the
// same stream. It returns the frames audited per kind.
func auditNode(t *testing.T, s Secret, tr *tapTransport, d *tapDS, f *journaltest.Founder) map[FrameKind]int {
	t.Helper()
	kinds := map[FrameKind]int{}
	used := map[uint64]uint64{}
	grantOpen := map[int]bool{}
	for i, ev := range tr.Events() {
		fr, rcpt := frameReceipt(t, s, ev)
		kinds[fr.Kind()]++
		if len(rcpt) == 0 {
			if fr.Kind() != KindSymbols || !grantOpen[ev.stream] {
				t.Fatalf("frame %d (%v) carries no receipt", ev.seq, fr.Kind())
			}
			continue
		}
		grantOpen[ev.stream] = fr.Kind() == KindSymbols
		rc, err := receipt.Decode(rcpt)
		if err != nil || (i%8 == 0 && !rc.VerifySig(f.MemberPub)) {
			t.Fatalf("frame %d: bad receipt (%v)", ev.seq, err)
		}
		cs, ok := d.committed(rc.Nonce)
		if !ok || cs >= ev.seq {
			t.Fatalf("frame %d (%v): charge committed=%v at %d, not before the write", ev.seq, fr.Kind(), ok, cs)
		}
		if prev, dup := used[rc.Nonce]; dup {
			t.Fatalf("frame %d reuses the charge of frame %d", ev.seq, prev)
		}
		used[rc.Nonce] = ev.seq
	}
	return kinds
}

// TestGuardedSyncChargeBeforeSend: four members reconcile on simnet with
// the guard chain in place (quiet writes force symbols, Want and Facts;
// pushes force push sessions). Taps on each transport and on each
// sender's datastore show every sync frame written was preceded by a
// committed charge carrying its receipt (SPEC §6.4, §9 "Guards").
func TestGuardedSyncChargeBeforeSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 21)
		net := simnet.New(simnet.Config{Seed: 21, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		var seq atomic.Uint64
		var taps []*tapTransport
		var trs []p2p.Transport
		for _, nd := range net.AddNodes(4) {
			tp := &tapTransport{Transport: nd, seq: &seq}
			taps, trs = append(taps, tp), append(trs, tp)
		}
		dss := make([]*tapDS, len(trs))
		fx := journaltest.NewStaticContext("audit", len(trs))
		cfg := DefaultServiceConfig()
		rs := startReplicasOn(t, fx, trs, cfg, 21, replicaOpts{mkDS: func(i int) ds.Batching { dss[i] = newTapDS(&seq); return dss[i] }})
		defer closeReplicas(rs)
		// Phase 1: large differences (fallback to Full/Ids); phase 2: small
		// ones (decoded from symbols, Done).
		want := 1 + 4
		for _, phase := range []struct {
			tag   string
			quiet int
		}{{"big", 150}, {"small", 4}} {
			for _, r := range rs {
				r.writeQuiet(t, fx, phase.tag, phase.quiet)
				r.write(t, fx, phase.tag+"-push", 2)
			}
			want += 4 * (phase.quiet + 2)
			for range 40 {
				if converged(t, rs, fx.NS(), want) {
					break
				}
				net.Advance(cfg.SyncInterval)
			}
			if !converged(t, rs, fx.NS(), want) {
				t.Fatalf("phase %s: no convergence under the guard chain", phase.tag)
			}
		}
		total := map[FrameKind]int{}
		for i, tp := range taps {
			for k, n := range auditNode(t, StaticContextSecret(fx.KRoot), tp, dss[i], fx.Founders[i]) {
				total[k] += n
			}
		}
		for _, k := range []FrameKind{KindHello, KindHelloAck, KindSymbols, KindMore, KindDone, KindFull, KindIds, KindWant, KindFacts, KindEnd} {
			if total[k] == 0 {
				t.Fatalf("no %v frame audited: %v", k, total)
			}
		}
		t.Logf("audited frames: %v", total)
	})
}

// logCapture keeps the err attribute of every "sync session reset".
type logCapture struct {
	mu   gosync.Mutex
	errs []error
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCapture) WithGroup(string) slog.Handler            { return c }
func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" && r.Message == "sync session reset" {
			c.mu.Lock()
			c.errs = append(c.errs, err)
			c.mu.Unlock()
		}
		return true
	})
	return nil
}

func (c *logCapture) all() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.errs)
}

// noPeers is a Liveness with no live connection: the replica never
// initiates, it only answers.
type noPeers struct{}

func (noPeers) ConnectedPeers() []peer.ID { return nil }

// TestBudgetExhaustedMidSync: I's budget toward R has room for its Hello
// only. The session stops at I's next frame with ErrInsufficientBudget
// (locally), I writes nothing after its Hellos, R observes only stream
// resets, I learns nothing, and I's charge record never passes Limit.
func TestBudgetExhaustedMidSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 23)
		net := simnet.New(simnet.Config{Seed: 23, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		var seq atomic.Uint64
		nodes := net.AddNodes(2)
		tapI := &tapTransport{Transport: nodes[0], seq: &seq}
		tapR := &tapTransport{Transport: nodes[1], seq: &seq}
		fx := journaltest.NewStaticContext("budget", 2)
		cfg := DefaultServiceConfig()
		logs := []*logCapture{{}, {}}
		limit := uint64(budget.MinLimit)
		bk := budget.Key{Ctx: fx.ID, Dst: fx.Founders[1].Authority}
		mkDS := func(i int) ds.Batching {
			d := dssync.MutexWrap(ds.NewMapDatastore())
			if i == 0 { // I: headroom 2 = exactly one Hello
				if err := d.Put(context.Background(), flow.SpentKey(bk), flow.EncodeSpent(limit-2)); err != nil {
					t.Fatal(err)
				}
			}
			return d
		}
		rs := startReplicasOn(t, fx, []p2p.Transport{tapI, tapR}, cfg, 23, replicaOpts{mkDS: mkDS, limit: limit,
			tweak: func(i int, c *ServiceConfig) {
				c.Logger = slog.New(logs[i])
				if i == 1 {
					c.Liveness = noPeers{} // R only answers
				}
			}})
		defer closeReplicas(rs)
		rs[1].writeQuiet(t, fx, "r-only", 5)
		net.Advance(6 * cfg.SyncInterval)

		var budgetErr bool
		for _, err := range logs[0].all() {
			budgetErr = budgetErr || errors.Is(err, flow.ErrInsufficientBudget)
		}
		if !budgetErr {
			t.Fatalf("initiator never failed with ErrInsufficientBudget: %v", logs[0].all())
		}
		rErrs := logs[1].all()
		if len(rErrs) == 0 {
			t.Fatal("responder saw no session end")
		}
		for _, err := range rErrs {
			if !errors.Is(err, p2p.ErrStreamReset) {
				t.Fatalf("responder saw %v, want only a reset", err)
			}
		}
		hellos := 0
		for _, ev := range tapI.Events() {
			f, err := DecodeFrame(ev.frame)
			if err != nil || f.Kind() != KindHello {
				t.Fatalf("initiator wrote a %v frame past its budget", f)
			}
			hellos++
		}
		if hellos != 1 {
			t.Fatalf("initiator wrote %d Hellos with room for one", hellos)
		}
		rKinds := map[FrameKind]int{}
		for _, ev := range tapR.Events() {
			if f, err := DecodeFrame(ev.frame); err == nil {
				rKinds[f.Kind()]++
			}
		}
		if rKinds[KindHelloAck] != 1 || rKinds[KindSymbols] == 0 {
			t.Fatalf("responder wrote %v: the session did not reach symbols before the budget ran out", rKinds)
		}
		if got, _ := rs[0].snd.Executor().Spent(context.Background(), bk); got != limit {
			t.Fatalf("charge record %d, want exactly the limit %d", got, limit)
		}
		ids, _ := rs[0].j.EntryIDs(context.Background(), fx.NS())
		if len(ids) != 1+2 {
			t.Fatalf("initiator stored %d entries, want only its seed 3", len(ids))
		}
		_, resets, _, _, _ := rs[0].m.snapshot()
		if resets["guard"] == 0 {
			t.Fatalf("initiator resets %v, want guard", resets)
		}
	})
}

// TestForgedReceiptsReset: a member whose receipts are signed with a key
// other than its Genesis member key (a forger knowing K_root) is reset by
// every peer before any symbol or fact, and each rejection is reported
// as bad_sig misbehaviour (SPEC §6.6); nothing it sends is stored.
func TestForgedReceiptsReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 29)
		net := simnet.New(simnet.Config{Seed: 29, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		nodes := net.AddNodes(2)
		tapF := &tapTransport{Transport: nodes[1], seq: new(atomic.Uint64)}
		fx := journaltest.NewStaticContext("forger", 2)
		reps := []*reporter{{}, {}}
		cfg := DefaultServiceConfig()
		rs := startReplicasOn(t, fx, []p2p.Transport{nodes[0], tapF}, cfg, 29, replicaOpts{
			tweak: func(i int, c *ServiceConfig) { c.Reporter = reps[i] },
			state: func(i int) flow.State {
				st := senderState(fx, fx.Founders[i], bigLimit)
				if i == 1 { // sign receipts with a stranger's key
					v, _ := st.Context(fx.ID, fx.Founders[0].Authority)
					v.SelfKey = journaltest.NewFounder("forger/key").MemberKey
					members := map[journal.AuthorityID][32]byte{}
					for _, f := range fx.Founders {
						members[f.Authority] = f.MemberPub
					}
					st.SetContext(fx.ID, v, members)
				}
				return st
			}})
		defer closeReplicas(rs)
		rs[1].writeQuiet(t, fx, "forged", 3)
		rs[0].writeQuiet(t, fx, "honest", 3)
		net.Advance(8 * cfg.SyncInterval)

		ids, _ := rs[0].j.EntryIDs(context.Background(), fx.NS())
		if len(ids) != 1+2+3 {
			t.Fatalf("honest member stored %d entries, want its own 6", len(ids))
		}
		if k := reps[0].kinds(); len(k) == 0 || k[0] != "bad_sig" {
			t.Fatalf("honest member reported %v, want bad_sig", k)
		}
		// The forger's Hellos and HelloAcks (with the symbols R sends right
		// after HelloAck) are all it ever writes: no session got further.
		for _, ev := range tapF.Events() {
			f, err := DecodeFrame(ev.frame)
			if err != nil {
				t.Fatal(err)
			}
			if k := f.Kind(); k != KindHello && k != KindHelloAck && k != KindSymbols {
				t.Fatalf("forger got past its box: wrote a %v frame", k)
			}
		}
		_, resets, _, _, _ := rs[0].m.snapshot()
		if resets["denied"] == 0 {
			t.Fatalf("honest resets %v, want denied", resets)
		}
	})
}
