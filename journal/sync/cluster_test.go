package sync

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	gosync "sync"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// countMetrics counts what the service reports; safe for concurrent use.
type countMetrics struct {
	mu                        gosync.Mutex
	rounds, resets            map[string]int
	symbols                   uint64
	facts, stored, sent, recv int
	durations                 int           // DurationMetrics calls
	took                      time.Duration // their sum
}

// Duration implements DurationMetrics.
func (m *countMetrics) Duration(d time.Duration) {
	m.mu.Lock()
	m.durations++
	m.took += d
	m.mu.Unlock()
}

// durationStats is the Duration call count, the Round call count and the
// summed durations, read together.
func (m *countMetrics) durationStats() (durations, rounds int, took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.rounds {
		rounds += v
	}
	return m.durations, rounds, m.took
}

func newCountMetrics() *countMetrics {
	return &countMetrics{rounds: map[string]int{}, resets: map[string]int{}}
}

func (m *countMetrics) Round(r string) { m.mu.Lock(); m.rounds[r]++; m.mu.Unlock() }
func (m *countMetrics) Symbols(n uint64) {
	m.mu.Lock()
	m.symbols += n
	m.mu.Unlock()
}
func (m *countMetrics) Facts(n int)       { m.mu.Lock(); m.facts += n; m.mu.Unlock() }
func (m *countMetrics) FactsStored(n int) { m.mu.Lock(); m.stored += n; m.mu.Unlock() }
func (m *countMetrics) Bytes(dir string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if dir == "sent" {
		m.sent += n
	} else {
		m.recv += n
	}
}
func (m *countMetrics) Reset(r string) { m.mu.Lock(); m.resets[r]++; m.mu.Unlock() }

func (m *countMetrics) snapshot() (rounds, resets map[string]int, symbols uint64, stored, sent int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps(m.rounds), maps(m.resets), m.symbols, m.stored, m.sent
}

func maps(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// reporter records misbehaviour reports.
type reporter struct {
	mu   gosync.Mutex
	got  []string
	peer []string
}

func (r *reporter) ReportMisbehaviour(p peer.ID, proto, kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, kind)
	r.peer = append(r.peer, string(p))
}

func (r *reporter) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// replica is one member node: journal, service, metrics.
type replica struct {
	i   int
	tr  p2p.Transport
	j   *journal.Journal
	svc *Service
	m   *countMetrics
	snd *flow.Sender
	ds  ds.Batching // the sender's datastore (charge records)
}

// memJournal opens a journal on an in-memory datastore, member of ns.
func memJournal(t testing.TB, ns journal.Namespace) *journal.Journal {
	t.Helper()
	j, err := journal.Open(context.Background(), dssync.MutexWrap(ds.NewMapDatastore()), journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	j.Join(ns)
	return j
}

// seedFacts are the facts every founder holds at start: the Genesis and
// every member's DevicePeer (SPEC §7.1 step 4′).
func seedFacts(fx *journaltest.StaticContext, trs []p2p.Transport) [][]byte {
	out := [][]byte{journaltest.Raw(fx.Genesis())}
	for i, tr := range trs {
		out = append(out, journaltest.Raw(fx.DevicePeer(i, []byte(tr.Self()), nil, 1)))
	}
	return out
}

// keysOf is founder i's NamespaceKeys.
func keysOf(fx *journaltest.StaticContext, i int) NamespaceKeys {
	f := fx.Founders[i]
	return NamespaceKeys{NS: fx.NS(), Secrets: []Secret{StaticContextSecret(fx.KRoot)},
		Signer: Ed25519Signer{ID: f.Authority, Key: f.MemberKey}}
}

// startReplicas starts one service per transport, founder i on trs[i].
func startReplicas(t testing.TB, fx *journaltest.StaticContext, trs []p2p.Transport, cfg ServiceConfig, seed int64, live func(int) Liveness) []*replica {
	t.Helper()
	return startReplicasOn(t, fx, trs, cfg, seed, replicaOpts{live: live})
}

// replicaOpts tunes startReplicasOn; zero fields are defaults.
type replicaOpts struct {
	live  func(int) Liveness
	mkDS  func(int) ds.Batching         // sender datastore (nil: in-memory)
	limit uint64                        // budget limit (0: bigLimit)
	tweak func(i int, c *ServiceConfig) // per-replica config
	state func(i int) flow.State        // guard state (nil: senderState)
}

// startReplicasOn is startReplicas with replicaOpts.
func startReplicasOn(t testing.TB, fx *journaltest.StaticContext, trs []p2p.Transport, cfg ServiceConfig, seed int64, o replicaOpts) []*replica {
	t.Helper()
	live, mkDS, limit := o.live, o.mkDS, o.limit
	if limit == 0 {
		limit = bigLimit
	}
	facts := seedFacts(fx, trs)
	out := make([]*replica, len(trs))
	for i, tr := range trs {
		r := &replica{i: i, tr: tr, j: memJournal(t, fx.NS()), m: newCountMetrics()}
		if _, err := r.j.Add(context.Background(), fx.NS(), time.Now(), facts...); err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Seed, c.Metrics = uint64(seed)<<8|uint64(i), r.m
		if live != nil {
			c.Liveness = live(i)
		}
		if o.tweak != nil {
			o.tweak(i, &c)
		}
		r.ds = dssync.MutexWrap(ds.NewMapDatastore())
		if mkDS != nil {
			r.ds = mkDS(i)
		}
		var st flow.State = senderState(fx, fx.Founders[i], limit)
		if o.state != nil {
			st = o.state(i)
		}
		r.snd = guardedSender(t, tr, st, r.ds)
		svc, err := NewService(r.snd, r.j, c, keysOf(fx, i))
		if err != nil {
			t.Fatal(err)
		}
		r.svc = svc
		out[i] = r
	}
	return out
}

func closeReplicas(rs []*replica) {
	for _, r := range rs {
		_ = r.svc.Close()
	}
}

// write has replica r write n Generic facts tagged with tag.
func (r *replica) write(t testing.TB, fx *journaltest.StaticContext, tag string, n int) {
	t.Helper()
	raws := make([][]byte, n)
	for k := range raws {
		raws[k] = journaltest.Raw(fx.Generic(r.i, 1, fmt.Appendf(nil, "%s/%d/%d", tag, r.i, k)))
	}
	if _, err := r.svc.Write(context.Background(), fx.NS(), raws...); err != nil {
		t.Fatal(err)
	}
}

// writeQuiet stores n Generic facts in the journal only: no push, the
// service learns of them at its next session.
func (r *replica) writeQuiet(t testing.TB, fx *journaltest.StaticContext, tag string, n int) {
	t.Helper()
	for k := range n {
		raw := journaltest.Raw(fx.Generic(r.i, 1, fmt.Appendf(nil, "%s/%d/%d", tag, r.i, k)))
		if _, err := r.j.Add(context.Background(), fx.NS(), time.Now(), raw); err != nil {
			t.Fatal(err)
		}
	}
}

// fingerprint is one replica's sorted EntryIDs, their C[0] under a fixed
// key (SPEC §16.25) and the reduced state's canonical bytes.
type fingerprint struct {
	ids   []journal.EntryID
	c0    riblt.Symbol
	state []byte
}

var fixedKey = riblt.KeyFromBytes([16]byte{0: 0x25, 15: 0x16})

func (r *replica) fingerprint(t testing.TB, ns journal.Namespace) fingerprint {
	t.Helper()
	ids, err := r.j.EntryIDs(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ids, compareIDs)
	set, err := r.j.Store().Set(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	st, err := journal.DefaultRegistry().ReduceSet(set)
	if err != nil {
		t.Fatal(err)
	}
	return fingerprint{ids: ids, c0: riblt.Symbol0(fixedKey, ids), state: st.Canonical()}
}

// converged reports whether all replicas hold want entries with equal
// ids, C[0] and canonical state. The cheap id comparison runs first.
func converged(t testing.TB, rs []*replica, ns journal.Namespace, want int) bool {
	t.Helper()
	var ids0 []journal.EntryID
	for i, r := range rs {
		ids, err := r.j.EntryIDs(context.Background(), ns)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(ids, compareIDs)
		if len(ids) != want || (i > 0 && !slices.Equal(ids, ids0)) {
			return false
		}
		ids0 = ids
	}
	f0 := rs[0].fingerprint(t, ns)
	for _, r := range rs[1:] {
		f := r.fingerprint(t, ns)
		if !slices.Equal(f.ids, f0.ids) || f.c0 != f0.c0 || !bytes.Equal(f.state, f0.state) {
			t.Fatalf("equal EntryIDs but different C[0] or reduced state")
		}
	}
	return true
}

// digest is H(sorted EntryIDs), for logs.
func digest(ids []journal.EntryID) [32]byte {
	return canon.H("aura/test/digest", AppendPackedIDs(nil, ids))
}
