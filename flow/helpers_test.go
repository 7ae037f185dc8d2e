package flow

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Fixture world: founders alice (sender) and bob, carol (receivers) in
// one static context ctxA; alice and bob also share ctxB (for foreign
// context receipts). Flow epoch 5 of the fixtures' schedule.
var (
	alice = journaltest.NewFounder("flow/alice")
	bob   = journaltest.NewFounder("flow/bob")
	carol = journaltest.NewFounder("flow/carol")
	ctxA  = journal.ContextID{0xc1}
	ctxB  = journal.ContextID{0xc2}
)

const (
	testEpoch = 5
	proto     = protocols.Consensus
)

// epochNow is a clock reading 1 s into context epoch e.
func epochNow(e uint64) time.Time {
	return time.UnixMilli(int64(journaltest.GenesisTimeMs + e*journaltest.FlowEpochMs + 1000))
}

// clock is a settable test clock.
type clock struct{ ms atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.ms.Store(t.UnixMilli()); return c }
func (c *clock) Now() time.Time   { return time.UnixMilli(c.ms.Load()) }
func (c *clock) Set(t time.Time)  { c.ms.Store(t.UnixMilli()) }

// view is f's view of a context shared with the other founders, as the
// only device (leaf 0) of its authority, at limit (Genesis DefaultLimit).
func view(f *journaltest.Founder, limit uint64) ContextView {
	return ContextView{Epoch: testEpoch,
		Schedule: budget.ContextSchedule(journaltest.GenesisTimeMs, journaltest.FlowEpochMs),
		Default:  cap.Default{Caps: cap.AllNames(), Limit: limit},
		SelfKey:  f.MemberKey, Leaves: []uint32{0}, SelfLeaf: 0}
}

// stateOf is f's StaticState: ctxA with alice, bob, carol; ctxB with
// alice and bob.
func stateOf(f *journaltest.Founder, limit uint64) *StaticState {
	st := NewStaticState(Identity{Authority: f.Authority, Device: f.Device, Secret: f.AuthoritySecret[:]})
	all := map[journal.AuthorityID][32]byte{alice.Authority: alice.MemberPub, bob.Authority: bob.MemberPub,
		carol.Authority: carol.MemberPub}
	st.SetContext(ctxA, view(f, limit), all)
	st.SetContext(ctxB, view(f, limit), map[journal.AuthorityID][32]byte{alice.Authority: alice.MemberPub,
		bob.Authority: bob.MemberPub})
	return st
}

// recorder is a Metrics that counts by label.
type recorder struct {
	mu sync.Mutex
	n  map[string]int
}

func newRecorder() *recorder { return &recorder{n: map[string]int{}} }

func (r *recorder) inc(k string) {
	r.mu.Lock()
	r.n[k]++
	r.mu.Unlock()
}

func (r *recorder) get(k string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[k]
}

func (r *recorder) ReceiptVerified(o string)     { r.inc("receipt/" + o) }
func (r *recorder) GuardDecision(s, o string)    { r.inc("guard/" + s + "/" + o) }
func (r *recorder) BudgetUtilization(float64)    { r.inc("util") }
func (r *recorder) ChargeDuration(time.Duration) { r.inc("charge") }
func (r *recorder) CapCacheHit()                 { r.inc("cachehit") }

// --- transport ---------------------------------------------------------

// tapEvent is one transport write seen by a tap.
type tapEvent struct {
	seq   uint64 // global order (shared with the commit tap)
	topic string // "" for stream frames
	frame []byte
}

// sinkTransport is a p2p.Transport whose streams record every frame and
// whose Publish records every message, each stamped from seq.
type sinkTransport struct {
	self peer.ID
	seq  *atomic.Uint64

	mu       sync.Mutex
	events   []tapEvent
	handlers map[protocol.ID]p2p.StreamHandler
	vals     map[string]p2p.Validator
	streams  []*sinkStream
	// onWrite, if set, sees every written frame (under mu, in order).
	onWrite func(frame []byte)
}

func newSink(self peer.ID, seq *atomic.Uint64) *sinkTransport {
	return &sinkTransport{self: self, seq: seq, handlers: map[protocol.ID]p2p.StreamHandler{},
		vals: map[string]p2p.Validator{}}
}

func (t *sinkTransport) record(topic string, b []byte) {
	ev := tapEvent{seq: t.seq.Add(1), topic: topic, frame: append([]byte(nil), b...)}
	t.mu.Lock()
	t.events = append(t.events, ev)
	if t.onWrite != nil {
		t.onWrite(b)
	}
	t.mu.Unlock()
}

func (t *sinkTransport) Events() []tapEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]tapEvent(nil), t.events...)
}

func (t *sinkTransport) Self() peer.ID { return t.self }

func (t *sinkTransport) Open(_ context.Context, p peer.ID, pr protocol.ID) (p2p.Stream, error) {
	s := &sinkStream{t: t, remote: p, proto: pr}
	t.mu.Lock()
	t.streams = append(t.streams, s)
	t.mu.Unlock()
	return s, nil
}

func (t *sinkTransport) Handle(pr protocol.ID, h p2p.StreamHandler) {
	t.mu.Lock()
	t.handlers[pr] = h
	t.mu.Unlock()
}

func (t *sinkTransport) RemoveHandler(pr protocol.ID) {
	t.mu.Lock()
	delete(t.handlers, pr)
	t.mu.Unlock()
}

func (t *sinkTransport) Publish(_ context.Context, topic string, data []byte) error {
	t.record(topic, data)
	return nil
}

func (t *sinkTransport) Subscribe(topic string, v p2p.Validator) (p2p.Subscription, error) {
	t.mu.Lock()
	t.vals[topic] = v
	t.mu.Unlock()
	return nil, nil
}

// sinkStream records frames; Reset marks it reset.
type sinkStream struct {
	t      *sinkTransport
	remote peer.ID
	proto  protocol.ID
	mu     sync.Mutex
	frames int
	reset  bool
	in     [][]byte // frames ReadFrame returns
}

func (s *sinkStream) WriteFrame(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reset {
		return p2p.ErrStreamReset
	}
	if len(b) > protocols.MaxFrame(s.proto) {
		return protocols.ErrFrameTooLarge
	}
	s.frames++
	s.t.record("", b)
	return nil
}

func (s *sinkStream) ReadFrame() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reset || len(s.in) == 0 {
		return nil, p2p.ErrStreamReset
	}
	f := s.in[0]
	s.in = s.in[1:]
	return f, nil
}

func (s *sinkStream) CloseWrite() error { return nil }
func (s *sinkStream) Close() error      { return nil }
func (s *sinkStream) Reset() error {
	s.mu.Lock()
	s.reset = true
	s.mu.Unlock()
	return nil
}
func (s *sinkStream) RemotePeer() peer.ID   { return s.remote }
func (s *sinkStream) Protocol() protocol.ID { return s.proto }
func (s *sinkStream) state() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frames, s.reset
}

// --- datastore ---------------------------------------------------------

// countingDS counts every write reaching the datastore (Put, Delete,
// committed batch operations) and stamps every returned Commit from seq,
// recording the charge records it held.
type countingDS struct {
	ds.Batching
	seq    *atomic.Uint64
	writes atomic.Int64

	mu      sync.Mutex
	commits []commitRec
}

// commitRec is one returned Commit: its sequence stamp and the charge
// records and receipt-log nonces it held.
type commitRec struct {
	seq    uint64
	spent  map[budget.Key]uint64
	nonces map[uint64]budget.Key
}

func newCounting(d ds.Batching, seq *atomic.Uint64) *countingDS {
	return &countingDS{Batching: d, seq: seq}
}

func memDS() ds.Batching { return dssync.MutexWrap(ds.NewMapDatastore()) }

func (c *countingDS) Put(ctx context.Context, k ds.Key, v []byte) error {
	c.writes.Add(1)
	return c.Batching.Put(ctx, k, v)
}

func (c *countingDS) Delete(ctx context.Context, k ds.Key) error {
	c.writes.Add(1)
	return c.Batching.Delete(ctx, k)
}

func (c *countingDS) Batch(ctx context.Context) (ds.Batch, error) {
	b, err := c.Batching.Batch(ctx)
	if err != nil {
		return nil, err
	}
	return &countingBatch{Batch: b, c: c, rec: commitRec{spent: map[budget.Key]uint64{},
		nonces: map[uint64]budget.Key{}}}, nil
}

func (c *countingDS) Commits() []commitRec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]commitRec(nil), c.commits...)
}

type countingBatch struct {
	ds.Batch
	c   *countingDS
	ops int64
	rec commitRec
}

func (b *countingBatch) Put(ctx context.Context, k ds.Key, v []byte) error {
	b.ops++
	if bk, ok := ParseSpentKey(k.String()); ok {
		if s, err := DecodeSpent(v); err == nil {
			b.rec.spent[bk] = s
		}
	}
	if bk, n, ok := ParseReceiptLogKey(k.String()); ok {
		b.rec.nonces[n] = bk
	}
	return b.Batch.Put(ctx, k, v)
}

func (b *countingBatch) Delete(ctx context.Context, k ds.Key) error {
	b.ops++
	return b.Batch.Delete(ctx, k)
}

func (b *countingBatch) Commit(ctx context.Context) error {
	if err := b.Batch.Commit(ctx); err != nil {
		return err
	}
	b.c.writes.Add(b.ops)
	b.rec.seq = b.c.seq.Add(1)
	b.c.mu.Lock()
	b.c.commits = append(b.c.commits, b.rec)
	b.c.mu.Unlock()
	return nil
}

// --- node --------------------------------------------------------------

// node is one Sender with its taps.
type node struct {
	f     *journaltest.Founder
	st    *StaticState
	tr    *sinkTransport
	ds    *countingDS
	m     *recorder
	clk   *clock
	s     *Sender
	seq   *atomic.Uint64
	inner ds.Batching
}

func newNode(t testing.TB, f *journaltest.Founder, limit uint64, inner ds.Batching) *node {
	t.Helper()
	seq := &atomic.Uint64{}
	tr := newSink(peer.ID("peer-"+f.Name), seq)
	n := newNodeOn(t, f, limit, inner, tr)
	n.tr, n.seq = tr, seq
	n.ds.seq = seq
	return n
}

// newNodeOn builds f's node on transport tr (no transport tap unless tr
// is a sinkTransport).
func newNodeOn(t testing.TB, f *journaltest.Founder, limit uint64, inner ds.Batching, tr p2p.Transport) *node {
	t.Helper()
	seq := &atomic.Uint64{}
	n := &node{f: f, st: stateOf(f, limit), seq: seq, m: newRecorder(), clk: newClock(epochNow(testEpoch)),
		inner: inner}
	n.ds = newCounting(inner, seq)
	s, err := New(tr, n.ds, n.st, Config{Metrics: n.m, Now: n.clk.Now,
		Topics: map[string]TopicLimit{"rdv": {Publish: 100, Forward: 1000}}})
	if err != nil {
		t.Fatal(err)
	}
	n.s = s
	return n
}

// open opens a guarded stream to dst's peer.
func (n *node) open(t testing.TB) (*Stream, *sinkStream) {
	t.Helper()
	s, err := n.s.Open(context.Background(), "remote", proto)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.s.(*sinkStream)
}

// msg is a context-scope frame of kind to dst in ctx.
func msg(kind budget.Msg, ctx journal.ContextID, dst journal.AuthorityID, body []byte) Msg {
	return Msg{Kind: kind, Scope: ScopeContext, Ctx: ctx, Dst: dst, Frame: body}
}

// splitFrame undoes AppendReceiptFields: body, receipt bytes, token hash.
func splitFrame(b []byte) (body, rcpt []byte, th [32]byte, err error) {
	for off := 0; off < len(b); {
		num, typ, n := protowire.ConsumeTag(b[off:])
		if n < 0 {
			return nil, nil, th, errors.New("bad tag")
		}
		m := protowire.ConsumeFieldValue(num, typ, b[off+n:])
		if m < 0 {
			return nil, nil, th, errors.New("bad field")
		}
		if num == 16 {
			v, _ := protowire.ConsumeBytes(b[off+n:])
			body, rcpt = b[:off], v
			rest := b[off+n+m:]
			_, _, k := protowire.ConsumeTag(rest)
			if k < 0 {
				return nil, nil, th, errors.New("no token hash")
			}
			h, _ := protowire.ConsumeBytes(rest[k:])
			if len(h) != 32 {
				return nil, nil, th, errors.New("bad token hash")
			}
			return body, rcpt, [32]byte(h), nil
		}
		off += n + m
	}
	return nil, nil, th, errors.New("no receipt")
}

// body is a small valid protobuf frame (field 1 bytes) of n payload bytes.
func body(n int, tag byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = tag + byte(i)
	}
	return protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), p)
}

// inbound turns a frame alice wrote into bob's Inbound.
func inbound(t testing.TB, kind budget.Msg, ctx journal.ContextID, frame []byte) Inbound {
	t.Helper()
	b, r, th, err := splitFrame(frame)
	if err != nil {
		t.Fatal(err)
	}
	return Inbound{Kind: kind, Ctx: ctx, Frame: b, Receipt: r, TokenHash: th}
}

// inStream is a guarded inbound stream of n's (for Admit).
func (n *node) inStream() (*Stream, *sinkStream) {
	raw := &sinkStream{t: n.tr, remote: "remote", proto: proto}
	return &Stream{s: raw, snd: n.s}, raw
}
