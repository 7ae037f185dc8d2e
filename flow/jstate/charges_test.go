package jstate

import (
	"testing"
	"time"

	dsq "github.com/ipfs/go-datastore/query"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

// countKeys counts datastore keys under prefix.
func countKeys(t *testing.T, mb *member, prefix string) int {
	t.Helper()
	res, err := mb.d.Query(bg, dsq.Query{Prefix: prefix, KeysOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	es, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// flowCharges lists the stored FlowCharge entries of ns.
func flowCharges(t *testing.T, j *journal.Journal, ns journal.Namespace) []*journal.FlowCharge {
	t.Helper()
	es, err := j.Store().Entries(bg, ns)
	if err != nil {
		t.Fatal(err)
	}
	var out []*journal.FlowCharge
	for _, e := range es {
		if fc, ok := e.Body.(*journal.FlowCharge); ok {
			out = append(out, fc)
		}
	}
	return out
}

// TestLazyFlowChargeSignatures is SPEC §16.44 for a single-device
// authority (journal/tree's multi-device TreeState is not reduced yet):
// N sends on one bk sign N receipts, but FlowCharge registers are signed
// only at authority sync snapshots, at most once per SyncInterval, never
// for per-device budgets; after one (simulated) sync the sibling journal's
// FlowSpent equals the sender's charge record as of that snapshot.
// N = 10⁴.
func TestLazyFlowChargeSignatures(t *testing.T) {
	const sends = 10_000 // ≈ 4 s with -race
	const every, step, interval = 250, 250 * time.Millisecond, 2 * time.Second
	c := jt.NewStaticContext("lazy-sign", 2)
	tr := &sinkTransport{self: "alice"}
	a := newMember(t, c, 0, []peer.ID{"alice", "bob"}, tr)
	g, _ := grant(t, c, 1, 0, 1_000_000)
	a.add(t, g)
	signer, err := NewChargeSigner(a.j, a.s.Executor(), keyringOf(a.f), interval, a.m)
	if err != nil {
		t.Fatal(err)
	}
	ns, dst := a.f.NS(), c.Founders[1].Authority
	bk := budget.Key{Ctx: c.ID, Dst: dst}
	s, err := a.s.Open(bg, "bob", proto)
	if err != nil {
		t.Fatal(err)
	}
	// A per-device (authority-scope) charge: a local record, never a fact.
	self := flow.Msg{Kind: budget.MsgSyncPushOps, Scope: flow.ScopeAuthority, Ctx: journal.ContextID(a.f.Authority),
		Dst: journal.AuthorityID(a.f.Device), Frame: []byte{1}}
	if err := s.WriteFrame(bg, self); err != nil {
		t.Fatal(err)
	}
	start, snapshots := a.clk.Now(), 0
	for i := range sends {
		ver := a.j.Version(ns)
		if err := s.WriteFrame(bg, envelope(c, dst, 1, byte(i))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if a.j.Version(ns) != ver {
			t.Fatalf("send %d wrote to the authority journal", i)
		}
		if (i+1)%every == 0 {
			a.clk.Add(step)
			if _, err := signer.AtSnapshot(bg, ns, a.clk.Now()); err != nil {
				t.Fatal(err)
			}
			snapshots++
		}
	}
	if n, _ := signer.AtSnapshot(bg, c.NS(), a.clk.Now()); n != 0 {
		t.Fatal("a context snapshot signed FlowCharge registers")
	}
	if got := countKeys(t, a, "/aura/f/rcpt"); got != sends {
		t.Fatalf("%d receipt signatures for %d sends", got, sends)
	}
	elapsed := a.clk.Now().Sub(start)
	maxSigs := uint64(elapsed/interval) + 1
	if sigs := signer.Signatures(); sigs == 0 || sigs > maxSigs || sigs > uint64(snapshots) {
		t.Fatalf("%d FlowCharge signatures over %v (%d snapshots), want 1..%d", sigs, elapsed, snapshots, maxSigs)
	}
	if got := a.m.signed.Load(); uint64(got) != signer.Signatures() {
		t.Fatalf("metric %d, signer %d", got, signer.Signatures())
	}
	t.Logf("%d sends: %d receipt signatures, %d FlowCharge signatures at %d snapshots over %v",
		sends, sends, signer.Signatures(), snapshots, elapsed)

	// One more snapshot after a full interval catches the record up;
	// later sends move the record past it.
	a.clk.Add(interval)
	rec, err := a.s.Executor().Spent(bg, bk)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := signer.AtSnapshot(bg, ns, a.clk.Now()); err != nil || n != 1 {
		t.Fatalf("catch-up snapshot signed %d, %v", n, err)
	}
	if n, _ := signer.AtSnapshot(bg, ns, a.clk.Now()); n != 0 {
		t.Fatal("a record equal to its signed register was signed again")
	}
	for i := range 10 {
		if err := s.WriteFrame(bg, envelope(c, dst, 1, byte(i))); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := signer.AtSnapshot(bg, ns, a.clk.Now()); n != 0 {
		t.Fatal("signed twice within one SyncInterval")
	}
	if fcs := flowCharges(t, a.j, ns); len(fcs) != 1 || fcs[0].Spent != rec {
		t.Fatalf("authority journal holds %d FlowCharge bodies, want the one join at %d", len(fcs), rec)
	}
	// The signer's per-key memory is pruned one interval after the last
	// signature (it would otherwise grow with every key ever charged).
	if n := signer.tracked(); n != 1 {
		t.Fatalf("tracking %d keys right after a signature, want 1", n)
	}
	signer.mu.Lock()
	signer.prune(a.clk.Now().Add(interval)) // what the next snapshot an interval later does first
	signer.mu.Unlock()
	if n := signer.tracked(); n != 0 {
		t.Fatalf("tracking %d keys after an idle interval", n)
	}

	// The sibling learns the register by sync (simulated: copy entries).
	sib, err := journal.Open(bg, memDS(), journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sib.Join(ns)
	es, err := a.j.Store().Entries(bg, ns)
	if err != nil {
		t.Fatal(err)
	}
	if err := sib.Put(bg, ns, es...); err != nil {
		t.Fatal(err)
	}
	set, err := sib.Store().Set(bg, ns)
	if err != nil {
		t.Fatal(err)
	}
	st, err := journal.DefaultRegistry().ReduceSet(set)
	if err != nil {
		t.Fatal(err)
	}
	as := st.(*journal.AuthorityState)
	if got := as.Spent(c.ID, dst, 0, 0); got != rec || len(as.FlowSpent) != 1 {
		t.Fatalf("sibling FlowSpent %d (%d registers), want the snapshot's record %d", got, len(as.FlowSpent), rec)
	}
	now, _ := a.s.Executor().Spent(bg, bk)
	if now <= rec {
		t.Fatalf("record %d did not move past the snapshot %d", now, rec)
	}
}
