package driver

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/frostxtest"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// ---- test scope: a counter over a fixed committee ----

// counterScope: state is a counter; an op is an 8-byte big-endian
// increment > 0. lie makes Execute return another post-state (§16.7a).
type counterScope struct {
	com   consensus.Committee
	value uint64
	lie   bool
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func (s *counterScope) Committee() consensus.Committee { return s.com }

func (s *counterScope) PrestateHash() [32]byte {
	root := canon.H("test/counter", u64(s.value))
	return canon.H("aura/prestate/v1", s.com.Scope.ID[:], root[:])
}

func (s *counterScope) Execute(op []byte) ([32]byte, error) {
	if len(op) != 8 || binary.BigEndian.Uint64(op) == 0 {
		return [32]byte{}, consensus.ErrInvalidOp
	}
	v := s.value + binary.BigEndian.Uint64(op)
	if s.lie {
		v += 1 << 40
	}
	return canon.H("test/counter", u64(v)), nil
}

func (s *counterScope) next(op []byte) *counterScope {
	return &counterScope{com: s.com, value: s.value + binary.BigEndian.Uint64(op)}
}

var testNS = journal.Namespace{Kind: journal.KindAuthority, ID: [16]byte{0xa0, 1}}

func witness(i int) consensus.WitnessID { return consensus.WitnessID{0x57, byte(i + 1)} }

// keyset is a t-of-n committee with vote keys.
type keyset struct {
	frost  *frostx.Committee
	shares [][]byte
	vkeys  []ed25519.PrivateKey
	com    consensus.Committee
}

func newKeyset(tb testing.TB, t, n uint16, seed uint64) *keyset {
	tb.Helper()
	cfg, shares, err := frostxtest.Keygen(t, n, seed)
	if err != nil {
		tb.Fatal(err)
	}
	fc, err := frostx.NewCommittee(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ks := &keyset{frost: fc, shares: shares}
	ks.com = consensus.Committee{Scope: testNS, KeyEpoch: 1, Threshold: t, GroupKey: cfg.GroupKey}
	for i := range int(n) {
		var sd [32]byte
		sd[0], sd[1] = byte(i), 0x99
		k := ed25519.NewKeyFromSeed(sd[:])
		ks.vkeys = append(ks.vkeys, k)
		ks.com.Members = append(ks.com.Members, consensus.Member{Witness: witness(i), FrostID: uint16(i + 1),
			VoteKey: [32]byte(k.Public().(ed25519.PublicKey))})
	}
	return ks
}

func (ks *keyset) keys(tb testing.TB, i int) consensus.Keys {
	tb.Helper()
	sg, err := frostx.NewSigner(ks.frost, ks.shares[i])
	if err != nil {
		tb.Fatal(err)
	}
	return consensus.Keys{Frost: ks.frost, Signer: sg}
}

var testKfb = [32]byte{0xfb, 1}

const testTopic = "/aura/fb/1/test"

// ---- one member: durable store, sender, service ----

// member is one committee member's durable state and running service.
type member struct {
	i       int
	d       ds.Batching
	j       *journal.Journal
	svc     *Service
	scope   *counterScope
	met     *countMetrics
	outs    chan consensus.Outcome
	commits atomic.Int64
}

// memberCfg shapes a member's Config.
type memberCfg struct {
	carriage Carriage
	delta    time.Duration
	rtt      func(peer.ID) time.Duration
	reporter Reporter
	topic    string // "" ⇒ testTopic
	logger   *slog.Logger
	spares   int // Core.FastPathSpareSets (0: default 2, −1: none)
}

func newMember(tb testing.TB, i int, d ds.Batching, sc *counterScope) *member {
	tb.Helper()
	if d == nil {
		d = dssync.MutexWrap(ds.NewMapDatastore())
	}
	j, err := journal.Open(context.Background(), d, journal.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	j.Join(testNS)
	return &member{i: i, d: d, j: j, scope: sc, met: &countMetrics{}, outs: make(chan consensus.Outcome, 64)}
}

// start builds and starts the service over transport tr.
func (m *member) start(tb testing.TB, tr p2p.Transport, ks *keyset, peers Peers, mc memberCfg) {
	tb.Helper()
	topic := mc.topic
	if topic == "" {
		topic = testTopic
	}
	snd, err := flow.New(tr, m.d, flow.NewStaticState(flow.Identity{}), flow.Config{
		Topics: map[string]flow.TopicLimit{topic: {Publish: 1 << 40, Forward: 1 << 40}}, AuthorityLocalLimit: 1 << 40})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{
		Core: consensus.Config{Self: witness(m.i), VoteKey: ks.vkeys[m.i], Scope: m.scope, Keys: ks.keys(tb, m.i),
			InitialDelta: mc.delta, FastPathSpareSets: mc.spares, Rand: rand.NewChaCha8([32]byte{byte(m.i), 0xd1})},
		Authority: journal.AuthorityID{0xa0, 1}, Sender: snd, Journal: m.j, Datastore: m.d, Peers: peers,
		FallbackTopic: topic, FallbackKey: testKfb, Carriage: mc.carriage, RTT: mc.rtt, Reporter: mc.reporter,
		Metrics: m.met, Logger: mc.logger,
		OnOutcome: func(o consensus.Outcome) {
			if o.Kind == consensus.Committed {
				m.commits.Add(1)
			}
			select {
			case m.outs <- o:
			default:
			}
		},
	}
	svc, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := svc.Start(); err != nil {
		tb.Fatal(err)
	}
	m.svc = svc
}

// waitCommit waits for a Committed outcome of cid, failing after d.
func (m *member) waitCommit(tb testing.TB, cid [32]byte, d time.Duration) consensus.CommitFact {
	tb.Helper()
	deadline := time.After(d)
	for {
		select {
		case o := <-m.outs:
			if o.Kind == consensus.Committed && o.CID == cid && o.Fact != nil {
				return *o.Fact
			}
		case <-deadline:
			tb.Fatalf("member %d: no commit of %x within %v", m.i, cid[:4], d)
		}
	}
}

// storedCommits reads Commit facts from the member's journal.
func (m *member) storedCommits(tb testing.TB) []consensus.CommitFact {
	tb.Helper()
	fs, err := LoadCommits(context.Background(), m.j, testNS)
	if err != nil {
		tb.Fatal(err)
	}
	return fs
}

func (m *member) equivocations(tb testing.TB) int {
	tb.Helper()
	ents, err := m.j.Store().Entries(context.Background(), testNS)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if e.Fact.Type == journal.TypeEquivocation {
			n++
		}
	}
	return n
}

// countMetrics counts driver metrics.
type countMetrics struct {
	NopMetrics
	mu         sync.Mutex
	byPath     map[uint8]int
	conflicts  int
	misbeh     map[string]int
	envelopes  map[string]int
	fallbacks  int
	ageReports int           // OldestInstanceAge calls
	lastAge    time.Duration // last OldestInstanceAge value
}

func (c *countMetrics) OldestInstanceAge(d time.Duration) {
	c.mu.Lock()
	c.ageReports++
	c.lastAge = d
	c.mu.Unlock()
}

// age returns the last reported oldest-instance age and the report count.
func (c *countMetrics) age() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastAge, c.ageReports
}

func (c *countMetrics) CommitStored(p uint8) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byPath == nil {
		c.byPath = map[uint8]int{}
	}
	c.byPath[p]++
}
func (c *countMetrics) ConflictingCommit() { c.mu.Lock(); c.conflicts++; c.mu.Unlock() }
func (c *countMetrics) FallbackEntered(consensus.FallbackReason) {
	c.mu.Lock()
	c.fallbacks++
	c.mu.Unlock()
}
func (c *countMetrics) Misbehaviour(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.misbeh == nil {
		c.misbeh = map[string]int{}
	}
	c.misbeh[k]++
}
func (c *countMetrics) FallbackEnvelope(r string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.envelopes == nil {
		c.envelopes = map[string]int{}
	}
	c.envelopes[r]++
}
func (c *countMetrics) get(f func(*countMetrics) int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return f(c)
}

// checkAgree asserts one Commit FactID for cid on every listed member, each
// verifying against the scope it was proposed at.
func checkAgree(tb testing.TB, ms []*member, cid [32]byte, pre *counterScope) consensus.CommitFact {
	tb.Helper()
	var first *consensus.CommitFact
	for _, m := range ms {
		var mine []consensus.CommitFact
		for _, f := range m.storedCommits(tb) {
			if f.CID == cid {
				mine = append(mine, f)
			}
		}
		if len(mine) != 1 {
			tb.Fatalf("member %d stores %d commits of the instance", m.i, len(mine))
		}
		if err := consensus.VerifyCommit(&mine[0], pre); err != nil {
			tb.Fatalf("member %d: stored commit does not verify: %v", m.i, err)
		}
		if first == nil {
			first = &mine[0]
		} else if first.FactID() != mine[0].FactID() {
			tb.Fatalf("members disagree on the commit")
		}
		if c := m.met.get(func(c *countMetrics) int { return c.conflicts }); c != 0 {
			tb.Fatalf("member %d: %d conflicting commits", m.i, c)
		}
	}
	return *first
}

// votesFor returns the vote-log records of cid in d.
func votesFor(tb testing.TB, d ds.Datastore, cid [32]byte) []consensus.VoteRecord {
	tb.Helper()
	vs, err := LoadVotes(context.Background(), d)
	if err != nil {
		tb.Fatal(err)
	}
	var out []consensus.VoteRecord
	for _, v := range vs {
		if v.CID == cid {
			out = append(out, v)
		}
	}
	return out
}

func hasPrefix(k, p string) bool { return strings.HasPrefix(k, p) }
