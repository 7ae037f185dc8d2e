package jstate

import (
	"errors"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

// TestSendStagesJournalFacts: a journal.FactStage rides in the send's
// charge batch (SPEC §6.4 step 4) — the fact is stored iff the charge
// committed, the journal version rises, and the next lookup sees it; a
// refused stage (non-member namespace) aborts the batch with
// ErrJournalCommitFailed, sends nothing and leaves the store unlocked.
func TestSendStagesJournalFacts(t *testing.T) {
	c := jt.NewStaticContext("stage-send", 2)
	tr := &sinkTransport{self: "alice"}
	a := newMember(t, c, 0, []peer.ID{"alice", "bob"}, tr)
	dst := c.Founders[1].Authority
	s, err := a.s.Open(bg, "bob", proto)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := grant(t, c, 1, 0, 20_000)
	e := jt.MustEntry(g)
	ver := a.j.Version(c.NS())
	m := envelope(c, dst, 1, 0)
	m.Stage = []flow.Stager{a.j.Stage(c.NS(), e)}
	if err := s.WriteFrame(bg, m); err != nil {
		t.Fatal(err)
	}
	if has, _ := a.j.Store().Has(bg, c.NS(), e.ID); !has || a.j.Version(c.NS()) == ver || tr.frames != 1 {
		t.Fatalf("staged fact stored %v, version %d→%d, frames %d", has, ver, a.j.Version(c.NS()), tr.frames)
	}
	v, err := a.st.Context(c.ID, dst)
	if err != nil || len(v.Grants) != 1 {
		t.Fatalf("grant not visible after the send: %v", err)
	}

	other := jt.NewStaticContext("stage-other", 2)
	m = envelope(c, dst, 1, 1)
	m.Stage = []flow.Stager{a.j.Stage(other.NS(), jt.MustEntry(other.Genesis()))}
	s, _ = a.s.Open(bg, "bob", proto)
	if err := s.WriteFrame(bg, m); !errors.Is(err, flow.ErrJournalCommitFailed) || tr.frames != 1 {
		t.Fatalf("non-member stage: %v, frames %d", err, tr.frames)
	}
	a.add(t, c.Generic(0, 1, []byte("after"))) // the store lock was released
}
