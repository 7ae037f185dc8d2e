package flow

import (
	"context"
	"errors"
	"testing"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/failstore"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/guard"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
)

var bg = context.Background()

// aliceKey is alice's budget key toward dst in ctxA at epoch e.
func aliceKey(dst journal.AuthorityID, e uint64) budget.Key {
	return budget.Key{Ctx: ctxA, Dst: dst, Epoch: e, Slot: 0}
}

// TestDenialWritesNothing is SPEC §16.14: a CapGuard denial writes zero
// bytes to the transport and zero datastore records, resets the stream
// and counts the denial.
func TestDenialWritesNothing(t *testing.T) {
	cases := []struct {
		name string
		mod  func(n *node)
		m    Msg
	}{
		{"capability not in default", func(n *node) {
			v := view(alice, 10_000)
			v.Default.Caps = []string{cap.SyncPushOps}
			n.st.SetContext(ctxA, v, map[journal.AuthorityID][32]byte{bob.Authority: bob.MemberPub})
		}, msg(budget.MsgExecute, ctxA, bob.Authority, body(10, 1))},
		{"unknown context", nil, msg(budget.MsgExecute, journal.ContextID{0xee}, bob.Authority, body(10, 1))},
		{"dst not a member", nil, msg(budget.MsgExecute, ctxB, carol.Authority, body(10, 1))},
		{"envelope without need", nil, msg(budget.MsgEnvelope, ctxA, bob.Authority, body(10, 1))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNode(t, alice, 10_000, memDS())
			if c.mod != nil {
				c.mod(n)
			}
			s, raw := n.open(t)
			err := s.WriteFrame(bg, c.m)
			if !errors.Is(err, ErrAuthorizationDenied) && !errors.Is(err, ErrInsufficientBudget) {
				t.Fatalf("err = %v, want a guard denial", err)
			}
			frames, reset := raw.state()
			if frames != 0 || len(n.tr.Events()) != 0 || n.ds.writes.Load() != 0 || !reset {
				t.Fatalf("frames %d events %d ds writes %d reset %v", frames, len(n.tr.Events()),
					n.ds.writes.Load(), reset)
			}
			if n.m.get("guard/journal/allowed") != 0 {
				t.Fatal("a denied send reached the journal coupler")
			}
		})
	}
	n := newNode(t, alice, 10_000, memDS())
	n.s.fr.policy.DenyCaps = []string{cap.ConsensusInitiate} // local policy only narrows
	n.s.fr.auth.Policy = n.s.fr.policy
	s, raw := n.open(t)
	err := s.WriteFrame(bg, msg(budget.MsgExecute, ctxA, bob.Authority, body(1, 1)))
	if !errors.Is(err, ErrAuthorizationDenied) || n.m.get("guard/cap/denied") != 1 {
		t.Fatalf("policy deny: err %v, cap denials %d", err, n.m.get("guard/cap/denied"))
	}
	if f, _ := raw.state(); f != 0 || n.ds.writes.Load() != 0 {
		t.Fatal("policy denial wrote")
	}
}

// TestExactHeadroom is SPEC §16.15: charging exactly the remaining share
// leaves Spent == Share; one unit more is ErrInsufficientBudget with
// BudgetError{Need, Have}, no write, no send.
func TestExactHeadroom(t *testing.T) {
	n := newNode(t, alice, budget.MinLimit, memDS()) // share 6400 = 128 × 50
	s, raw := n.open(t)
	for i := range 128 {
		if err := s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, byte(i)))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	k := aliceKey(bob.Authority, testEpoch)
	if sp, _ := n.s.Executor().Spent(bg, k); sp != budget.MinLimit {
		t.Fatalf("Spent = %d, want Share %d", sp, budget.MinLimit)
	}
	writes := n.ds.writes.Load()
	s2, raw2 := n.open(t)
	err := s2.WriteFrame(bg, msg(budget.MsgSyncPushOps, ctxA, bob.Authority, body(1, 0))) // cost 2
	var be *BudgetError
	if !errors.Is(err, ErrInsufficientBudget) || !errors.As(err, &be) || be.Need != 2 || be.Have != 0 {
		t.Fatalf("err = %v, want BudgetError{2, 0}", err)
	}
	if f, reset := raw2.state(); f != 0 || !reset || n.ds.writes.Load() != writes {
		t.Fatal("refused send wrote or did not reset")
	}
	if f, _ := raw.state(); f != 128 {
		t.Fatalf("first stream wrote %d frames", f)
	}
	stored, _ := n.inner.Get(bg, SpentKey(k))
	if v, _ := DecodeSpent(stored); v != budget.MinLimit {
		t.Fatalf("stored charge record %d", v)
	}
}

// TestPartialHeadroom: with 30 units left, a 50-unit frame is refused
// (Have 30) and a 30-unit worth of size-priced frames still goes.
func TestPartialHeadroom(t *testing.T) {
	n := newNode(t, alice, budget.MinLimit, memDS())
	s, _ := n.open(t)
	for range 127 {
		if err := s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteFrame(bg, msg(budget.MsgCommitDirect, ctxA, bob.Authority, body(8, 0))); !errors.Is(err, ErrInsufficientBudget) {
		t.Fatalf("100 > 50 left: %v", err)
	}
	s, _ = n.open(t)
	if err := s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0))); err != nil {
		t.Fatalf("exactly 50 left: %v", err)
	}
}

// TestJournalFailure is SPEC §16.16: an injected batch-commit failure is
// ErrJournalCommitFailed, sends nothing and leaves Spent (memory and
// record) unchanged; the next send after the fault clears succeeds.
func TestJournalFailure(t *testing.T) {
	fail := true
	inner := memDS()
	fs := failstore.NewFailstore(inner, func(op string) error {
		if fail && op == "batch-commit" {
			return errors.New("injected")
		}
		return nil
	})
	n := newNode(t, alice, 10_000, batchingFail{fs, inner})
	s, raw := n.open(t)
	k := aliceKey(bob.Authority, testEpoch)
	err := s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0)))
	var ce *CommitError
	if !errors.Is(err, ErrJournalCommitFailed) || !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	if f, reset := raw.state(); f != 0 || !reset || len(n.tr.Events()) != 0 {
		t.Fatal("sent after a failed commit")
	}
	if sp, _ := n.s.Executor().Spent(bg, k); sp != 0 {
		t.Fatalf("Spent = %d after failure", sp)
	}
	if _, err := inner.Get(bg, SpentKey(k)); !errors.Is(err, ds.ErrNotFound) {
		t.Fatalf("charge record present: %v", err)
	}
	if n.m.get("guard/journal/denied") != 1 {
		t.Fatal("journal denial not counted")
	}
	fail = false
	s, _ = n.open(t)
	if err := s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0))); err != nil {
		t.Fatal(err)
	}
	if sp, _ := n.s.Executor().Spent(bg, k); sp != 50 {
		t.Fatalf("Spent = %d, want 50", sp)
	}
}

// batchingFail gives failstore (a ds.Datastore) the Batching interface
// by delegating the rest to inner.
type batchingFail struct {
	*failstore.Failstore
	inner ds.Batching
}

// TestBudgetLookupDenies: an unreadable charge record denies (fail
// closed) at the flow stage.
func TestBudgetLookupDenies(t *testing.T) {
	inner := memDS()
	fs := failstore.NewFailstore(inner, func(op string) error {
		if op == "get" {
			return errors.New("disk")
		}
		return nil
	})
	n := newNode(t, alice, 10_000, batchingFail{fs, inner})
	s, raw := n.open(t)
	err := s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0)))
	var d *guard.DenialError
	if !errors.Is(err, ErrInsufficientBudget) || !errors.As(err, &d) || d.Stage != guard.StageFlow {
		t.Fatalf("err = %v", err)
	}
	if f, _ := raw.state(); f != 0 {
		t.Fatal("sent")
	}
	// A corrupt record denies too.
	inner2 := memDS()
	_ = inner2.Put(bg, SpentKey(aliceKey(bob.Authority, testEpoch)), []byte{1, 2, 3})
	n2 := newNode(t, alice, 10_000, inner2)
	s2, _ := n2.open(t)
	if err := s2.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0))); !errors.Is(err, ErrInsufficientBudget) {
		t.Fatalf("corrupt record: %v", err)
	}
}

// TestEpochRotationAndGrantResume is SPEC §16.18: an exhausted budget
// resumes after a flow-epoch advance, and again after bob's CapGrant with
// a higher FlowLimit arrives.
func TestEpochRotationAndGrantResume(t *testing.T) {
	n := newNode(t, alice, budget.MinLimit, memDS())
	exhaust := func() int {
		s, _ := n.open(t)
		for i := 0; i <= 1000; i++ {
			err := s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0)))
			if errors.Is(err, ErrInsufficientBudget) {
				return i
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		t.Fatal("budget never ran out")
		return 0
	}
	if got := exhaust(); got != 128 {
		t.Fatalf("epoch 5 sent %d", got)
	}
	n.st.SetEpoch(ctxA, 6)
	if got := exhaust(); got != 128 {
		t.Fatalf("epoch 6 sent %d", got)
	}
	tok, err := cap.Issue(bob.MemberKey, cap.CapBlock{Context: ctxA, Subject: alice.Authority,
		Caps: cap.AllNames(), FlowLimit: 2 * budget.MinLimit, FromEpoch: 0, ToEpoch: 100})
	if err != nil {
		t.Fatal(err)
	}
	n.st.AddGrant(ctxA, tok.Canonical())
	if got := exhaust(); got != 128 {
		t.Fatalf("after grant sent %d more, want 128", got)
	}
	// Frames now carry the grant's token hash.
	ev := n.tr.Events()
	_, _, th, err := splitFrame(ev[len(ev)-1].frame)
	if err != nil || th != tok.Hash() {
		t.Fatalf("token hash %x, want %x (%v)", th, tok.Hash(), err)
	}
}

// TestStagersJoinBatch: the caller's keys commit in the charge batch; a
// failing stager aborts the charge (nothing sent, Spent unchanged).
func TestStagersJoinBatch(t *testing.T) {
	n := newNode(t, alice, 10_000, memDS())
	fact := ds.NewKey("/aura/c/vote/aa/bb")
	st := StagerFunc(func(ctx context.Context, w ds.Write) error { return w.Put(ctx, fact, []byte("rid")) })
	s, _ := n.open(t)
	m := msg(budget.MsgSignShare, ctxA, bob.Authority, body(8, 0))
	m.Stage = []Stager{st}
	if err := s.WriteFrame(bg, m); err != nil {
		t.Fatal(err)
	}
	c := n.ds.Commits()
	if len(c) != 1 {
		t.Fatalf("%d commits", len(c))
	}
	if v, err := n.inner.Get(bg, fact); err != nil || string(v) != "rid" {
		t.Fatalf("vote log entry: %q %v", v, err)
	}
	bad := StagerFunc(func(context.Context, ds.Write) error { return errors.New("no") })
	m.Stage = []Stager{st, bad}
	s, raw := n.open(t)
	if err := s.WriteFrame(bg, m); !errors.Is(err, ErrJournalCommitFailed) {
		t.Fatalf("err = %v", err)
	}
	if f, _ := raw.state(); f != 0 || len(n.ds.Commits()) != 1 {
		t.Fatal("aborted batch sent or committed")
	}
	if sp, _ := n.s.Executor().Spent(bg, aliceKey(bob.Authority, testEpoch)); sp != 50 {
		t.Fatalf("Spent = %d", sp)
	}
}

// TestRestartSpentFromRecord: after a restart (new Sender over the same
// store) Spent(bk) is the stored charge record.
func TestRestartSpentFromRecord(t *testing.T) {
	inner := memDS()
	n := newNode(t, alice, budget.MinLimit, inner)
	s, _ := n.open(t)
	for range 100 {
		if err := s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0))); err != nil {
			t.Fatal(err)
		}
	}
	n2 := newNode(t, alice, budget.MinLimit, inner)
	if sp, _ := n2.s.Executor().Spent(bg, aliceKey(bob.Authority, testEpoch)); sp != 5000 {
		t.Fatalf("Spent after restart = %d", sp)
	}
	s2, _ := n2.open(t)
	sent := 0
	for sent <= 1000 && s2.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0))) == nil {
		sent++
		s2, _ = n2.open(t)
	}
	if sent != 28 {
		t.Fatalf("sent %d after restart, want 28", sent)
	}
}

// TestAuthorityScopeAndTopics: per-device budgets carry no receipt,
// check no capability, and stop at their limit; topic forwards charge a
// separate key; an unknown topic is refused.
func TestAuthorityScopeAndTopics(t *testing.T) {
	n := newNode(t, alice, 10_000, memDS())
	s, raw := n.open(t)
	m := Msg{Kind: budget.MsgSyncPushOps, Scope: ScopeAuthority, Ctx: journal.ContextID(alice.Authority),
		Dst: journal.AuthorityID(alice.Device), Frame: body(8, 0)}
	if err := s.WriteFrame(bg, m); err != nil {
		t.Fatal(err)
	}
	if ev := n.tr.Events(); len(ev) != 1 || string(ev[0].frame) != string(m.Frame) {
		t.Fatal("authority-scope frame altered or missing")
	}
	if f, _ := raw.state(); f != 1 {
		t.Fatal("not written")
	}
	for i := range 100 {
		if err := n.s.Publish(bg, "rdv", budget.MsgRendezvousPublish, []byte{byte(i)}); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if err := n.s.Publish(bg, "rdv", budget.MsgRendezvousPublish, []byte{1}); !errors.Is(err, ErrInsufficientBudget) {
		t.Fatalf("101st publish: %v", err)
	}
	if err := n.s.Publish(bg, "other", budget.MsgRendezvousPublish, []byte{1}); !errors.Is(err, ErrNoTopicLimit) {
		t.Fatalf("unknown topic: %v", err)
	}
	if _, err := n.s.Subscribe("rdv", budget.MsgRendezvousForward, nil); err != nil {
		t.Fatal(err)
	}
	v := n.tr.vals["rdv"]
	if r := v(bg, "other-peer", []byte{1}); r != p2p.Accept {
		t.Fatalf("forward refused: %v", r)
	}
	e := budget.DeviceSchedule().EpochAt(uint64(n.clk.Now().UnixMilli()))
	if sp, _ := n.s.Executor().Spent(bg, TopicKey("rdv", true, e)); sp != 1 {
		t.Fatalf("forward spent %d", sp)
	}
	if sp, _ := n.s.Executor().Spent(bg, TopicKey("rdv", false, e)); sp != 100 {
		t.Fatalf("publish spent %d", sp)
	}
}
