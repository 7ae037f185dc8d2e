package journal_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

type countMetrics struct {
	mu                            sync.Mutex
	stored, quarantined, deferred int
	refused                       map[string]int
}

func newCountMetrics() *countMetrics { return &countMetrics{refused: map[string]int{}} }

func (m *countMetrics) EntriesStored(n int)      { m.mu.Lock(); m.stored += n; m.mu.Unlock() }
func (m *countMetrics) EntriesQuarantined(n int) { m.mu.Lock(); m.quarantined += n; m.mu.Unlock() }
func (m *countMetrics) EntriesDeferred(n int)    { m.mu.Lock(); m.deferred += n; m.mu.Unlock() }
func (m *countMetrics) EntriesRefused(r string, n int) {
	m.mu.Lock()
	m.refused[r] += n
	m.mu.Unlock()
}

func memStore() journal.Datastore { return dssync.MutexWrap(ds.NewMapDatastore()) }

func openJournal(t testing.TB, d journal.Datastore, cfg journal.Config) *journal.Journal {
	t.Helper()
	j, err := journal.Open(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func allKeys(t testing.TB, d journal.Datastore, prefix string) []string {
	t.Helper()
	res, err := d.Query(context.Background(), query.Query{Prefix: prefix, KeysOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	es, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, e := range es {
		ks = append(ks, e.Key)
	}
	slices.Sort(ks)
	return ks
}

func sortedIDs(es ...journal.Entry) []journal.EntryID {
	var ids []journal.EntryID
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	slices.SortFunc(ids, func(a, b journal.EntryID) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(ids)
}

func TestStorePutGet(t *testing.T) {
	ctx := context.Background()
	c := jt.NewStaticContext("store", 2)
	d := memStore()
	m := newCountMetrics()
	j := openJournal(t, d, journal.Config{Metrics: m})
	j.Join(c.NS())
	es := []journal.Entry{jt.MustEntry(c.Genesis()), jt.MustEntry(c.Generic(0, 1, []byte("a"))),
		jt.MustEntry(c.Generic(1, 1, []byte("b")))}
	if err := j.Put(ctx, c.NS(), es...); err != nil {
		t.Fatal(err)
	}
	if err := j.Put(ctx, c.NS(), es[0]); err != nil { // idempotent
		t.Fatal(err)
	}
	ids, err := j.EntryIDs(ctx, c.NS())
	if err != nil || !slices.Equal(ids, sortedIDs(es...)) {
		t.Fatalf("EntryIDs = %v, %v", ids, err)
	}
	for _, e := range es {
		got, err := j.Get(ctx, c.NS(), e.ID)
		if err != nil || !bytes.Equal(got.Raw, e.Raw) || got.FactID != e.FactID {
			t.Fatalf("Get: %v", err)
		}
	}
	if _, err := j.Get(ctx, c.NS(), journal.EntryID{1}); !errors.Is(err, journal.ErrNotFound) {
		t.Fatalf("missing Get: %v", err)
	}
	got, err := j.Store().Entries(ctx, c.NS())
	if err != nil || len(got) != 3 {
		t.Fatalf("Entries = %d, %v", len(got), err)
	}
	if ns := j.Store().Namespaces(); len(ns) != 1 || ns[0] != c.NS() {
		t.Fatalf("Namespaces = %v", ns)
	}
	if m.stored != 3 {
		t.Fatalf("stored metric = %d, want 3", m.stored)
	}
	// Key layout (SPEC §3): e and i keys, lower-case hex.
	want := "/aura/j/2/" + strings.ToLower(c.NS().String()[2:]) + "/e/" + es[0].ID.String()
	if !slices.Contains(allKeys(t, d, "/aura/j"), want) {
		t.Fatalf("missing key %s", want)
	}
	if !slices.Contains(allKeys(t, d, "/aura/j"), "/aura/j/"+c.NS().String()+"/i/"+es[0].FactID.String()+"/"+es[0].ID.String()) {
		t.Fatal("missing index key")
	}
}

// TestStoreRegisterJoin: only the join of a register FactID stays stored,
// whatever the arrival order, in one batch or across batches.
func TestStoreRegisterJoin(t *testing.T) {
	ctx := context.Background()
	c := jt.NewStaticContext("reg", 2)
	p := func(seq uint64, addr string) journal.Entry {
		return jt.MustEntry(c.DevicePeer(0, []byte("peer"), [][]byte{[]byte(addr)}, seq))
	}
	tieA, tieB := p(3, "x"), p(3, "y")
	win := tieA
	if bytes.Compare(tieB.BodyHash[:], tieA.BodyHash[:]) < 0 {
		win = tieB
	}
	orders := [][][]journal.Entry{
		{{p(1, "a")}, {tieA}, {p(2, "b")}, {tieB}},
		{{tieB, p(1, "a"), tieA, p(2, "b")}},
		{{tieA, tieB}, {p(1, "a")}},
	}
	for i, batches := range orders {
		j := openJournal(t, memStore(), journal.Config{})
		j.Join(c.NS())
		for _, b := range batches {
			if err := j.Put(ctx, c.NS(), b...); err != nil {
				t.Fatal(err)
			}
		}
		ids, _ := j.EntryIDs(ctx, c.NS())
		if len(ids) != 1 || ids[0] != win.ID {
			t.Fatalf("order %d: stored %v, want only the join", i, ids)
		}
	}
}

func TestStoreNamespaceMismatch(t *testing.T) {
	ctx := context.Background()
	a, b := jt.NewStaticContext("nsa", 2), jt.NewStaticContext("nsb", 2)
	j := openJournal(t, memStore(), journal.Config{})
	j.Join(a.NS())
	if err := j.Put(ctx, a.NS(), jt.MustEntry(b.Generic(0, 1, nil))); !errors.Is(err, journal.ErrNamespaceMismatch) {
		t.Fatalf("Put: %v", err)
	}
	res, err := j.Add(ctx, a.NS(), fixtureNow, b.Generic(0, 1, nil).Canonical())
	if err != nil || res[0].Outcome != journal.Refused || !errors.Is(res[0].Err, journal.ErrNamespaceMismatch) {
		t.Fatalf("Add: %+v, %v", res, err)
	}
}

// TestNonMemberRefused (SPEC §16.13): facts of a namespace this node is
// not a member of are refused and nothing is written.
func TestNonMemberRefused(t *testing.T) {
	ctx := context.Background()
	c := jt.NewStaticContext("nonmember", 2)
	d := memStore()
	m := newCountMetrics()
	j := openJournal(t, d, journal.Config{Metrics: m})
	raw := c.Genesis().Canonical()
	if _, err := j.Add(ctx, c.NS(), fixtureNow, raw); !errors.Is(err, journal.ErrNotMember) {
		t.Fatalf("Add: %v", err)
	}
	if err := j.Put(ctx, c.NS(), jt.MustEntry(c.Genesis())); !errors.Is(err, journal.ErrNotMember) {
		t.Fatalf("Put: %v", err)
	}
	if _, err := j.EntryIDs(ctx, c.NS()); !errors.Is(err, journal.ErrNotMember) {
		t.Fatalf("EntryIDs: %v", err)
	}
	if ks := allKeys(t, d, "/"); len(ks) != 0 {
		t.Fatalf("non-member wrote %v", ks)
	}
	if m.refused["not_member"] != 2 {
		t.Fatalf("refused metric = %v", m.refused)
	}
	j.Join(c.NS())
	if res, err := j.Add(ctx, c.NS(), fixtureNow, raw); err != nil || res[0].Outcome != journal.Stored {
		t.Fatalf("after Join: %+v %v", res, err)
	}
	j.Leave(c.NS())
	if _, err := j.Get(ctx, c.NS(), jt.MustEntry(c.Genesis()).ID); !errors.Is(err, journal.ErrNotMember) {
		t.Fatalf("Get after Leave: %v", err)
	}
}

// TestCorruptQuarantined flips bytes under one entry key: the record moves
// to quarantine (one batch), is reported with its key and counted, and
// the rest stays readable.
func TestCorruptQuarantined(t *testing.T) {
	ctx := context.Background()
	d, err := journal.OpenPebble(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := jt.NewStaticContext("corrupt", 2)
	var logs bytes.Buffer
	m := newCountMetrics()
	j := openJournal(t, d, journal.Config{Metrics: m, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	j.Join(c.NS())
	es := []journal.Entry{jt.MustEntry(c.Genesis()), jt.MustEntry(c.Generic(0, 1, []byte("a"))),
		jt.MustEntry(c.Generic(1, 1, []byte("b")))}
	if err := j.Put(ctx, c.NS(), es...); err != nil {
		t.Fatal(err)
	}
	bad := es[1]
	key := ds.NewKey("/aura/j/" + c.NS().String() + "/e/" + bad.ID.String())
	if err := d.Put(ctx, key, flip(bad.Raw, len(bad.Raw)-3)); err != nil {
		t.Fatal(err)
	}
	got, err := j.Store().Entries(ctx, c.NS())
	var ce *journal.CorruptError
	if !errors.Is(err, journal.ErrCorrupt) || !errors.As(err, &ce) ||
		!strings.HasSuffix(ce.Key, "/e/"+bad.ID.String()) || !strings.HasPrefix(ce.Key, "/aura/j/2/ns-") {
		t.Fatalf("Entries err = %v", err)
	}
	rawNS := c.NS().String()[2:]
	if strings.Contains(ce.Key, rawNS) || strings.Contains(logs.String(), rawNS) {
		t.Fatal("report carries the raw context id")
	}
	if len(got) != 2 || slices.ContainsFunc(got, func(e journal.Entry) bool { return e.ID == bad.ID }) {
		t.Fatalf("Entries returned %d entries", len(got))
	}
	if m.quarantined != 1 || !strings.Contains(logs.String(), ce.Key) {
		t.Fatalf("not reported: metric %d, log %q", m.quarantined, logs.String())
	}
	q, err := d.Get(ctx, ds.NewKey("/aura/q/"+c.NS().String()+"/"+bad.ID.String()))
	if err != nil || !bytes.Equal(q, flip(bad.Raw, len(bad.Raw)-3)) {
		t.Fatalf("quarantine value: %v", err)
	}
	if ks := allKeys(t, d, "/aura/j/"+c.NS().String()); slices.ContainsFunc(ks, func(k string) bool {
		return strings.HasSuffix(k, bad.ID.String())
	}) {
		t.Fatal("corrupt entry keys not removed")
	}
	ids, _ := j.EntryIDs(ctx, c.NS())
	if len(ids) != 2 {
		t.Fatalf("EntryIDs after quarantine = %d", len(ids))
	}
	// Re-acquiring the entry (sync refetch) works.
	if err := j.Put(ctx, c.NS(), bad); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Get(ctx, c.NS(), bad.ID); err != nil {
		t.Fatalf("refetched: %v", err)
	}
	// Get on a corrupt value reports CorruptError too.
	if err := d.Put(ctx, key, []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Get(ctx, c.NS(), bad.ID); !errors.As(err, &ce) {
		t.Fatalf("Get corrupt: %v", err)
	}
}

// TestDeferredEpochAdvance (SPEC §16.27): an advance 10 min ahead is
// deferred (not acknowledged, not in EntryIDs), survives a restart, and
// is stored once the clock reaches due − MaxClockSkew.
func TestDeferredEpochAdvance(t *testing.T) {
	ctx := context.Background()
	c := jt.NewStaticContext("defer", 2)
	now := time.UnixMilli(int64(jt.GenesisTimeMs + 2*jt.FlowEpochMs))
	adv := c.FlowEpochAdvance(4) // starts at epoch 2 + 10 min
	d := memStore()
	m := newCountMetrics()
	j := openJournal(t, d, journal.Config{Metrics: m})
	j.Join(c.NS())
	res, err := j.Add(ctx, c.NS(), now, c.Genesis().Canonical(), adv.Canonical())
	if err != nil || res[0].Outcome != journal.Stored || res[1].Outcome != journal.Deferred {
		t.Fatalf("Add: %+v %v", res, err)
	}
	ids, _ := j.EntryIDs(ctx, c.NS())
	if len(ids) != 1 || m.deferred != 1 || j.Store().DeferredLen(c.NS()) != 1 {
		t.Fatalf("deferred fact visible: ids %d, metric %d", len(ids), m.deferred)
	}
	j = openJournal(t, d, journal.Config{}) // restart: the queue is durable
	j.Join(c.NS())
	if j.Store().DeferredLen(c.NS()) != 1 {
		t.Fatal("deferred queue lost on reopen")
	}
	if n, err := j.Tick(ctx, now.Add(9*time.Minute+29*time.Second)); n != 0 || err != nil {
		t.Fatalf("early Tick promoted %d, %v", n, err)
	}
	if n, err := j.Tick(ctx, now.Add(9*time.Minute+30*time.Second)); n != 1 || err != nil {
		t.Fatalf("Tick promoted %d, %v", n, err)
	}
	ids, _ = j.EntryIDs(ctx, c.NS())
	if len(ids) != 2 || j.Store().DeferredLen(c.NS()) != 0 || len(allKeys(t, d, "/aura/j/"+c.NS().String()+"/d")) != 0 {
		t.Fatalf("after Tick: %d ids", len(ids))
	}
}

func TestDeferredLimits(t *testing.T) {
	ctx := context.Background()
	c := jt.NewStaticContext("limits", 2)
	now := time.UnixMilli(int64(jt.GenesisTimeMs))
	m := newCountMetrics()
	j := openJournal(t, memStore(), journal.Config{MaxDeferred: 2, Metrics: m})
	j.Join(c.NS())
	res, err := j.Add(ctx, c.NS(), now, c.FlowEpochAdvance(1).Canonical(), c.FlowEpochAdvance(2).Canonical(),
		c.FlowEpochAdvance(3).Canonical(), c.FlowEpochAdvance(13).Canonical(), c.FlowEpochAdvance(1).Canonical())
	if err != nil {
		t.Fatal(err)
	}
	want := []journal.Outcome{journal.Deferred, journal.Deferred, journal.Refused, journal.Refused, journal.Deferred}
	for i, r := range res {
		if r.Outcome != want[i] {
			t.Fatalf("fact %d: outcome %d (%v), want %d", i, r.Outcome, r.Err, want[i])
		}
	}
	if !errors.Is(res[2].Err, journal.ErrDeferredFull) || !errors.Is(res[3].Err, journal.ErrDeferTooFar) {
		t.Fatalf("errors: %v / %v", res[2].Err, res[3].Err)
	}
	if m.refused["deferred_full"] != 1 || m.refused["defer_too_far"] != 1 {
		t.Fatalf("refused metric %v", m.refused)
	}
}

// TestDeferredCorruptQuarantined: a deferred value failing its checksum is
// quarantined at promotion, not stored.
func TestDeferredCorruptQuarantined(t *testing.T) {
	ctx := context.Background()
	c := jt.NewStaticContext("defer-corrupt", 2)
	now := time.UnixMilli(int64(jt.GenesisTimeMs))
	d := memStore()
	m := newCountMetrics()
	j := openJournal(t, d, journal.Config{Metrics: m})
	j.Join(c.NS())
	adv := c.FlowEpochAdvance(1)
	if res, err := j.Add(ctx, c.NS(), now, adv.Canonical()); err != nil || res[0].Outcome != journal.Deferred {
		t.Fatalf("Add: %+v %v", res, err)
	}
	ks := allKeys(t, d, "/aura/j/"+c.NS().String()+"/d")
	if len(ks) != 1 || !strings.Contains(ks[0], "/d/00000001700000300000/") {
		t.Fatalf("deferred keys %v", ks)
	}
	if err := d.Put(ctx, ds.NewKey(ks[0]), flip(adv.Canonical(), 30)); err != nil {
		t.Fatal(err)
	}
	if n, err := j.Tick(ctx, now.Add(time.Hour)); n != 0 || err != nil {
		t.Fatalf("Tick stored %d, %v", n, err)
	}
	if m.quarantined != 1 || len(allKeys(t, d, "/aura/q")) != 1 || len(allKeys(t, d, "/aura/j")) != 0 {
		t.Fatal("corrupt deferred value not quarantined")
	}
	// Offered again once due, the fact is stored directly.
	if res, err := j.Add(ctx, c.NS(), now.Add(time.Hour), adv.Canonical()); err != nil || res[0].Outcome != journal.Stored {
		t.Fatalf("re-Add: %+v %v", res, err)
	}
	// Offered early again after being stored: acknowledged, not deferred.
	if res, err := j.Add(ctx, c.NS(), now, adv.Canonical()); err != nil || res[0].Outcome != journal.Stored {
		t.Fatalf("early re-Add: %+v %v", res, err)
	}
	if j.Store().DeferredLen(c.NS()) != 0 {
		t.Fatal("stored fact re-deferred")
	}
}

// TestConcurrentRegisterPuts: concurrent writers of one register FactID
// leave exactly its join stored (the Store serialises the read-modify-write).
func TestConcurrentRegisterPuts(t *testing.T) {
	ctx := context.Background()
	c := jt.NewStaticContext("concurrent", 2)
	j := openJournal(t, memStore(), journal.Config{})
	j.Join(c.NS())
	var es []journal.Entry
	for seq := range uint64(32) {
		es = append(es, jt.MustEntry(c.DevicePeer(0, []byte("p"), nil, seq)))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(es); i += 4 {
				if err := j.Put(ctx, c.NS(), es[i]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	ids, _ := j.EntryIDs(ctx, c.NS())
	if len(ids) != 1 || ids[0] != es[31].ID {
		t.Fatalf("stored %d entries, want only seq 31", len(ids))
	}
}

// TestDeferredOtherNamespaceRefused: Add(ns) of a time-gated fact of
// another namespace — a member one or a non-member one — is refused with
// ErrNamespaceMismatch; nothing is parked in either deferred queue, and
// a later Tick stores nothing.
func TestDeferredOtherNamespaceRefused(t *testing.T) {
	ctx := context.Background()
	a := jt.NewStaticContext("defer-ns-a", 2)
	b := jt.NewStaticContext("defer-ns-b", 2)
	now := time.UnixMilli(int64(jt.GenesisTimeMs))
	d := memStore()
	m := newCountMetrics()
	j := openJournal(t, d, journal.Config{Metrics: m})
	j.Join(a.NS())
	for _, member := range []bool{false, true} {
		if member {
			j.Join(b.NS())
		}
		res, err := j.Add(ctx, a.NS(), now, b.FlowEpochAdvance(1).Canonical())
		if err != nil || res[0].Outcome != journal.Refused || !errors.Is(res[0].Err, journal.ErrNamespaceMismatch) {
			t.Fatalf("member of b %v: %+v %v", member, res, err)
		}
		if j.Store().DeferredLen(b.NS()) != 0 || j.Store().DeferredLen(a.NS()) != 0 || m.deferred != 0 {
			t.Fatalf("member of b %v: a fact of b was deferred through a's Add", member)
		}
	}
	if ks := allKeys(t, d, "/"); len(ks) != 0 {
		t.Fatalf("refused facts wrote %v", ks)
	}
	if n, err := j.Tick(ctx, now.Add(time.Hour)); n != 0 || err != nil {
		t.Fatalf("Tick stored %d, %v", n, err)
	}
}

// TestTickSkipsLeftNamespace: a fact deferred while a member is not
// promoted by Tick after Leave (nothing of the left namespace is
// written); it stays parked and is stored after a new Join.
func TestTickSkipsLeftNamespace(t *testing.T) {
	ctx := context.Background()
	c := jt.NewStaticContext("defer-leave", 2)
	now := time.UnixMilli(int64(jt.GenesisTimeMs))
	d := memStore()
	j := openJournal(t, d, journal.Config{})
	j.Join(c.NS())
	if res, err := j.Add(ctx, c.NS(), now, c.FlowEpochAdvance(1).Canonical()); err != nil || res[0].Outcome != journal.Deferred {
		t.Fatalf("Add: %+v %v", res, err)
	}
	j.Leave(c.NS())
	later := now.Add(time.Hour)
	if n, err := j.Tick(ctx, later); n != 0 || err != nil {
		t.Fatalf("Tick after Leave stored %d, %v", n, err)
	}
	if ks := allKeys(t, d, "/aura/j/"+c.NS().String()+"/e"); len(ks) != 0 || j.Store().DeferredLen(c.NS()) != 1 {
		t.Fatalf("after Leave: entries %v, deferred %d", ks, j.Store().DeferredLen(c.NS()))
	}
	j.Join(c.NS())
	if n, err := j.Tick(ctx, later); n != 1 || err != nil {
		t.Fatalf("Tick after Join stored %d, %v", n, err)
	}
}
