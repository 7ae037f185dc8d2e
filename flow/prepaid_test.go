package flow

import (
	"context"
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// TestPrepayOverride: Stream.Prepay commits the charge (cost and
// payload hash from Override) before any write, then writes at most n
// frames; the receiver admits the receipt only with the same Override,
// and an Answer needs no capability on either side (SPEC §9 "Guards").
func TestPrepayOverride(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, alice, 100_000, memDS())
	bn := newNode(t, bob, 100_000, memDS())
	s, sink := a.open(t)
	ph := canon.H("test/prepay", []byte("grant 0"))
	m := Msg{Kind: budget.MsgSyncRequestDigest, Scope: ScopeContext, Ctx: ctxA, Dst: bob.Authority,
		Override: Override{PayloadHash: ph, Cost: 7}}
	p, err := s.Prepay(ctx, m, 2)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := receipt.Decode(p.Receipt)
	if err != nil || rc.Cost != 7 || rc.PayloadHash != ph {
		t.Fatalf("receipt %+v, %v", rc, err)
	}
	if n, _ := sink.state(); n != 0 {
		t.Fatalf("Prepay wrote %d frames", n)
	}
	for range 2 {
		if err := p.Write([]byte("frame")); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Write([]byte("one too many")); !errors.Is(err, ErrPrepaidSpent) {
		t.Fatalf("third write: %v", err)
	}
	if n, reset := sink.state(); n != 2 || !reset {
		t.Fatalf("wire saw %d frames, reset %v", n, reset)
	}
	k := budget.Key{Ctx: ctxA, Dst: bob.Authority, Epoch: testEpoch}
	if got, _ := a.s.Executor().Spent(ctx, k); got != 7 {
		t.Fatalf("spent %d, want 7", got)
	}

	in := Inbound{Kind: budget.MsgSyncRequestDigest, Ctx: ctxA, Receipt: p.Receipt,
		Override: Override{PayloadHash: ph, Cost: 6}}
	st, _ := bn.inStream()
	if _, err := bn.s.Receiver().Admit(ctx, st, in); !errors.Is(err, ErrReceiptRejected) {
		t.Fatalf("wrong cost admitted: %v", err)
	}
	in.Override.Cost = 7
	st, _ = bn.inStream()
	adm, err := bn.s.Receiver().Admit(ctx, st, in)
	if err != nil {
		t.Fatal(err)
	}
	adm.Release()

	// Without the sync capabilities only answers pass.
	v := view(alice, 100_000)
	v.Default = cap.Default{Caps: []string{"generic"}, Limit: 100_000}
	a.st.SetContext(ctxA, v, map[journal.AuthorityID][32]byte{bob.Authority: bob.MemberPub})
	s, _ = a.open(t)
	if err := s.WriteFrame(ctx, msg(budget.MsgSyncRequestOps, ctxA, bob.Authority, body(10, 1))); !errors.Is(err, ErrAuthorizationDenied) {
		t.Fatalf("request without capability: %v", err)
	}
	s, _ = a.open(t)
	ans := msg(budget.MsgSyncRequestDigest, ctxA, bob.Authority, body(10, 1))
	ans.Override.Answer = true
	if err := s.WriteFrame(ctx, ans); err != nil {
		t.Fatalf("answer: %v", err)
	}
}
