package driver

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// simCluster is a committee of services on simnet inside a synctest
// bubble (virtual time: latencies below are exact).
type simCluster struct {
	t     *testing.T
	net   *simnet.Network
	ks    *keyset
	ms    []*member
	peers StaticPeers
	mc    memberCfg
	scope *counterScope // current agreed state
}

const simLatency = 10 * time.Millisecond

func newSimCluster(t *testing.T, th, n int, seed int64, latency time.Duration, mc memberCfg) *simCluster {
	t.Helper()
	cryptotest.SetGlobalRandom(t, uint64(seed))
	ks := newKeyset(t, uint16(th), uint16(n), uint64(seed))
	c := &simCluster{t: t, ks: ks, peers: StaticPeers{}, mc: mc, scope: &counterScope{com: ks.com},
		net: simnet.New(simnet.Config{Seed: seed, Latency: latency})}
	nodes := c.net.AddNodes(n)
	for i := range n {
		c.peers[witness(i)] = nodes[i].Self()
	}
	for i := range n {
		m := newMember(t, i, nil, &counterScope{com: ks.com})
		m.start(t, nodes[i], ks, c.peers, mc)
		c.ms = append(c.ms, m)
	}
	return c
}

func (c *simCluster) close() {
	for _, m := range c.ms {
		if m.svc != nil {
			_ = m.svc.Close()
		}
	}
	_ = c.net.Close()
}

func (c *simCluster) peer(i int) peer.ID { return c.peers[witness(i)] }

// apply moves every live member past a committed op.
func (c *simCluster) apply(f consensus.CommitFact, live []*member) {
	c.t.Helper()
	c.scope = c.scope.next(f.Op)
	for _, m := range live {
		m.scope = &counterScope{com: c.scope.com, value: c.scope.value}
		if err := m.svc.SetScope(context.Background(), m.scope, m.svc.cfg.Core.Keys); err != nil {
			c.t.Fatal(err)
		}
	}
}

// propose runs op at member i and waits for every listed member's commit.
func (c *simCluster) propose(i int, op uint64, who []*member) (consensus.CommitFact, time.Duration) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	f, err := c.ms[i].svc.Propose(ctx, u64(op))
	if err != nil {
		c.t.Fatalf("propose: %v", err)
	}
	lat := time.Since(start)
	for _, m := range who {
		m.waitCommit(c.t, f.CID, 10*time.Second)
	}
	return f, lat
}

// crashAfterExecute proposes op at member i, lets the Execute reach the
// witnesses (they vote and answer), then crashes i before any SignShare
// arrives. It returns the cid and the crash time (GST: links are reliable).
func (c *simCluster) crashAfterExecute(i int, op uint64, latency time.Duration) ([32]byte, time.Time) {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = c.ms[i].svc.Propose(ctx, u64(op))
	}()
	c.net.Advance(latency + latency/10) // Executes delivered, SignShares in flight
	var cid [32]byte
	for _, v := range votesFor0(c, i) {
		cid = v.CID
	}
	_ = c.ms[i].svc.Close()
	c.ms[i].svc = nil
	c.net.Crash(c.peer(i))
	<-done
	return cid, time.Now()
}

// votesFor0 returns member i's newest vote records (its own vote for the
// instance it just proposed).
func votesFor0(c *simCluster, i int) []consensus.VoteRecord {
	vs, err := LoadVotes(context.Background(), c.ms[i].d)
	if err != nil {
		c.t.Fatal(err)
	}
	pre := c.ms[i].scope.PrestateHash()
	var out []consensus.VoteRecord
	for _, v := range vs {
		if v.PrestateHash == pre {
			out = append(out, v)
		}
	}
	return out
}

func without(ms []*member, skip ...int) []*member {
	var out []*member
	for _, m := range ms {
		drop := false
		for _, s := range skip {
			drop = drop || m.i == s
		}
		if !drop {
			out = append(out, m)
		}
	}
	return out
}

// TestSimFast2ThenFast1 is SPEC §16.1–2 through real flow.Senders on
// simnet: cold pools commit via fast2 in 2 RTT, the next instance runs
// fast1 in 1 RTT from piggybacked commitments; all 5 replicas store one
// Commit FactID that verifies; every voter's vote log holds its rid.
func TestSimFast2ThenFast1(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSimCluster(t, 3, 5, 1, simLatency, memberCfg{})
		defer c.close()
		rtt := 2 * simLatency
		f1, lat1 := c.propose(0, 1, c.ms)
		if f1.Path != consensus.PathFast2 {
			t.Fatalf("cold pools: path %d, want fast2", f1.Path)
		}
		if lat1 > 2*rtt+time.Millisecond {
			t.Fatalf("fast2 took %v > 2 RTT", lat1)
		}
		pre := c.scope
		checkAgree(t, c.ms, f1.CID, pre)
		voters := 0
		for _, m := range c.ms {
			for _, v := range votesFor(t, m.d, f1.CID) {
				if v.RID != f1.RID {
					t.Fatalf("member %d logged another rid", m.i)
				}
				voters++
			}
		}
		if voters < 3 {
			t.Fatalf("%d vote-log records, want ≥ t", voters)
		}
		c.apply(f1, c.ms)
		f2, lat2 := c.propose(1, 2, c.ms)
		if f2.Path != consensus.PathFast1 {
			t.Fatalf("warm pools: path %d, want fast1", f2.Path)
		}
		if lat2 > rtt+time.Millisecond {
			t.Fatalf("fast1 took %v > 1 RTT (%v)", lat2, rtt)
		}
		checkAgree(t, c.ms, f2.CID, c.scope)
	})
}

// TestSimInitiatorCrashFallback is SPEC §16.4 at driver level: the
// initiator crashes after its Execute reached the witnesses; the fallback
// commits on the 4 live members within 3 rounds after T_fallback, for
// both carriages together, topic only and direct only (§16.33 last clause).
func TestSimInitiatorCrashFallback(t *testing.T) {
	seeds := []int64{2}
	if os.Getenv("AURA_LONG") == "1" {
		for s := int64(100); s < 130; s++ {
			seeds = append(seeds, s)
		}
	}
	for _, tc := range []struct {
		name string
		car  Carriage
	}{{"both", CarryBoth}, {"topic-only", CarryTopicOnly}, {"direct-only", CarryDirectOnly}} {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", tc.name, seed), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) { crashFallback(t, seed, tc.car) })
			})
		}
	}
}

func crashFallback(t *testing.T, seed int64, car Carriage) {
	c := newSimCluster(t, 3, 5, seed, simLatency, memberCfg{carriage: car, delta: 100 * time.Millisecond})
	defer c.close()
	f, _ := c.propose(0, 1, c.ms) // warm pools
	c.apply(f, c.ms)
	tfb, round, _, err := c.ms[1].svc.Timing(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pre := c.scope
	cid, gst := c.crashAfterExecute(0, 5, simLatency)
	live := without(c.ms, 0)
	var fb consensus.CommitFact
	for _, m := range live {
		fb = m.waitCommit(t, cid, tfb+5*round)
	}
	if d := time.Since(gst); d > tfb+3*round {
		t.Fatalf("fallback took %v > T_fallback + 3 rounds (%v)", d, tfb+3*round)
	}
	if fb.Path != consensus.PathFallback {
		t.Fatalf("path %d, want fallback", fb.Path)
	}
	checkAgree(t, live, cid, pre)
	accepted := 0
	for _, m := range live {
		accepted += m.met.get(func(m *countMetrics) int { return m.envelopes[EnvelopeAccept] })
	}
	switch {
	case car == CarryDirectOnly && accepted != 0:
		t.Fatalf("direct-only: %d topic messages", accepted)
	case car != CarryDirectOnly && accepted == 0:
		t.Fatal("no fallback envelope crossed the topic")
	}
	t.Logf("fallback commit %v after the crash (T_fallback %v, R %v), %d envelopes accepted",
		time.Since(gst), tfb, round, accepted)
}

// TestSimVoteLogSurvivesRestart is SPEC §16.7a at driver level: a witness
// restarts after its vote was made durable, with its executor forced to
// return another post-state; it refuses to vote again (its vote log keeps
// the one rid, no Equivocation fact appears anywhere) and the live
// members still commit the honest rid by fallback.
func TestSimVoteLogSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSimCluster(t, 3, 5, 3, simLatency, memberCfg{delta: 100 * time.Millisecond})
		defer c.close()
		f, _ := c.propose(0, 1, c.ms)
		c.apply(f, c.ms)
		tfb, round, _, _ := c.ms[1].svc.Timing(context.Background())
		pre := c.scope
		cid, _ := c.crashAfterExecute(0, 7, simLatency)
		before := votesFor(t, c.ms[1].d, cid)
		if len(before) != 1 {
			t.Fatalf("witness 1 logged %d votes before the restart", len(before))
		}
		// restart witness 1 from its datastore with a lying executor
		w1 := c.ms[1]
		_ = w1.svc.Close()
		c.net.Crash(c.peer(1))
		tr := c.net.Restart(c.peer(1))
		liar := &counterScope{com: pre.com, value: pre.value, lie: true}
		nm := newMember(t, 1, w1.d, liar)
		nm.start(t, tr, c.ks, c.peers, c.mc)
		c.ms[1] = nm
		honest := without(c.ms, 0, 1)
		var got consensus.CommitFact
		for _, m := range honest {
			got = m.waitCommit(t, cid, tfb+8*round)
		}
		c.net.Advance(2 * round)
		after := votesFor(t, nm.d, cid)
		if len(after) != 1 || after[0].RID != before[0].RID || after[0].RID != got.RID {
			t.Fatalf("vote log changed across the restart: before %d, after %d records", len(before), len(after))
		}
		checkAgree(t, honest, cid, pre)
		for _, m := range c.ms[1:] {
			if n := m.equivocations(t); n != 0 {
				t.Fatalf("member %d holds %d Equivocation facts", m.i, n)
			}
		}
	})
}

// failDS fails every batch commit holding a vote-log key while fail is set.
type failDS struct {
	ds.Batching
	fail atomic.Bool
}

type failBatch struct {
	ds.Batch
	d    *failDS
	vote bool
}

func (f *failDS) Batch(ctx context.Context) (ds.Batch, error) {
	b, err := f.Batching.Batch(ctx)
	if err != nil {
		return nil, err
	}
	return &failBatch{Batch: b, d: f}, nil
}

func (b *failBatch) Put(ctx context.Context, k ds.Key, v []byte) error {
	b.vote = b.vote || strings.HasPrefix(k.String(), voteRoot+"/")
	return b.Batch.Put(ctx, k, v)
}

func (b *failBatch) Commit(ctx context.Context) error {
	if b.vote && b.d.fail.Load() {
		return errors.New("injected batch failure")
	}
	return b.Batch.Commit(ctx)
}

// TestSimJournalFailureSendsNoShare: when the batch carrying a witness's
// vote fails, none of its SignShares or AggregateShares leaves (SPEC §6.4
// step 4, §5.5 step 3), the vote log stays empty for the instance, and
// the others still commit.
func TestSimJournalFailureSendsNoShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 6)
		ks := newKeyset(t, 3, 5, 6)
		net := simnet.New(simnet.Config{Seed: 6, Latency: simLatency})
		defer net.Close()
		nodes := net.AddNodes(5)
		peers := StaticPeers{}
		for i, nd := range nodes {
			peers[witness(i)] = nd.Self()
		}
		var mu sync.Mutex
		var leaked []string
		net.OnSend(func(ev simnet.Event) {
			if ev.Src != nodes[2].Self() || ev.Data == nil {
				return
			}
			frame := ev.Data
			if env, err := OpenEnvelope(testKfb, frame); err == nil {
				frame = env
			}
			msg, err := consensus.Unmarshal(frame)
			if err != nil {
				return
			}
			switch msg.(type) {
			case *consensus.SignShare, *consensus.AggregateShare:
				mu.Lock()
				leaked = append(leaked, fmt.Sprintf("%T", msg))
				mu.Unlock()
			}
		})
		fds := &failDS{Batching: dssync.MutexWrap(ds.NewMapDatastore())}
		fds.fail.Store(true)
		var ms []*member
		for i := range 5 {
			var d ds.Batching
			if i == 2 {
				d = fds
			}
			m := newMember(t, i, d, &counterScope{com: ks.com})
			m.start(t, nodes[i], ks, peers, memberCfg{delta: 100 * time.Millisecond})
			ms = append(ms, m)
		}
		defer func() {
			for _, m := range ms {
				_ = m.svc.Close()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		f, err := ms[0].svc.Propose(ctx, u64(3))
		if err != nil {
			t.Fatal(err)
		}
		live := without(ms, 2)
		for _, m := range live {
			m.waitCommit(t, f.CID, 10*time.Second)
		}
		net.Advance(time.Second)
		checkAgree(t, live, f.CID, &counterScope{com: ks.com})
		if vs := votesFor(t, fds, f.CID); len(vs) != 0 {
			t.Fatalf("failed batch left %d vote records", len(vs))
		}
		mu.Lock()
		defer mu.Unlock()
		if len(leaked) != 0 {
			t.Fatalf("witness with a failing journal sent %v", leaked)
		}
	})
}

// TestSimInvalidOpSendsNothing: an op invalid at the prestate returns
// consensus.ErrInvalidOp and no frame leaves the initiator (SPEC §5.5
// step 1); Propose after Close is ErrClosed.
func TestSimInvalidOpSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSimCluster(t, 3, 5, 8, simLatency, memberCfg{})
		defer c.close()
		c.net.Advance(time.Second) // announcements settle
		var mu sync.Mutex
		sent := 0
		c.net.OnSend(func(ev simnet.Event) {
			if ev.Src == c.peer(0) {
				mu.Lock()
				sent++
				mu.Unlock()
			}
		})
		_, err := c.ms[0].svc.Propose(context.Background(), u64(0))
		if !errors.Is(err, consensus.ErrInvalidOp) {
			t.Fatalf("invalid op: %v", err)
		}
		c.net.Advance(time.Second)
		mu.Lock()
		n := sent
		mu.Unlock()
		if n != 0 {
			t.Fatalf("%d frames left the initiator", n)
		}
		_ = c.ms[0].svc.Close()
		if _, err := c.ms[0].svc.Propose(context.Background(), u64(1)); !errors.Is(err, ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
	})
}

// TestSimEquivocationStored: a member that also sends the initiator a
// signed vote for another rid is caught; the initiator stores an
// Equivocation fact naming it (journal, same synced batch discipline),
// the instance still commits once, everywhere (SPEC §5.7, §16.3).
func TestSimEquivocationStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSimCluster(t, 3, 5, 9, simLatency, memberCfg{})
		defer c.close()
		f, _ := c.propose(0, 1, c.ms)
		c.apply(f, c.ms)
		pre := c.scope
		type res struct {
			f   consensus.CommitFact
			err error
		}
		done := make(chan res, 1)
		go func() {
			f, err := c.ms[0].svc.Propose(context.Background(), u64(4))
			done <- res{f, err}
		}()
		c.net.Advance(time.Millisecond)
		own := votesFor0(c, 0)
		if len(own) != 1 {
			t.Fatalf("initiator holds %d votes at the prestate", len(own))
		}
		bad := consensus.Vote{CID: own[0].CID, PrestateHash: own[0].PrestateHash, RID: [32]byte{0xba, 0xd},
			Witness: witness(4), KeyEpoch: c.ks.com.KeyEpoch}
		h := bad.SigningHash()
		bad.Sig = [64]byte(ed25519.Sign(c.ks.vkeys[4], h[:]))
		frame, err := consensus.Marshal(&consensus.SignShare{CID: bad.CID, Vote: bad, KeyEpoch: bad.KeyEpoch})
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.net.Node(c.peer(4)).Open(context.Background(), c.peer(0), protocols.Consensus)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil {
			t.Fatalf("propose: %v", r.err)
		}
		for _, m := range c.ms {
			m.waitCommit(t, r.f.CID, 10*time.Second)
		}
		c.net.Advance(time.Second)
		checkAgree(t, c.ms, r.f.CID, pre)
		if n := c.ms[0].equivocations(t); n == 0 {
			t.Fatal("no Equivocation fact stored at the initiator")
		}
		_ = st.Close()
	})
}
