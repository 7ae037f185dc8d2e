package treesvc

import (
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// peerMap is the DevicePeer table every device knows (a map in tests).
type peerMap struct {
	mu sync.Mutex
	m  map[journal.DeviceID]peer.ID
}

func (p *peerMap) PeerOf(_ journal.AuthorityID, d journal.DeviceID) (peer.ID, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q, ok := p.m[d]
	return q, ok
}

// fakeSync copies entries from another device's journal (anti-entropy
// stand-in) and records the secrets it was given.
type fakeSync struct {
	c       *cluster
	me      *dev
	mu      sync.Mutex
	secrets map[journal.Namespace][][]byte
	trusted map[journal.Namespace]peer.ID
}

var (
	errUnreachable = errors.New("fake sync: unreachable")
	errNoMember    = errors.New("fake sync: no member peer (untrusted, nothing reduced)")
)

// Trust records the joiner's trust in its inviter (treesvc.Truster).
func (f *fakeSync) Trust(_ context.Context, ns journal.Namespace, _ journal.DeviceID, _ [32]byte, p peer.ID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.trusted == nil {
		f.trusted = map[journal.Namespace]peer.ID{}
	}
	f.trusted[ns] = p
	return nil
}

func (f *fakeSync) SetSecrets(_ context.Context, ns journal.Namespace, s [][]byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[ns] = s
	return nil
}

func (f *fakeSync) Pull(ctx context.Context, ns journal.Namespace, from peer.ID) error {
	src := f.c.byPeer(from)
	if src == nil || f.c.isDown(from) || f.c.isDown(f.me.peer) {
		return errUnreachable
	}
	// Like journal/sync: with nothing reduced yet, only a trusted
	// inviter is a peer to sync with.
	mine, err := f.me.j.Store().Entries(ctx, ns)
	if err != nil {
		return err
	}
	f.mu.Lock()
	trusted := f.trusted[ns] == from
	f.mu.Unlock()
	if len(mine) == 0 && !trusted {
		return errNoMember
	}
	ents, err := src.j.Store().Entries(ctx, ns)
	if err != nil {
		return err
	}
	if len(ents) == 0 {
		return nil
	}
	return f.me.j.Put(ctx, ns, ents...)
}

// exported is the last secrets list SetSecrets was given for ns.
func (f *fakeSync) exported(ns journal.Namespace) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.secrets[ns]
}

func (f *fakeSync) count(ns journal.Namespace) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.secrets[ns])
}

// dev is one simulated device: its stores, sender and tree service.
type dev struct {
	i      int
	node   *simnet.Node
	peer   peer.ID
	d      ds.Batching
	j      *journal.Journal
	snd    *flow.Sender
	key    Device
	svc    *Service
	syncer *fakeSync
	met    *countMetrics
}

func (d *dev) id() journal.DeviceID { return d.key.ID() }

func (d *dev) candidate() *Candidate {
	return &Candidate{DeviceKey: d.key.pub(), DHKey: d.key.dhPub(), Peer: d.peer}
}

// cluster is n devices on one simnet.
type cluster struct {
	t     *testing.T
	net   *simnet.Network
	devs  []*dev
	peers *peerMap
	mu    sync.Mutex
	down  map[peer.ID]bool
}

func testDevice(seed uint64, i int) Device {
	s := canon.H("aura/treesvc-test/v1", []byte{byte(seed), byte(i)})
	dhSeed := canon.H("aura/treesvc-test-dh/v1", s[:])
	dh, err := ecdh.X25519().NewPrivateKey(dhSeed[:])
	if err != nil {
		panic(err)
	}
	return Device{Key: ed25519.NewKeyFromSeed(s[:]), DH: dh}
}

func newCluster(t *testing.T, n int, latency time.Duration, seed uint64) *cluster {
	t.Helper()
	c := &cluster{t: t, net: simnet.New(simnet.Config{Seed: int64(seed), Latency: latency, Jitter: latency / 10}),
		peers: &peerMap{m: map[journal.DeviceID]peer.ID{}}, down: map[peer.ID]bool{}}
	for i, nd := range c.net.AddNodes(n) {
		d := &dev{i: i, node: nd, peer: nd.Self(), d: dssync.MutexWrap(ds.NewMapDatastore()), key: testDevice(seed, i),
			met: &countMetrics{}}
		j, err := journal.Open(context.Background(), d.d, journal.Config{})
		if err != nil {
			t.Fatal(err)
		}
		d.j = j
		snd, err := flow.New(nd, d.d, flow.NewStaticState(flow.Identity{}), flow.Config{AuthorityLocalLimit: 1 << 40})
		if err != nil {
			t.Fatal(err)
		}
		d.snd = snd
		d.syncer = &fakeSync{c: c, me: d, secrets: map[journal.Namespace][][]byte{}}
		c.peers.m[d.id()] = d.peer
		c.devs = append(c.devs, d)
	}
	for i := range c.devs {
		c.start(i)
	}
	return c
}

// start builds and starts device i's Service on its stores.
func (c *cluster) start(i int) {
	c.t.Helper()
	d := c.devs[i]
	svc, err := New(Config{Device: d.key, Self: d.peer, Sender: d.snd, Journal: d.j, Datastore: d.d,
		Peers: c.peers, Syncer: d.syncer, Metrics: d.met})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	d.svc = svc
}

func (c *cluster) close() {
	for _, d := range c.devs {
		_ = d.svc.Close()
	}
	_ = c.net.Close()
}

func (c *cluster) byPeer(p peer.ID) *dev {
	for _, d := range c.devs {
		if d.peer == p {
			return d
		}
	}
	return nil
}

func (c *cluster) isDown(p peer.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.down[p]
}

// isolate cuts device i off the network (and the fake sync).
func (c *cluster) isolate(i int) {
	c.mu.Lock()
	c.down[c.devs[i].peer] = true
	c.mu.Unlock()
	c.net.Isolate(c.devs[i].peer)
}

// add runs AddLeaf of joiner proposed by proposer and the joiner's Join
// concurrently; it returns the proposer's and the joiner's reports.
func (c *cluster) add(aid journal.AuthorityID, proposer, joiner int) (Report, Report, error, error) {
	c.t.Helper()
	p, j := c.devs[proposer], c.devs[joiner]
	type out struct {
		rep Report
		err error
	}
	var prop out
	// request is the invite client: the JoinRequest reaches the inviter,
	// which proposes AddLeaf and replies with Report.Sealed.
	request := func(ctx context.Context) ([]byte, error) {
		prop.rep, prop.err = p.svc.Propose(ctx, aid, Change{Kind: tree.AddLeaf, Add: j.candidate()})
		if prop.err != nil {
			return nil, prop.err
		}
		return prop.rep.Sealed, nil
	}
	jrep, jerr := j.svc.Join(context.Background(), Ticket{Authority: aid, InviterKey: p.key.pub(), Inviter: p.peer}, request)
	return prop.rep, jrep, prop.err, jerr
}

// grow creates an authority at device 0 and adds devices 1..n-1 (policy
// {2,2}, then M kept); it returns the authority.
func (c *cluster) grow(n int) journal.AuthorityID {
	c.t.Helper()
	aid, err := c.devs[0].svc.Create(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 1; i < n; i++ {
		if _, _, perr, jerr := c.add(aid, 0, i); perr != nil || jerr != nil {
			c.t.Fatalf("add device %d: %v / %v", i, perr, jerr)
		}
		c.converge(aid, seq(i+1)...)
	}
	return aid
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// converge steps virtual time until every listed device's reduced state
// is byte-identical (Canonical) and lists exactly those devices.
func (c *cluster) converge(aid journal.AuthorityID, who ...int) *tree.TreeState {
	c.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, ok := c.agreed(aid, who)
		if ok {
			return st
		}
		if time.Now().After(deadline) {
			for _, i := range who {
				s, err := c.devs[i].svc.State(aid)
				if err != nil {
					c.t.Logf("device %d: %v", i, err)
					continue
				}
				c.t.Logf("device %d: epoch %d root %x leaves %d", i, s.Epoch, s.Root[:4], len(s.Leaves))
			}
			c.t.Fatalf("devices %v did not converge", who)
		}
		c.net.Advance(20 * time.Millisecond)
	}
}

func (c *cluster) agreed(aid journal.AuthorityID, who []int) (*tree.TreeState, bool) {
	var first *tree.TreeState
	for _, i := range who {
		st, err := c.devs[i].svc.State(aid)
		if err != nil || len(st.Leaves) != len(who) {
			return nil, false
		}
		for _, j := range who {
			if _, ok := st.LeafByDevice(c.devs[j].id()); !ok {
				return nil, false
			}
		}
		if first == nil {
			first = st
		} else if string(first.Canonical()) != string(st.Canonical()) {
			return nil, false
		}
	}
	return first, true
}

// countMetrics counts service metrics.
type countMetrics struct {
	NopMetrics
	mu         sync.Mutex
	reproposed int
	failed     map[string]int
}

func (m *countMetrics) Reproposed() { m.mu.Lock(); m.reproposed++; m.mu.Unlock() }
func (m *countMetrics) Failed(r string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failed == nil {
		m.failed = map[string]int{}
	}
	m.failed[r]++
}
func (m *countMetrics) reproposals() int { m.mu.Lock(); defer m.mu.Unlock(); return m.reproposed }

// checkRemovedShareUseless: the shares of key epoch before.KeyEpoch held
// by signers (the removed device among them) still make a valid
// signature under the old group key, and it fails frostx.Verify under
// the new one (SPEC §16.11 at service level).
func checkRemovedShareUseless(t *testing.T, c *cluster, aid journal.AuthorityID, before, after *tree.TreeState, signers []int) {
	t.Helper()
	ns := journal.AuthorityNS(aid)
	T := []byte("next op transcript")
	var com *frostx.Committee
	var sgs []*frostx.Signer
	var pkg []frostx.Commitment
	for _, i := range signers {
		sh, err := dkgsvc.LoadShare(context.Background(), c.devs[i].d, ns, before.KeyEpoch, c.devs[i].key.Key.Seed())
		if err != nil {
			t.Fatalf("device %d: old share: %v", i, err)
		}
		if com == nil {
			if com, err = sh.Committee(); err != nil {
				t.Fatal(err)
			}
		}
		sg, err := frostx.NewSigner(com, sh.KeyShare)
		if err != nil {
			t.Fatal(err)
		}
		cm, err := sg.Commit()
		if err != nil {
			t.Fatal(err)
		}
		sgs, pkg = append(sgs, sg), append(pkg, cm)
	}
	var shares []frostx.Share
	for _, sg := range sgs {
		s, err := sg.Sign(T, pkg)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, s)
	}
	sig, err := com.Aggregate(T, shares, pkg)
	if err != nil {
		t.Fatal(err)
	}
	if err := frostx.Verify(before.GroupKey, T, sig); err != nil {
		t.Fatalf("old shares do not even sign under the old key: %v", err)
	}
	if after.GroupKey == before.GroupKey || frostx.Verify(after.GroupKey, T, sig) == nil {
		t.Fatal("a removed device's old share signs under the new key")
	}
}

func commitOf(e journal.Entry) (consensus.CommitFact, error) { return consensus.CommitFromFact(e.Fact) }

// heal reconnects every device.
func (c *cluster) heal() {
	c.mu.Lock()
	clear(c.down)
	c.mu.Unlock()
	c.net.Heal()
}

func (m *countMetrics) failures(r string) int { m.mu.Lock(); defer m.mu.Unlock(); return m.failed[r] }
