package invite

import (
	"context"
	"crypto/ed25519"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
)

// testAuthority is the inviting authority of every test.
var testAuthority = journal.AuthorityID{0xa0, 1}

// t0 is the tests' wall-clock origin for expiry (registry tests).
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func key32(tag, i byte) [32]byte {
	var k [32]byte
	k[0], k[1] = tag, i
	return k
}

func deviceKey(i byte) [32]byte {
	var sd [32]byte
	sd[0], sd[1] = i, 0xd0
	return [32]byte(ed25519.NewKeyFromSeed(sd[:]).Public().(ed25519.PublicKey))
}

// seqReader is a deterministic "random" source: byte i of the stream is
// seed+i.
type seqReader struct{ next byte }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

func testAddrs(t testing.TB, n int) []multiaddr.Multiaddr {
	t.Helper()
	var out []multiaddr.Multiaddr
	for i := range n {
		a, err := multiaddr.NewMultiaddr("/ip4/10.0.0." + string(rune('1'+i)) + "/udp/4001/quic-v1")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// mint makes invite number i from inviter, expiring at exp.
func mint(t testing.TB, i byte, inviter peer.ID, exp time.Time) Invite {
	t.Helper()
	inv, err := Mint(&seqReader{next: i * 37}, testAuthority, inviter, testAddrs(t, 2), deviceKey(0), exp)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// candidate is a joiner device i on peer p.
func candidate(i byte, p peer.ID) Candidate {
	return Candidate{DeviceKey: deviceKey(i), DHKey: key32(0xd4, i), Peer: p}
}

// countMetrics records service metrics.
type countMetrics struct {
	mu      sync.Mutex
	misbeh  map[string]int
	refused map[string]int
	joined  int
}

func (c *countMetrics) Misbehaviour(k string) { c.mu.Lock(); c.misbeh[k]++; c.mu.Unlock() }
func (c *countMetrics) Refused(r string)      { c.mu.Lock(); c.refused[r]++; c.mu.Unlock() }
func (c *countMetrics) Joined()               { c.mu.Lock(); c.joined++; c.mu.Unlock() }

func newCountMetrics() *countMetrics {
	return &countMetrics{misbeh: map[string]int{}, refused: map[string]int{}}
}

func (c *countMetrics) snapshot() (map[string]int, map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, r := map[string]int{}, map[string]int{}
	for k, v := range c.misbeh {
		m[k] = v
	}
	for k, v := range c.refused {
		r[k] = v
	}
	return m, r, c.joined
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

func (r *countReporter) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// joinCall is one OnJoin invocation.
type joinCall struct {
	inv Invite
	c   Candidate
}

// fakeJoin is an OnJoin that records its calls and answers with a fixed
// sealed secret, an error, or blocks until ctx ends (block).
type fakeJoin struct {
	mu     sync.Mutex
	calls  []joinCall
	sealed []byte
	epoch  uint64
	err    error
	block  bool
	delay  time.Duration
}

func (f *fakeJoin) OnJoin(ctx context.Context, inv Invite, c Candidate) ([]byte, uint64, error) {
	f.mu.Lock()
	f.calls = append(f.calls, joinCall{inv, c})
	f.mu.Unlock()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	if f.block {
		<-ctx.Done()
		return nil, 0, ctx.Err()
	}
	return f.sealed, f.epoch, f.err
}

func (f *fakeJoin) list() []joinCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]joinCall(nil), f.calls...)
}

func sealedFixture() []byte {
	b := make([]byte, SealedSecretLen)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}

// world is a simnet with an inviter (node 0) running a Service and
// joiners (nodes 1..n-1) with their own guarded senders.
type world struct {
	t     *testing.T
	net   *simnet.Network
	nodes []*simnet.Node
	snd   []*flow.Sender
	reg   *Registry
	d0    ds.Batching // the inviter's store (reopen the registry on it)
	cfg   Config      // the inviter Service's config
	svc   *Service
	join  *fakeJoin
	met   *countMetrics
	rep   *countReporter
}

func newWorld(t *testing.T, n int, join *fakeJoin, mod func(*Config)) *world {
	t.Helper()
	w := &world{t: t, net: simnet.New(simnet.Config{Seed: 1, Latency: 5 * time.Millisecond, Jitter: time.Millisecond}),
		join: join, met: newCountMetrics(), rep: &countReporter{}}
	w.nodes = w.net.AddNodes(n)
	for i := range n {
		d := dssync.MutexWrap(ds.NewMapDatastore())
		snd, err := flow.New(w.nodes[i], d, flow.NewStaticState(flow.Identity{}), flow.Config{})
		if err != nil {
			t.Fatal(err)
		}
		w.snd = append(w.snd, snd)
		if i == 0 {
			w.d0 = d
			if w.reg, err = OpenRegistry(context.Background(), d, RegistryConfig{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := Config{Sender: w.snd[0], Registry: w.reg, OnJoin: join.OnJoin, Metrics: w.met, Reporter: w.rep}
	if mod != nil {
		mod(&cfg)
	}
	w.cfg = cfg
	svc, err := NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.svc = svc
	svc.Start()
	return w
}

// restartInviter closes the inviter's Service, reopens its Registry from
// the store and starts a new Service on it with OnJoin j.
func (w *world) restartInviter(j *fakeJoin) {
	w.t.Helper()
	if err := w.svc.Close(); err != nil {
		w.t.Fatal(err)
	}
	reg, err := OpenRegistry(context.Background(), w.d0, RegistryConfig{})
	if err != nil {
		w.t.Fatal(err)
	}
	w.reg, w.join = reg, j
	cfg := w.cfg
	cfg.Registry, cfg.OnJoin = reg, j.OnJoin
	if w.svc, err = NewService(cfg); err != nil {
		w.t.Fatal(err)
	}
	w.svc.Start()
}

// requestAsync runs Request from node j and delivers its outcome on the
// returned channel.
func (w *world) requestAsync(j int, inv Invite, c Candidate) chan result {
	ch := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		s, e, err := Request(ctx, w.snd[j], inv, c)
		ch <- result{s, e, err}
	}()
	return ch
}

func (w *world) close() {
	_ = w.svc.Close()
	w.net.Close()
}

// add mints invite i (expiring in an hour of virtual time) and stores it.
func (w *world) add(i byte) Invite {
	w.t.Helper()
	inv := mint(w.t, i, w.nodes[0].Self(), time.Now().Add(time.Hour))
	if err := w.reg.Add(context.Background(), inv, time.Now()); err != nil {
		w.t.Fatal(err)
	}
	return inv
}

// result is one Request outcome.
type result struct {
	sealed []byte
	epoch  uint64
	err    error
}

// request runs Request from node j on its own goroutine and returns its
// outcome after the network went quiet.
func (w *world) request(j int, inv Invite, c Candidate) result {
	w.t.Helper()
	ch := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		s, e, err := Request(ctx, w.snd[j], inv, c)
		ch <- result{s, e, err}
	}()
	return w.wait(ch)
}

func (w *world) wait(ch chan result) result {
	w.t.Helper()
	select {
	case r := <-ch:
		synctest.Wait() // let the inviter's handler finish
		return r
	case <-time.After(time.Hour): // virtual time
		w.t.Fatal("request did not return within an hour")
		return result{}
	}
}
