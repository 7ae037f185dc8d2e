package consensus

import (
	"container/heap"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/frostxtest"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// ---- test scope: a counter over a fixed committee ----

// counterScope is the test Scope: state is a counter; an op is an 8-byte
// big-endian increment > 0.
type counterScope struct {
	com   Committee
	value uint64
	lie   *rand.Rand // non-nil: Execute returns a random post (Byzantine)
}

func (s *counterScope) Committee() Committee { return s.com }

func (s *counterScope) PrestateHash() [32]byte {
	root := canon.H("test/counter", u64(s.value))
	var zero [32]byte
	return canon.H("aura/prestate/v1", u32(1), s.com.Scope.ID[:], root[:], zero[:])
}

func (s *counterScope) Execute(op []byte) ([32]byte, error) {
	if len(op) != 8 || binary.BigEndian.Uint64(op) == 0 {
		return [32]byte{}, ErrInvalidOp
	}
	if s.lie != nil {
		var p [32]byte
		for i := range p {
			p[i] = byte(s.lie.Uint32())
		}
		return p, nil
	}
	return canon.H("test/counter", u64(s.value+binary.BigEndian.Uint64(op))), nil
}

func opAdd(k uint64) []byte { return u64(k) }

// ---- committee keys, cached per (t, n) ----

type keyset struct {
	cfg    frostx.Config
	shares [][]byte
	frost  *frostx.Committee
	vkeys  []ed25519.PrivateKey
	com    Committee
}

var (
	keyMu    sync.Mutex
	keyCache = map[[3]uint64]*keyset{}
)

var testNS = journal.Namespace{Kind: journal.KindAuthority, ID: [16]byte{0xa0, 1}}

func keysFor(tb testing.TB, t, n uint16) *keyset { return keysForSeed(tb, t, n, 0) }

func keysForSeed(tb testing.TB, t, n uint16, seed uint64) *keyset {
	tb.Helper()
	keyMu.Lock()
	defer keyMu.Unlock()
	if ks, ok := keyCache[[3]uint64{uint64(t), uint64(n), seed}]; ok {
		return ks
	}
	cfg, shares, err := frostxtest.Keygen(t, n, seed<<32|uint64(t)<<16|uint64(n))
	if err != nil {
		tb.Fatalf("Keygen: %v", err)
	}
	fc, err := frostx.NewCommittee(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ks := &keyset{cfg: cfg, shares: shares, frost: fc}
	ks.com = Committee{Scope: testNS, KeyEpoch: 7, Threshold: t, GroupKey: cfg.GroupKey}
	for i := range n {
		var seed [32]byte
		seed[0], seed[1] = byte(i), 0x77
		k := ed25519.NewKeyFromSeed(seed[:])
		ks.vkeys = append(ks.vkeys, k)
		ks.com.Members = append(ks.com.Members, Member{Witness: witness(int(i)), FrostID: i + 1,
			VoteKey: [32]byte(k.Public().(ed25519.PublicKey))})
	}
	keyCache[[3]uint64{uint64(t), uint64(n), seed}] = ks
	return ks
}

func witness(i int) WitnessID { return WitnessID{0x57, byte(i + 1)} }

// ---- durable store of one node ----

type store struct {
	votes    []VoteRecord
	commits  []CommitFact
	evidence []EquivocationProof
}

// ---- events ----

type event struct {
	at       time.Time
	seq      uint64
	from, to int
	raw      []byte
}

type eventQ []*event

func (q eventQ) Len() int { return len(q) }
func (q eventQ) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQ) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQ) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQ) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// ---- cluster: n cores, a seeded scheduler, drops, delays, partitions ----

var epoch0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type cluster struct {
	tb     testing.TB
	ks     *keyset
	n      int
	nodes  []*Node
	scopes []*counterScope
	stores []*store
	rng    *rand.Rand
	now    time.Time
	q      eventQ
	seq    uint64
	tick   time.Duration

	// network model
	minDelay, maxDelay time.Duration
	dropRate           float64
	cut                func(from, to int) bool // true: partitioned
	// hooks
	onSend    func(from, to int, m Message) []Message // rewrite outgoing (Byzantine)
	onDeliver func(from, to int, m Message)
	sent      map[string]int
	stepErrs  int
	history   map[[32]byte]*counterScope // prestate → scope snapshot
	cache     *VerifyCache               // shared by the nodes (a pure memo)
	conflicts int                        // Conflicted outcomes (tripwire)
	outcomes  [][]Outcome
	// extraDelay is added to the next enqueued message (set by hooks).
	extraDelay time.Duration
	// syncEvery > 0 models anti-entropy: that often, every node lacking a
	// commit some reachable node stored receives it as a Commit.
	syncEvery time.Duration
	lastSync  time.Time
	// carriage of fallback messages (SPEC §16.33): both, topic only
	// (direct AggregateShares dropped) or direct only (topic dropped).
	carriage carriage
}

type carriage uint8

const (
	carryBoth carriage = iota
	carryTopicOnly
	carryDirectOnly
)

// syncCommits hands stored commits to reachable nodes that lack them.
func (c *cluster) syncCommits() {
	for i, nd := range c.nodes {
		if nd == nil {
			continue
		}
		for j := range c.n {
			if j == i || c.nodes[j] == nil || (c.cut != nil && c.cut(j, i)) {
				continue
			}
			for _, f := range c.stores[j].commits {
				if _, ok := nd.Decided(f.CID); !ok {
					_ = nd.Step(witness(j), &Commit{Fact: f}, c.now)
					c.flush(i)
				}
			}
		}
	}
}

// cryptoSeed seeds crypto/rand (FROST nonces) for replay (SPEC §16).
func cryptoSeed(t *testing.T, seed uint64) { cryptotest.SetGlobalRandom(t, seed) }

type clusterOpt func(*Config)

func newCluster(tb testing.TB, t, n uint16, seed uint64, opts ...clusterOpt) *cluster {
	tb.Helper()
	return newClusterKeys(tb, keysFor(tb, t, n), seed, opts...)
}

func newClusterKeys(tb testing.TB, ks *keyset, seed uint64, opts ...clusterOpt) *cluster {
	tb.Helper()
	n := uint16(len(ks.com.Members))
	c := &cluster{tb: tb, ks: ks, n: int(n), rng: rand.New(rand.NewPCG(seed, seed^0x9e37)), now: epoch0,
		tick: 50 * time.Millisecond, minDelay: 10 * time.Millisecond, maxDelay: 30 * time.Millisecond,
		sent: map[string]int{}, history: map[[32]byte]*counterScope{}, cache: NewVerifyCache()}
	c.nodes = make([]*Node, n)
	c.scopes = make([]*counterScope, n)
	c.stores = make([]*store, n)
	c.outcomes = make([][]Outcome, n)
	for i := range c.n {
		c.scopes[i] = &counterScope{com: ks.com}
		c.stores[i] = &store{}
		c.nodes[i] = c.build(i, opts...)
	}
	c.remember(c.scopes[0])
	return c
}

// build makes node i from its durable store and a fresh Signer.
func (c *cluster) build(i int, opts ...clusterOpt) *Node {
	sg, err := frostx.NewSigner(c.ks.frost, c.ks.shares[i])
	if err != nil {
		c.tb.Fatal(err)
	}
	cfg := Config{Self: witness(i), VoteKey: c.ks.vkeys[i], Rand: rand.NewChaCha8([32]byte{byte(i), byte(c.rng.Uint64())}),
		Scope: c.scopes[i], Keys: Keys{Frost: c.ks.frost, Signer: sg},
		Votes: c.stores[i].votes, Decided: c.stores[i].commits, Cache: c.cache}
	for _, o := range opts {
		o(&cfg)
	}
	nd, err := New(cfg)
	if err != nil {
		c.tb.Fatal(err)
	}
	return nd
}

// start announces commitments from every live node.
func (c *cluster) start() {
	for i, nd := range c.nodes {
		if nd != nil {
			nd.Start(c.now)
			c.flush(i)
		}
	}
}

func (c *cluster) index(w WitnessID) int { return int(w[1]) - 1 }

// flush persists node i's Ready, then sends its messages.
func (c *cluster) flush(i int) {
	nd := c.nodes[i]
	if nd == nil || !nd.HasReady() {
		return
	}
	rd := nd.Ready()
	st := c.stores[i]
	st.votes = append(st.votes, rd.VoteWrites...)
	st.commits = append(st.commits, rd.Commits...)
	st.evidence = append(st.evidence, rd.Evidence...)
	c.outcomes[i] = append(c.outcomes[i], rd.Outcomes...)
	for _, o := range rd.Outcomes {
		if o.Kind == Conflicted {
			c.conflicts++
		}
	}
	for _, e := range rd.Messages {
		if _, agg := e.Msg.(*AggregateShare); (agg && !e.Topic && c.carriage == carryTopicOnly) ||
			(e.Topic && c.carriage == carryDirectOnly) {
			continue
		}
		if e.Topic {
			for j := range c.n {
				if j != i {
					c.enqueue(i, j, e.Msg)
				}
			}
			continue
		}
		c.enqueue(i, c.index(e.To), e.Msg)
	}
}

func (c *cluster) enqueue(from, to int, m Message) {
	msgs := []Message{m}
	if c.onSend != nil {
		msgs = c.onSend(from, to, m)
	}
	for _, m := range msgs {
		c.sent[fmt.Sprintf("%T", m)]++
		if c.cut != nil && c.cut(from, to) {
			continue
		}
		if c.dropRate > 0 && c.rng.Float64() < c.dropRate {
			continue
		}
		raw, err := Marshal(m)
		if err != nil {
			c.tb.Fatalf("marshal %T: %v", m, err)
		}
		d := c.minDelay + c.extraDelay
		c.extraDelay = 0
		if c.maxDelay > c.minDelay {
			d += time.Duration(c.rng.Int64N(int64(c.maxDelay - c.minDelay)))
		}
		c.seq++
		heap.Push(&c.q, &event{at: c.now.Add(d), seq: c.seq, from: from, to: to, raw: raw})
	}
}

// deliver hands one event to its node through the wire codec.
func (c *cluster) deliver(e *event) {
	nd := c.nodes[e.to]
	if nd == nil {
		return
	}
	m, err := Unmarshal(e.raw)
	if err != nil {
		c.tb.Fatalf("unmarshal: %v", err)
	}
	if c.onDeliver != nil {
		c.onDeliver(e.from, e.to, m)
	}
	if err := nd.Step(witness(e.from), m, c.now); err != nil {
		c.stepErrs++
	}
	c.flush(e.to)
}

// runFor advances virtual time by d, delivering events and ticking.
func (c *cluster) runFor(d time.Duration) { c.runUntil(c.now.Add(d), nil) }

// runUntil runs until time end or until done() holds.
func (c *cluster) runUntil(end time.Time, done func() bool) bool {
	nextTick := c.now.Add(c.tick)
	for !c.now.After(end) {
		if done != nil && done() {
			return true
		}
		if len(c.q) > 0 && !c.q[0].at.After(nextTick) {
			e := heap.Pop(&c.q).(*event)
			c.now = e.at
			c.deliver(e)
			continue
		}
		c.now = nextTick
		nextTick = nextTick.Add(c.tick)
		if c.syncEvery > 0 && c.now.Sub(c.lastSync) >= c.syncEvery {
			c.lastSync = c.now
			c.syncCommits()
		}
		for i, nd := range c.nodes {
			if nd != nil {
				nd.Tick(c.now)
				c.flush(i)
			}
		}
	}
	return done != nil && done()
}

func (c *cluster) propose(i int, op []byte) [32]byte {
	cid, err := c.nodes[i].Propose(op, c.now)
	if err != nil {
		c.tb.Fatalf("propose: %v", err)
	}
	c.flush(i)
	return cid
}

// committedAll reports whether every listed node stored a commit of cid.
func (c *cluster) committedAll(cid [32]byte, who []int) bool {
	for _, i := range who {
		if len(c.commitsOf(i, cid)) == 0 {
			return false
		}
	}
	return true
}

func (c *cluster) commitsOf(i int, cid [32]byte) []CommitFact {
	var out []CommitFact
	for _, f := range c.stores[i].commits {
		if f.CID == cid {
			out = append(out, f)
		}
	}
	return out
}

func (c *cluster) all() []int {
	out := make([]int, c.n)
	for i := range out {
		out[i] = i
	}
	return out
}

// apply advances every listed scope past a committed op (a new prestate).
func (c *cluster) remember(s *counterScope) {
	cp := *s
	cp.lie = nil
	c.history[cp.PrestateHash()] = &cp
}

func (c *cluster) apply(f CommitFact, who []int) {
	for _, i := range who {
		c.scopes[i].value += binary.BigEndian.Uint64(f.Op)
		c.remember(c.scopes[i])
		if c.nodes[i] != nil {
			if err := c.nodes[i].SetScope(c.scopes[i], c.nodes[i].keys, c.now); err != nil {
				c.tb.Fatal(err)
			}
			c.flush(i)
		}
	}
}

// checkSafety asserts the S3 invariants over the listed (honest) nodes:
// at most one Commit FactID per cid on each, all agree, each verifies
// against the committee at its prestate (t valid shares).
func (c *cluster) checkSafety(who []int) {
	c.tb.Helper()
	seen := map[[32]byte]journal.FactID{}
	for _, i := range who {
		mine := map[[32]byte]journal.FactID{}
		for k := range c.stores[i].commits {
			f := &c.stores[i].commits[k]
			id := f.FactID()
			if prev, ok := mine[f.CID]; ok && prev != id {
				c.tb.Fatalf("node %d holds two commit FactIDs for one cid", i)
			}
			mine[f.CID] = id
			if prev, ok := seen[f.CID]; ok && prev != id {
				c.tb.Fatalf("honest nodes disagree on the commit of a cid")
			}
			seen[f.CID] = id
			sc, ok := c.history[f.PrestateHash]
			if !ok {
				c.tb.Fatalf("node %d stored a commit for an unknown prestate", i)
			}
			if err := VerifyCommit(f, sc); err != nil {
				c.tb.Fatalf("node %d stored a commit that does not verify: %v", i, err)
			}
		}
	}
}

func errIs(err, target error) bool { return errors.Is(err, target) }

// digest hashes every node's durable output and the traffic counts.
func (c *cluster) digest() [32]byte {
	var parts [][]byte
	for _, st := range c.stores {
		for _, v := range st.votes {
			parts = append(parts, v.CID[:], v.RID[:])
		}
		for _, f := range st.commits {
			parts = append(parts, f.Canonical())
		}
		for _, p := range st.evidence {
			parts = append(parts, p.Canonical())
		}
	}
	parts = append(parts, []byte(fmt.Sprint(c.sent)), u64(c.seq))
	return canon.H("test/digest", parts...)
}
