package dkgsvc

import (
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
)

// testNS is the canonical namespace encoding of the test authority.
var testNS = append([]byte{byte(journal.KindAuthority)}, 0xa0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

func deviceKey(i int) ed25519.PrivateKey {
	var sd [32]byte
	sd[0], sd[1] = byte(i), 0xd0
	return ed25519.NewKeyFromSeed(sd[:])
}

func pubOf(k ed25519.PrivateKey) [32]byte { return [32]byte(k.Public().(ed25519.PublicKey)) }

// countMetrics counts service metrics.
type countMetrics struct {
	mu       sync.Mutex
	misbeh   map[string]int
	accepted int
	refused  int
	outcomes map[string]int
}

func (c *countMetrics) Misbehaviour(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.misbeh == nil {
		c.misbeh = map[string]int{}
	}
	c.misbeh[k]++
}
func (c *countMetrics) SendFailed()    {}
func (c *countMetrics) StartAccepted() { c.mu.Lock(); c.accepted++; c.mu.Unlock() }
func (c *countMetrics) StartRefused()  { c.mu.Lock(); c.refused++; c.mu.Unlock() }
func (c *countMetrics) Outcome(r string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outcomes == nil {
		c.outcomes = map[string]int{}
	}
	c.outcomes[r]++
}
func (c *countMetrics) get(f func(*countMetrics) int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return f(c)
}

// countReporter records misbehaviour reports.
type countReporter struct {
	mu  sync.Mutex
	got []string
}

func (r *countReporter) ReportMisbehaviour(p peer.ID, proto, kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, p.String()+" "+proto+" "+kind)
}

func (r *countReporter) n() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

// cluster is n simnet nodes, the first live of which run a Service.
type cluster struct {
	t     *testing.T
	net   *simnet.Network
	nodes []*simnet.Node
	peers []peer.ID
	keys  []ed25519.PrivateKey
	svcs  []*Service
	met   []*countMetrics
	rep   []*countReporter
	ds    []ds.Batching
}

func newCluster(t *testing.T, n, live int, seed int64) *cluster {
	t.Helper()
	c := &cluster{t: t, net: simnet.New(simnet.Config{Seed: seed, Latency: 10 * time.Millisecond, Jitter: 2 * time.Millisecond})}
	c.nodes = c.net.AddNodes(n)
	var current [][32]byte
	for i := range n {
		c.peers = append(c.peers, c.nodes[i].Self())
		c.keys = append(c.keys, deviceKey(i))
		current = append(current, pubOf(c.keys[i]))
	}
	for i := range live {
		c.start(i, AuthoriseKeys(current...))
	}
	return c
}

func (c *cluster) start(i int, auth func(Start) error) {
	c.t.Helper()
	d := dssync.MutexWrap(ds.NewMapDatastore())
	snd, err := flow.New(c.nodes[i], d, flow.NewStaticState(flow.Identity{}), flow.Config{AuthorityLocalLimit: 1 << 40})
	if err != nil {
		c.t.Fatal(err)
	}
	m, r := &countMetrics{}, &countReporter{}
	svc, err := New(Config{Sender: snd, Datastore: d, BudgetCtx: journal.ContextID{0xbc}, Authorise: auth,
		Metrics: m, Reporter: r})
	if err != nil {
		c.t.Fatal(err)
	}
	svc.Start()
	c.svcs, c.met, c.rep, c.ds = append(c.svcs, svc), append(c.met, m), append(c.rep, r), append(c.ds, d)
}

func (c *cluster) close() {
	for _, s := range c.svcs {
		_ = s.Close()
	}
	_ = c.net.Close()
}

// newStart is an unsigned 3-of-n DKGStart over every cluster member.
func (c *cluster) newStart(t uint16) Start {
	var ms []StartMember
	for i, k := range c.keys {
		pub := pubOf(k)
		ms = append(ms, StartMember{ID: journal.DeviceIDOf(pub), FrostID: uint16(i + 1), SignKey: pub, DHKey: [32]byte{byte(i), 0xdd}})
	}
	return NewStart(testNS, 2, 1, [32]byte{0x77}, t, ms, [32]byte{0x0e, 1})
}

type outcome struct {
	res dkg.Result
	err error
}

// runAll runs the DKG of sess at the listed members concurrently and
// returns their outcomes by index.
func (c *cluster) runAll(sess dkg.Session, who []int) map[int]outcome {
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[int]outcome{}
	for _, i := range who {
		wg.Go(func() {
			res, err := c.svcs[i].Run(context.Background(), sess, c.peers, uint16(i+1), c.keys[i])
			mu.Lock()
			out[i] = outcome{res, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func timeoutMissing(err error) ([]uint16, bool) {
	var te *dkg.TimeoutError
	if !errors.As(err, &te) {
		return nil, false
	}
	return te.Missing, true
}
