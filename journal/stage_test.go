package journal_test

import (
	"context"
	"errors"
	"testing"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

// TestFactStageJoinsCallerBatch: a FactStage writes into the caller's
// batch; entries are acknowledged (and Version rises) only after that
// batch committed and Finish(true) ran; a failed batch stores nothing;
// register joins hold; misuse is a typed error with nothing locked.
func TestFactStageJoinsCallerBatch(t *testing.T) {
	ctx := context.Background()
	d := memStore()
	j := openJournal(t, d, journal.Config{})
	f := jt.NewFounder("stage")
	ns := f.NS()
	var c journal.ContextID
	if err := j.Put(ctx, ns, jt.MustEntry(f.Genesis())); err == nil {
		t.Fatal("Put before Join succeeded")
	}
	if err := j.Stage(ns, jt.MustEntry(f.Genesis())).Stage(ctx, mustBatch(t, d)); !errors.Is(err, journal.ErrNotMember) {
		t.Fatalf("non-member stage: %v", err)
	}
	j.Join(ns)
	v0 := j.Version(ns)

	// A batch that is never committed: Finish(false) stores nothing.
	low := jt.MustEntry(f.FlowCharge(c, [16]byte{1}, 0, 10))
	st := j.Stage(ns, low)
	if err := st.Stage(ctx, mustBatch(t, d)); err != nil {
		t.Fatal(err)
	}
	st.Finish(false)
	if has, _ := j.Store().Has(ctx, ns, low.ID); has || j.Version(ns) != v0 {
		t.Fatalf("aborted stage stored %v, version %d→%d", has, v0, j.Version(ns))
	}
	if err := st.Stage(ctx, mustBatch(t, d)); !errors.Is(err, journal.ErrStageUsed) {
		t.Fatalf("reuse: %v", err)
	}

	// Committed: low, then a higher register body in a second batch.
	for i, e := range []journal.Entry{low, jt.MustEntry(f.FlowCharge(c, [16]byte{1}, 0, 20))} {
		b := mustBatch(t, d)
		st := j.Stage(ns, e)
		if err := st.Stage(ctx, b); err != nil {
			t.Fatal(err)
		}
		err := b.Commit(ctx)
		st.Finish(err == nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := j.Version(ns); got != v0+uint64(i)+1 {
			t.Fatalf("version %d after %d commits from %d", got, i+1, v0)
		}
	}
	ids, err := j.EntryIDs(ctx, ns)
	if err != nil || len(ids) != 1 {
		t.Fatalf("register join kept %d bodies (%v)", len(ids), err)
	}
	// With: two namespaces in one batch under one lock.
	sc := jt.NewStaticContext("stage-with", 2)
	j.Join(sc.NS())
	b := mustBatch(t, d)
	st2 := j.Stage(sc.NS(), jt.MustEntry(sc.Genesis())).With(ns, jt.MustEntry(f.AuthorityPeer([]byte("p"), nil, 1)))
	if err := st2.Stage(ctx, b); err != nil {
		t.Fatal(err)
	}
	vc, va := j.Version(sc.NS()), j.Version(ns)
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	st2.Finish(true)
	if j.Version(sc.NS()) != vc+1 || j.Version(ns) != va+1 {
		t.Fatal("With: versions did not rise in both namespaces")
	}
	// The store is unlocked again: a plain Put works.
	if err := j.Put(ctx, ns, jt.MustEntry(f.Genesis())); err != nil {
		t.Fatal(err)
	}
}

func mustBatch(t *testing.T, d journal.Datastore) ds.Batch {
	t.Helper()
	b, err := d.Batch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b
}
