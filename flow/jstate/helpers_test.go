package jstate

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

var bg = context.Background()

// proto is the envelope protocol the tests send on.
const proto = protocols.Ctx

func keyringOf(f *jt.Founder) *Keyring {
	return &Keyring{Authority: f.Authority, Device: f.Device, Leaf: 0, DeviceKey: f.DeviceKey,
		MemberKey: f.MemberKey, Secret: f.AuthoritySecret[:]}
}

func memDS() ds.Batching { return dssync.MutexWrap(ds.NewMapDatastore()) }

// epochTime is a moment inside flow epoch e of the fixtures' schedule.
func epochTime(e uint64) time.Time {
	return time.UnixMilli(int64(jt.GenesisTimeMs + e*jt.FlowEpochMs + jt.FlowEpochMs/2))
}

// clock is a settable clock (ms resolution).
type clock struct{ ms atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.ms.Store(t.UnixMilli()); return c }
func (c *clock) Now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *clock) Set(t time.Time)     { c.ms.Store(t.UnixMilli()) }
func (c *clock) Add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// countMetrics counts jstate metrics.
type countMetrics struct{ signed, reduced atomic.Int64 }

func (m *countMetrics) ChargeRegistersSigned(n int) { m.signed.Add(int64(n)) }
func (m *countMetrics) ContextReduced()             { m.reduced.Add(1) }

// member is one founder's device: journal, state and guarded sender.
type member struct {
	f   *jt.Founder
	d   ds.Batching
	j   *journal.Journal
	st  *State
	s   *flow.Sender
	m   *countMetrics
	clk *clock
}

// newMember builds founder i of c with its journal holding the context
// Genesis, every member's context DevicePeer (peer names from peers) and
// its authority Genesis, and a Sender over tr.
func newMember(t testing.TB, c *jt.StaticContext, i int, peers []peer.ID, tr p2p.Transport) *member {
	t.Helper()
	f := c.Founders[i]
	mb := &member{f: f, d: memDS(), m: &countMetrics{}, clk: newClock(epochTime(0))}
	j, err := journal.Open(bg, mb.d, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mb.j = j
	j.Join(c.NS())
	j.Join(f.NS())
	facts := []journal.Fact{c.Genesis()}
	for k, p := range peers {
		facts = append(facts, c.DevicePeer(k, []byte(p), nil, 1))
	}
	mb.add(t, facts...)
	mb.add(t, f.Genesis())
	if mb.st, err = New(j, keyringOf(f), mb.m); err != nil {
		t.Fatal(err)
	}
	if tr != nil {
		mb.s, err = flow.New(tr, mb.d, mb.st, flow.Config{Now: mb.clk.Now})
		if err != nil {
			t.Fatal(err)
		}
	}
	return mb
}

// add stores facts (all of one namespace per call) through ingress.
func (mb *member) add(t testing.TB, facts ...journal.Fact) {
	t.Helper()
	raws := make([][]byte, len(facts))
	for i, f := range facts {
		raws[i] = f.Canonical()
	}
	res, err := mb.j.Add(bg, facts[0].NS, mb.clk.Now(), raws...)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Outcome != journal.Stored {
			t.Fatalf("fact %d (type %d): outcome %d, %v", i, facts[i].Type, r.Outcome, r.Err)
		}
	}
}

// grant is a CapGrant fact by founder from of c to founder to: caps
// {"generic"}, FlowLimit limit, every epoch.
func grant(t testing.TB, c *jt.StaticContext, from, to int, limit uint64) (journal.Fact, [32]byte) {
	t.Helper()
	tok, err := cap.Issue(c.Founders[from].MemberKey, cap.CapBlock{Context: c.ID,
		Subject: c.Founders[to].Authority, Caps: []string{"generic"}, FlowLimit: limit,
		FromEpoch: 0, ToEpoch: math.MaxUint64})
	if err != nil {
		t.Fatal(err)
	}
	return c.CapGrant(from, tok.Canonical()), tok.Hash()
}

// envelope is a guarded generic envelope of n body bytes to dst.
func envelope(c *jt.StaticContext, dst journal.AuthorityID, n int, seq byte) flow.Msg {
	b := make([]byte, n)
	b[0] = seq
	return flow.Msg{Kind: budget.MsgEnvelope, Need: "generic", Scope: flow.ScopeContext, Ctx: c.ID,
		Dst: dst, Frame: b, Attach: attach}
}

// attach lays a frame out as u32 len ‖ frame ‖ receipt ‖ token hash.
func attach(frame, rcpt []byte, th [32]byte) []byte {
	out := []byte{byte(len(frame) >> 24), byte(len(frame) >> 16), byte(len(frame) >> 8), byte(len(frame))}
	out = append(append(append(out, frame...), rcpt...), th[:]...)
	return out
}

// split undoes attach.
func split(b []byte) (frame, rcpt []byte, th [32]byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, th, false
	}
	n := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	b = b[4:]
	if n > len(b) || len(b)-n < 32 {
		return nil, nil, th, false
	}
	copy(th[:], b[len(b)-32:])
	return b[:n], b[n : len(b)-32], th, true
}

// sinkTransport discards every frame (for send-only tests).
type sinkTransport struct {
	self   peer.ID
	mu     sync.Mutex
	frames int
}

func (t *sinkTransport) Self() peer.ID { return t.self }
func (t *sinkTransport) Open(_ context.Context, p peer.ID, pr protocol.ID) (p2p.Stream, error) {
	return &sinkStream{t: t, remote: p, proto: pr}, nil
}
func (t *sinkTransport) Handle(protocol.ID, p2p.StreamHandler)         {}
func (t *sinkTransport) RemoveHandler(protocol.ID)                     {}
func (t *sinkTransport) Publish(context.Context, string, []byte) error { return nil }
func (t *sinkTransport) Subscribe(string, p2p.Validator) (p2p.Subscription, error) {
	return nil, p2p.ErrNotSubscribed
}

type sinkStream struct {
	t      *sinkTransport
	remote peer.ID
	proto  protocol.ID
}

func (s *sinkStream) WriteFrame([]byte) error {
	s.t.mu.Lock()
	s.t.frames++
	s.t.mu.Unlock()
	return nil
}
func (s *sinkStream) ReadFrame() ([]byte, error) { return nil, p2p.ErrStreamReset }
func (s *sinkStream) CloseWrite() error          { return nil }
func (s *sinkStream) Close() error               { return nil }
func (s *sinkStream) Reset() error               { return nil }
func (s *sinkStream) RemotePeer() peer.ID        { return s.remote }
func (s *sinkStream) Protocol() protocol.ID      { return s.proto }
