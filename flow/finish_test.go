package flow

import (
	"context"
	"errors"
	"testing"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/journal"
)

// finishRec is a Stager that records its Finish calls.
type finishRec struct{ finished, committed int }

func (f *finishRec) Stage(context.Context, ds.Write) error { return nil }
func (f *finishRec) Finish(ok bool) {
	f.finished++
	if ok {
		f.committed++
	}
}

// TestRefusalFinishesStagers: a send refused before its batch — at the
// frame-size check, the snapshot, the Precheck, a bad Prepay, an unknown
// topic — finishes every Finisher stager exactly once, uncommitted. An
// inbound Admission staged into a refused reply is therefore released:
// the same receipt is admitted again instead of blocking as a pending
// duplicate.
func TestRefusalFinishesStagers(t *testing.T) {
	cases := []struct {
		name string
		send func(n *node, s *Stream, st Stager) error
	}{
		{"oversize frame", func(_ *node, s *Stream, st Stager) error {
			m := msg(budget.MsgExecute, ctxA, bob.Authority, make([]byte, 1<<20))
			m.Stage = []Stager{st}
			return s.WriteFrame(bg, m)
		}},
		{"bad scope", func(_ *node, s *Stream, st Stager) error {
			m := msg(budget.MsgExecute, ctxA, bob.Authority, body(4, 1))
			m.Scope, m.Stage = 0, []Stager{st}
			return s.WriteFrame(bg, m)
		}},
		{"unknown context", func(_ *node, s *Stream, st Stager) error {
			m := msg(budget.MsgExecute, journal.ContextID{0xee}, bob.Authority, body(4, 1))
			m.Stage = []Stager{st}
			return s.WriteFrame(bg, m)
		}},
		{"capability denied at precheck", func(n *node, s *Stream, st Stager) error {
			v := view(alice, 10_000)
			v.Default.Caps = []string{cap.SyncPushOps}
			n.st.SetContext(ctxA, v, map[journal.AuthorityID][32]byte{bob.Authority: bob.MemberPub})
			m := msg(budget.MsgExecute, ctxA, bob.Authority, body(4, 1))
			m.Stage = []Stager{st}
			return s.WriteFrame(bg, m)
		}},
		{"prepay zero frames", func(_ *node, s *Stream, st Stager) error {
			m := msg(budget.MsgExecute, ctxA, bob.Authority, body(4, 1))
			m.Stage = []Stager{st}
			_, err := s.Prepay(bg, m, 0)
			return err
		}},
		{"unknown topic", func(n *node, _ *Stream, st Stager) error {
			return n.s.Publish(bg, "no-such-topic", budget.MsgRendezvousPublish, body(4, 1), st)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNode(t, alice, 10_000, memDS())
			s, _ := n.open(t)
			rec := &finishRec{}
			if err := c.send(n, s, rec); err == nil {
				t.Fatal("send not refused")
			}
			if rec.finished != 1 || rec.committed != 0 {
				t.Fatalf("Finish called %d times (%d committed), want once uncommitted", rec.finished, rec.committed)
			}
			if n.ds.writes.Load() != 0 {
				t.Fatal("a refused send wrote")
			}
		})
	}

	a := newNode(t, alice, 10_000, memDS())
	b := newNode(t, bob, 10_000, memDS())
	in := inbound(t, budget.MsgNonceCommit, ctxA, sendOne(t, a, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 1))))
	adm, err, _ := admit(b, in)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := b.open(t)
	reply := msg(budget.MsgExecute, journal.ContextID{0xee}, alice.Authority, body(4, 2))
	reply.Stage = []Stager{adm}
	if err := s.WriteFrame(bg, reply); !errors.Is(err, ErrAuthorizationDenied) && !errors.Is(err, ErrInsufficientBudget) {
		t.Fatalf("reply: err %v, want a guard denial", err)
	}
	if _, err, _ := admit(b, in); err != nil {
		t.Fatalf("admission of a refused reply still reserved: %v", err)
	}
}
