package driver

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// notifyDS signals votes on a channel when a batch holding a vote-log key
// commits (an event to wait on instead of polling).
type notifyDS struct {
	ds.Batching
	votes chan struct{}
}

type notifyBatch struct {
	ds.Batch
	n    *notifyDS
	vote bool
}

func (n *notifyDS) Batch(ctx context.Context) (ds.Batch, error) {
	b, err := n.Batching.Batch(ctx)
	if err != nil {
		return nil, err
	}
	return &notifyBatch{Batch: b, n: n}, nil
}

func (b *notifyBatch) Put(ctx context.Context, k ds.Key, v []byte) error {
	if strings.HasPrefix(k.String(), voteRoot+"/") {
		b.vote = true
	}
	return b.Batch.Put(ctx, k, v)
}

func (b *notifyBatch) Commit(ctx context.Context) error {
	err := b.Batch.Commit(ctx)
	if err == nil && b.vote {
		select {
		case b.n.votes <- struct{}{}:
		default:
		}
	}
	return err
}

// deafPeers refuses every inbound stream while deaf is set (the initiator
// then never sees a SignShare: the instance stalls mid-way).
type deafPeers struct {
	StaticPeers
	deaf *atomic.Bool
}

func (d deafPeers) WitnessOf(p peer.ID) (consensus.WitnessID, bool) {
	if d.deaf.Load() {
		return consensus.WitnessID{}, false
	}
	return d.StaticPeers.WitnessOf(p)
}

func newHosts(t *testing.T, n int) []*p2p.Host {
	t.Helper()
	hs := make([]*p2p.Host, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := p2p.DefaultConfig()
			c.ListenAddrs = []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")}
			c.NATPortMap, c.ForcePublic, c.DialSeed = false, true, uint64(i+1)
			h, err := p2p.New(context.Background(), c)
			if err != nil {
				errs <- err
				return
			}
			hs[i] = h
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("p2p.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, a := range hs {
		for _, b := range hs[i+1:] {
			if err := a.Connect(ctx, b.AddrInfo()); err != nil {
				t.Fatalf("connect: %v", err)
			}
		}
	}
	return hs
}

// TestLibp2pFastPathThenFallback: 5 real libp2p hosts on 127.0.0.1 run a
// fast-path commit, then the initiator is killed mid-instance (after the
// witnesses voted, before it saw a SignShare) and the 4 others commit the
// instance by fallback. Waits are on events with deadlines.
func TestLibp2pFastPathThenFallback(t *testing.T) {
	const n = 5
	hs := newHosts(t, n)
	defer func() {
		for _, h := range hs {
			_ = h.Close()
		}
	}()
	ks := newKeyset(t, 3, n, 11)
	peers := StaticPeers{}
	for i, h := range hs {
		peers[witness(i)] = h.ID()
	}
	var deaf atomic.Bool
	topic := p2p.FallbackTopic(p2p.DefaultNeighbourhood)
	ms := make([]*member, n)
	nds := make([]*notifyDS, n)
	for i := range ms {
		nds[i] = &notifyDS{Batching: dssync.MutexWrap(ds.NewMapDatastore()), votes: make(chan struct{}, 16)}
		ms[i] = newMember(t, i, nds[i], &counterScope{com: ks.com})
		var pp Peers = peers
		if i == 0 {
			pp = deafPeers{StaticPeers: peers, deaf: &deaf}
		}
		h := hs[i]
		ms[i].start(t, h, ks, pp, memberCfg{topic: topic, reporter: h,
			rtt: func(p peer.ID) time.Duration { return h.LibP2P().Peerstore().LatencyEWMA(p) }})
	}
	defer func() {
		for _, m := range ms {
			if m.svc != nil {
				_ = m.svc.Close()
			}
		}
	}()

	// 1. fast path
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := ms[0].svc.Propose(ctx, u64(1))
	if err != nil {
		t.Fatalf("fast path: %v", err)
	}
	if f.Path == consensus.PathFallback {
		t.Fatalf("first instance committed by fallback")
	}
	for _, m := range ms {
		m.waitCommit(t, f.CID, 20*time.Second)
	}
	pre := &counterScope{com: ks.com}
	checkAgree(t, ms, f.CID, pre)
	next := pre.next(f.Op)
	for _, m := range ms {
		m.scope = &counterScope{com: ks.com, value: next.value}
		if err := m.svc.SetScope(ctx, m.scope, m.svc.cfg.Core.Keys); err != nil {
			t.Fatal(err)
		}
		drainVotes(nds[m.i])
	}

	// 2. the initiator stalls mid-instance, then is killed
	deaf.Store(true)
	ms[0].svc.streams.resetAll() // existing inbound streams too
	go func() {
		_, _ = ms[0].svc.Propose(ctx, u64(9))
	}()
	deadline := time.After(20 * time.Second)
	for _, w := range []int{1, 2, 3} {
		select {
		case <-nds[w].votes:
		case <-deadline:
			t.Fatalf("witness %d did not vote", w)
		}
	}
	vs := votesFor0Member(t, ms[1], next)
	if len(vs) != 1 {
		t.Fatalf("witness 1 holds %d votes at the new prestate", len(vs))
	}
	cid := vs[0].CID
	_ = ms[0].svc.Close()
	ms[0].svc = nil
	_ = hs[0].Close()
	live := ms[1:]
	for _, m := range live {
		got := m.waitCommit(t, cid, 30*time.Second)
		if got.Path != consensus.PathFallback {
			t.Fatalf("member %d: path %d, want fallback", m.i, got.Path)
		}
	}
	checkAgree(t, live, cid, next)
}

func drainVotes(n *notifyDS) {
	for {
		select {
		case <-n.votes:
		default:
			return
		}
	}
}

func votesFor0Member(t *testing.T, m *member, sc *counterScope) []consensus.VoteRecord {
	t.Helper()
	vs, err := LoadVotes(context.Background(), m.d)
	if err != nil {
		t.Fatal(err)
	}
	pre := sc.PrestateHash()
	var out []consensus.VoteRecord
	for _, v := range vs {
		if v.PrestateHash == pre {
			out = append(out, v)
		}
	}
	return out
}
