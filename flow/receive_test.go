package flow

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// sendOne has n write one context frame and returns its wire bytes.
func sendOne(t *testing.T, n *node, m Msg) []byte {
	t.Helper()
	s, _ := n.open(t)
	before := len(n.tr.Events())
	if err := s.WriteFrame(bg, m); err != nil {
		t.Fatal(err)
	}
	ev := n.tr.Events()
	if len(ev) != before+1 {
		t.Fatal("no frame written")
	}
	return ev[len(ev)-1].frame
}

// admit runs in through n's receiver on a fresh inbound stream and
// reports the error and whether the stream was reset with nothing written.
func admit(n *node, in Inbound) (*Admission, error, bool) {
	st, raw := n.inStream()
	a, err := n.s.Receiver().Admit(bg, st, in)
	frames, reset := raw.state()
	return a, err, reset && frames == 0
}

// TestBadReceiptsDroppedAndCounted is SPEC §16.20: a receipt from epoch
// e−2, a replayed nonce, a wrong Dst, a bad signature, a mismatched
// Cost, a foreign context and a broken Prev link are each dropped (stream
// reset, nothing written) and counted by outcome.
func TestBadReceiptsDroppedAndCounted(t *testing.T) {
	a := newNode(t, alice, 10_000, memDS())
	b := newNode(t, bob, 10_000, memDS())
	good := func() Inbound {
		return inbound(t, budget.MsgNonceCommit, ctxA,
			sendOne(t, a, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, byte(rand.Uint32())))))
	}
	in := good()
	adm, err, _ := admit(b, in)
	if err != nil {
		t.Fatalf("genuine frame: %v", err)
	}
	if err := adm.Commit(bg); err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name string
		in   func() Inbound
		want receipt.Outcome
	}
	cases := []tc{
		{"replayed nonce", func() Inbound { return in }, receipt.Replay},
		{"epoch e-2", func() Inbound {
			a.st.SetEpoch(ctxA, testEpoch-2)
			defer a.st.SetEpoch(ctxA, testEpoch)
			return good()
		}, receipt.StaleEpoch},
		{"wrong dst", func() Inbound {
			return inbound(t, budget.MsgNonceCommit, ctxA,
				sendOne(t, a, msg(budget.MsgNonceCommit, ctxA, carol.Authority, body(8, 3))))
		}, receipt.WrongDst},
		{"bad signature", func() Inbound {
			g := good()
			g.Receipt = append([]byte(nil), g.Receipt...)
			g.Receipt[len(g.Receipt)-1] ^= 1
			return g
		}, receipt.BadSig},
		{"mismatched cost", func() Inbound { g := good(); g.Kind = budget.MsgSignRequest; return g }, receipt.BadChain},
		{"altered payload", func() Inbound { g := good(); g.Frame = body(8, 99); return g }, receipt.BadChain},
		{"foreign context", func() Inbound {
			return inbound(t, budget.MsgNonceCommit, ctxA,
				sendOne(t, a, msg(budget.MsgNonceCommit, ctxB, bob.Authority, body(8, 4))))
		}, receipt.ForeignCtx},
		{"broken prev", func() Inbound {
			g := good()
			r, _ := receipt.Decode(g.Receipt)
			r.Prev[0] ^= 1
			r.Sign(alice.MemberKey) // validly signed, wrong origin binding
			g.Receipt = r.Canonical()
			return g
		}, receipt.BadChain},
		{"undecodable receipt", func() Inbound { g := good(); g.Receipt = g.Receipt[:10]; return g }, receipt.BadChain},
		{"unknown context", func() Inbound { g := good(); g.Ctx = journal.ContextID{0xee}; return g }, receipt.ForeignCtx},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			label := "receipt/" + c.want.String()
			before := b.m.get(label)
			writes := b.ds.writes.Load()
			_, err, clean := admit(b, c.in())
			var re *receipt.RejectError
			if !errors.Is(err, ErrReceiptRejected) || !errors.As(err, &re) || re.Outcome != c.want {
				t.Fatalf("err = %v, want %s", err, c.want)
			}
			if !clean || b.ds.writes.Load() != writes {
				t.Fatal("rejection wrote to the stream or the store")
			}
			if b.m.get(label) != before+1 {
				t.Fatalf("%s not counted", label)
			}
		})
	}
	if b.m.get("receipt/accepted") != 1 {
		t.Fatalf("accepted count %d", b.m.get("receipt/accepted"))
	}
}

// TestReceiveCapability: a frame whose token does not permit its type is
// rejected (recv_cap) with a reset; a granted token hash is honoured.
func TestReceiveCapability(t *testing.T) {
	a := newNode(t, alice, 10_000, memDS())
	b := newNode(t, bob, 10_000, memDS())
	v := view(bob, 10_000)
	v.Default.Caps = []string{cap.SyncPushOps} // bob's Genesis default for alice
	b.st.SetContext(ctxA, v, map[journal.AuthorityID][32]byte{alice.Authority: alice.MemberPub})
	in := inbound(t, budget.MsgExecute, ctxA, sendOne(t, a, msg(budget.MsgExecute, ctxA, bob.Authority, body(8, 1))))
	if _, err, clean := admit(b, in); !errors.Is(err, ErrAuthorizationDenied) || !clean {
		t.Fatalf("err = %v clean %v", err, clean)
	}
	if b.m.get("guard/recv_cap/denied") != 1 {
		t.Fatal("recv_cap denial not counted")
	}
	tok, err := cap.Issue(bob.MemberKey, cap.CapBlock{Context: ctxA, Subject: alice.Authority,
		Caps: cap.AllNames(), FlowLimit: 20_000, ToEpoch: 100})
	if err != nil {
		t.Fatal(err)
	}
	a.st.AddGrant(ctxA, tok.Canonical())
	b.st.AddGrant(ctxA, tok.Canonical())
	in = inbound(t, budget.MsgExecute, ctxA, sendOne(t, a, msg(budget.MsgExecute, ctxA, bob.Authority, body(8, 2))))
	if in.TokenHash != tok.Hash() {
		t.Fatal("frame does not carry the grant's token hash")
	}
	if _, err, _ := admit(b, in); err != nil {
		t.Fatalf("granted frame: %v", err)
	}
}

// TestReceiptEpochWindow covers the receive half of SPEC §16.27: a
// receipt of an epoch starting 10 min after bob's clock is stale; once
// bob's clock is within MaxClockSkew of its start it is accepted and
// asks for a FlowEpochAdvance. A previous-epoch receipt is accepted only
// within EpochGrace.
func TestReceiptEpochWindow(t *testing.T) {
	a := newNode(t, alice, 10_000, memDS())
	b := newNode(t, bob, 10_000, memDS())
	start := func(e uint64) time.Time {
		return time.UnixMilli(int64(journaltest.GenesisTimeMs + e*journaltest.FlowEpochMs))
	}
	a.st.SetEpoch(ctxA, testEpoch+2) // starts 10 min after epoch 5's start
	in := inbound(t, budget.MsgNonceCommit, ctxA, sendOne(t, a, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 1))))
	b.clk.Set(start(testEpoch + 1)) // epoch 7 is 5 min away
	if _, err, _ := admit(b, in); err == nil {
		t.Fatal("far-future receipt accepted")
	}
	b.st.SetEpoch(ctxA, testEpoch+1)
	b.clk.Set(start(testEpoch + 2).Add(-20 * time.Second))
	adm, err, _ := admit(b, in)
	if err != nil || !adm.Advance {
		t.Fatalf("next-epoch receipt within skew: %v", err)
	}
	adm.Release()
	a.st.SetEpoch(ctxA, testEpoch)
	old := inbound(t, budget.MsgNonceCommit, ctxA, sendOne(t, a, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 2))))
	b.st.SetEpoch(ctxA, testEpoch+1)
	b.clk.Set(start(testEpoch + 1).Add(29 * time.Second))
	if adm, err, _ := admit(b, old); err != nil {
		t.Fatalf("previous epoch within grace: %v", err)
	} else {
		adm.Release()
	}
	b.clk.Set(start(testEpoch + 1).Add(31 * time.Second))
	if _, err, _ := admit(b, old); err == nil {
		t.Fatal("previous epoch after grace accepted")
	}
}

// TestAdmissionPersistsAndReleases: a committed admission survives a
// restart (the nonce stays a replay); a released one frees its nonce;
// a concurrent duplicate is a replay while the first is pending.
func TestAdmissionPersistsAndReleases(t *testing.T) {
	a := newNode(t, alice, 10_000, memDS())
	inner := memDS()
	b := newNode(t, bob, 10_000, inner)
	in := inbound(t, budget.MsgNonceCommit, ctxA, sendOne(t, a, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 1))))
	adm, err, _ := admit(b, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err, _ := admit(b, in); !errors.Is(err, ErrReceiptRejected) {
		t.Fatal("duplicate of a pending admission accepted")
	}
	adm.Release()
	adm, err, _ = admit(b, in)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if err := adm.Commit(bg); err != nil {
		t.Fatal(err)
	}
	b2 := newNode(t, bob, 10_000, inner)
	var re *receipt.RejectError
	if _, err, _ := admit(b2, in); !errors.As(err, &re) || re.Outcome != receipt.Replay {
		t.Fatalf("after restart: %v", err)
	}
}

// twoDevice is one device of alice's 2-device authority with its own
// store and slot view.
func twoDevice(t *testing.T, dev journal.DeviceID, leaves []uint32, self uint32) *node {
	n := newNode(t, alice, 10_000, memDS())
	st := NewStaticState(Identity{Authority: alice.Authority, Device: dev, Secret: alice.AuthoritySecret[:]})
	v := view(alice, 10_000)
	v.Leaves, v.SelfLeaf = leaves, self
	st.SetContext(ctxA, v, map[journal.AuthorityID][32]byte{bob.Authority: bob.MemberPub})
	n.st = st
	n.s.st = st
	return n
}

// TestPartitionedDevices is SPEC §16.19 end to end: two devices of alice,
// partitioned for a flow epoch, send to bob at full rate (agreeing slot
// tables with a mid-epoch limit raise; then disagreeing tables, both slot
// 0). bob accepts ≤ Limit units, never a nonce twice, and drops no
// genuine frame as replay.
func TestPartitionedDevices(t *testing.T) {
	runs := 2
	if os.Getenv("AURA_LONG") == "1" {
		runs = 20
	}
	for run := range runs {
		for _, agree := range []bool{true, false} {
			r := rand.New(rand.NewPCG(uint64(run), 0x1619))
			partitionRun(t, r, agree)
		}
	}
}

func partitionRun(t *testing.T, r *rand.Rand, agree bool) {
	t.Helper()
	devs := []*node{twoDevice(t, journal.DeviceID{0xd1}, []uint32{1, 2}, 1),
		twoDevice(t, journal.DeviceID{0xd2}, []uint32{1, 2}, 2)}
	limit := uint64(10_000)
	if !agree {
		devs = []*node{twoDevice(t, journal.DeviceID{0xd1}, []uint32{1}, 1),
			twoDevice(t, journal.DeviceID{0xd2}, []uint32{2}, 2)}
	}
	b := newNode(t, bob, 10_000, memDS())
	var frames []Inbound
	for _, d := range devs {
		frames = append(frames, fullRate(t, d, r, agree)...)
	}
	if agree {
		limit = 14_000
		tok := raiseGrant(t)
		b.st.AddGrant(ctxA, tok)
	}
	r.Shuffle(len(frames), func(i, j int) { frames[i], frames[j] = frames[j], frames[i] })
	var accepted uint64
	seen := map[uint64]bool{}
	for _, in := range frames {
		adm, err, _ := admit(b, in)
		var re *receipt.RejectError
		switch {
		case err == nil:
			if seen[adm.Receipt.Nonce] {
				t.Fatal("nonce accepted twice")
			}
			seen[adm.Receipt.Nonce] = true
			accepted += uint64(adm.Receipt.Cost)
			if err := adm.Commit(bg); err != nil {
				t.Fatal(err)
			}
		case errors.As(err, &re) && re.Outcome == receipt.OverLimit:
		default:
			t.Fatalf("genuine frame refused: %v", err)
		}
	}
	if accepted > limit || accepted+100 < limit {
		t.Fatalf("agree=%v: accepted %d of limit %d", agree, accepted, limit)
	}
}

// raiseGrant is bob's grant of 14 000 units to alice.
func raiseGrant(t *testing.T) []byte {
	tok, err := cap.Issue(bob.MemberKey, cap.CapBlock{Context: ctxA, Subject: alice.Authority,
		Caps: cap.AllNames(), FlowLimit: 14_000, ToEpoch: 100})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Canonical()
}

// fullRate sends random-cost frames from d until its share is spent; with
// raise, bob's higher grant reaches d halfway.
func fullRate(t *testing.T, d *node, r *rand.Rand, raise bool) []Inbound {
	t.Helper()
	var out []Inbound
	for i := 0; i < 1000; i++ {
		if raise && i == 40 {
			d.st.AddGrant(ctxA, raiseGrant(t))
		}
		kind := []budget.Msg{budget.MsgNonceCommit, budget.MsgSignRequest, budget.MsgExecute}[r.IntN(3)]
		s, _ := d.open(t)
		m := msg(kind, ctxA, bob.Authority, body(8, byte(i)))
		if err := s.WriteFrame(bg, m); err != nil {
			if !errors.Is(err, ErrInsufficientBudget) {
				t.Fatal(err)
			}
			if kind == budget.MsgNonceCommit {
				return out
			}
			continue
		}
		ev := d.tr.Events()
		out = append(out, inbound(t, kind, ctxA, ev[len(ev)-1].frame))
	}
	t.Fatal("share never ran out")
	return nil
}

// TestPeerSeesOnlyReset is SPEC §16.28 over the simulator: a guard
// failure on a request/response exchange (bob's reply denied), and a
// rejected inbound receipt, leave alice's side with a stream reset and
// no bytes.
func TestPeerSeesOnlyReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := simnet.New(simnet.Config{Latency: time.Millisecond})
		defer net.Close()
		pa, pb := net.AddNode("alice"), net.AddNode("bob")
		a := newNodeOn(t, alice, 10_000, memDS(), pa)
		b := newNodeOn(t, bob, 10_000, memDS(), pb)
		v := view(bob, 10_000)
		v.Default.Caps = []string{cap.SyncPushOps} // bob may not answer with consensus frames
		b.st.SetContext(ctxA, v, map[journal.AuthorityID][32]byte{alice.Authority: alice.MemberPub})
		handled := make(chan error, 2)
		b.s.Handle(proto, func(s *Stream) {
			f, err := s.ReadFrame()
			if err != nil {
				handled <- err
				return
			}
			in := inbound(t, budget.MsgSyncPushOps, ctxA, f)
			adm, err := b.s.Receiver().Admit(bg, s, in)
			if err != nil {
				handled <- err
				return
			}
			reply := msg(budget.MsgExecute, ctxA, alice.Authority, body(4, 0))
			reply.Stage = []Stager{adm}
			handled <- s.WriteFrame(bg, reply) // denied: Execute not in bob's caps
		})
		for _, corrupt := range []bool{false, true} {
			s, err := a.s.Open(bg, "bob", proto)
			if err != nil {
				t.Fatal(err)
			}
			m := msg(budget.MsgSyncPushOps, ctxA, bob.Authority, body(8, 1))
			if corrupt {
				m.Attach = func(f, r []byte, th [32]byte) []byte {
					r = append([]byte(nil), r...)
					r[5] ^= 1 // breaks the signature
					return AppendReceiptFields(f, r, th)
				}
			}
			if err := s.WriteFrame(bg, m); err != nil {
				t.Fatal(err)
			}
			herr := <-handled
			want := ErrAuthorizationDenied
			if corrupt {
				want = ErrReceiptRejected
			}
			if !errors.Is(herr, want) {
				t.Fatalf("corrupt=%v: handler error %v", corrupt, herr)
			}
			if f, err := s.ReadFrame(); !errors.Is(err, p2p.ErrStreamReset) || f != nil {
				t.Fatalf("corrupt=%v: alice read %q, %v; want only a reset", corrupt, f, err)
			}
		}
	})
}

var _ = context.Background
