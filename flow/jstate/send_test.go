package jstate

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

// frameBytes is the body size of the test envelopes: cost 1 + 60 = 61.
const frameBytes = 60 << 10

// arrival is what bob's handler saw for one frame.
type arrival struct {
	th  [32]byte
	err error
}

// pair is alice → bob over the simulator, both with journal-backed state.
type pair struct {
	c      *jt.StaticContext
	a, b   *member
	dst    journal.AuthorityID
	got    chan arrival
	stream *flow.Stream
}

func newPair(t *testing.T, net *simnet.Network) *pair {
	c := jt.NewStaticContext("simsend", 2)
	peers := []peer.ID{"alice", "bob"}
	p := &pair{c: c, got: make(chan arrival, 1)}
	p.a = newMember(t, c, 0, peers, net.AddNode("alice"))
	p.b = newMember(t, c, 1, peers, net.AddNode("bob"))
	p.b.s.Handle(proto, p.serve)
	dst, err := p.a.st.AuthorityOf(c.ID, "bob")
	if err != nil || dst != c.Founders[1].Authority {
		t.Fatalf("bob resolved to %v, %v", dst, err)
	}
	p.dst = dst
	return p
}

// serve is bob's handler: split, admit with bob's jstate, commit.
func (p *pair) serve(s *flow.Stream) {
	for {
		f, err := s.ReadFrame()
		if err != nil {
			return
		}
		frame, rc, th, ok := split(f)
		if !ok {
			_ = s.Reset()
			p.got <- arrival{err: errors.New("bad layout")}
			return
		}
		adm, err := p.b.s.Receiver().Admit(bg, s, flow.Inbound{Kind: budget.MsgEnvelope, Need: "generic",
			Ctx: p.c.ID, Frame: frame, Receipt: rc, TokenHash: th})
		if err == nil {
			err = adm.Commit(bg)
		}
		p.got <- arrival{th: th, err: err}
		if err != nil {
			return
		}
	}
}

// sendUntilDenied sends envelopes until alice's guard refuses one; every
// sent frame must be admitted by bob with token hash th. It returns the
// number sent and the refusal.
func (p *pair) sendUntilDenied(t *testing.T, th [32]byte) (int, error) {
	t.Helper()
	for n := 0; ; n++ {
		if p.stream == nil {
			s, err := p.a.s.Open(bg, "bob", proto)
			if err != nil {
				t.Fatal(err)
			}
			p.stream = s
		}
		if err := p.stream.WriteFrame(bg, envelope(p.c, p.dst, frameBytes, byte(n))); err != nil {
			p.stream = nil // a refused write reset the stream
			return n, err
		}
		a := <-p.got
		if a.err != nil || a.th != th {
			t.Fatalf("frame %d: bob %v, token hash %x want %x", n, a.err, a.th[:4], th[:4])
		}
	}
}

// both stores f in alice's and bob's journals (a synced fact).
func (p *pair) both(t *testing.T, f journal.Fact) {
	p.a.add(t, f)
	p.b.add(t, f)
}

func wantBudgetDenied(t *testing.T, err error) {
	t.Helper()
	var be *flow.BudgetError
	if !errors.Is(err, flow.ErrInsufficientBudget) || !errors.As(err, &be) {
		t.Fatalf("got %v, want a BudgetError (ErrInsufficientBudget)", err)
	}
}

// TestGuardedSendJournalLimits is SPEC §16.18 with real journal state
// over the simulator: the Genesis DefaultLimit bounds alice → bob; a
// CapGrant with a higher FlowLimit written to the journal restores
// headroom (frames then carry its token hash); a FlowEpochAdvance fact
// starts new budget keys. Bob's receive path reads the same facts from
// his own journal and admits every frame.
func TestGuardedSendJournalLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := simnet.New(simnet.Config{Latency: time.Millisecond})
		defer net.Close()
		p := newPair(t, net)
		cost := uint64(1 + frameBytes/1024)
		n, err := p.sendUntilDenied(t, [32]byte{})
		wantBudgetDenied(t, err)
		if want := p.c.Body.DefaultLimit / cost; uint64(n) != want {
			t.Fatalf("default limit: %d sends, want %d", n, want)
		}

		g, th := grant(t, p.c, 1, 0, 2*p.c.Body.DefaultLimit)
		p.both(t, g)
		m, err := p.sendUntilDenied(t, th)
		wantBudgetDenied(t, err)
		if total := uint64(n + m); total != 2*p.c.Body.DefaultLimit/cost {
			t.Fatalf("after grant: %d sends in epoch 0, want %d", total, 2*p.c.Body.DefaultLimit/cost)
		}

		p.a.clk.Set(epochTime(1))
		p.b.clk.Set(epochTime(1))
		p.both(t, p.c.FlowEpochAdvance(1))
		k, err := p.sendUntilDenied(t, th)
		wantBudgetDenied(t, err)
		if uint64(k) != 2*p.c.Body.DefaultLimit/cost {
			t.Fatalf("epoch 1: %d sends", k)
		}
		recs, err := p.a.s.Executor().ChargeRecords(bg)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || recs[0].Key.Epoch != 0 || recs[1].Key.Epoch != 1 ||
			recs[0].Spent != uint64(n+m)*cost || recs[1].Spent != uint64(k)*cost {
			t.Fatalf("charge records %+v", recs)
		}
	})
}
