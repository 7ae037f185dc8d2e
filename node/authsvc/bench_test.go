package authsvc_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	datastore "github.com/ipfs/go-datastore"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
	"github.com/aura-p2p/aura-p2p/node"
	"github.com/aura-p2p/aura-p2p/node/authsvc"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// benchEcho is the extra protocol the benchmark registers on the daemons'
// hosts to measure the raw libp2p stream RTT between the same hosts.
const benchEcho protocol.ID = "/aura/bench-echo/1.0.0"

// benchOpTimeout bounds one ceremony and the members' agreement after it.
const benchOpTimeout = 60 * time.Second

// benchDaemon is one real node set up like e2e_test.go's daemon
// (node.Open on 127.0.0.1, pebble store in a temp data dir, the
// authority service and the control API), for a *testing.B: the e2e
// helpers take a *testing.T. Ceremonies are driven in-process through
// the authority Service (the Report carries the DKG and consensus
// times; the control socket would only add its own round trip).
type benchDaemon struct {
	name   string
	n      *node.Node
	auth   *authsvc.Authority
	closed bool
}

func startBenchDaemon(tb testing.TB, name string) *benchDaemon {
	tb.Helper()
	base, err := os.MkdirTemp("", "ab") // unix socket paths are short
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, name)
	fc := node.FileConfig{Version: node.FileConfigVersion, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, ForcePublic: true}
	if _, err := node.Init(dir, fc); err != nil {
		tb.Fatal(err)
	}
	d := &benchDaemon{name: name, auth: authsvc.New(authsvc.Config{DKGTimeout: 10 * time.Second})}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("AURA_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", name)
	}
	cfg := node.Config{DataDir: dir, JoinPeers: 2, Logger: log, Services: []node.ServiceFunc{
		d.auth.ServiceFunc(), control.NewService(control.Config{DataDir: dir}, d.auth.Mount)}}
	n, err := node.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		n.Close()
		tb.Fatal(err)
	}
	d.n = n
	tb.Cleanup(d.close)
	n.Host().Handle(benchEcho, echo)
	return d
}

func (d *benchDaemon) close() {
	if !d.closed {
		d.closed = true
		_ = d.n.Close()
	}
}

func (d *benchDaemon) svc() *authsvc.Service { return d.auth.Service() }

func echo(s p2p.Stream) {
	defer s.Close()
	for {
		f, err := s.ReadFrame()
		if err != nil || s.WriteFrame(f) != nil {
			return
		}
	}
}

func benchConnect(tb testing.TB, ds ...*benchDaemon) {
	tb.Helper()
	for i, a := range ds {
		for _, o := range ds[i+1:] {
			ai := peer.AddrInfo{ID: o.n.ID(), Addrs: o.n.Host().Addrs()}
			if err := a.n.Host().Connect(context.Background(), ai); err != nil {
				tb.Fatalf("connect %s → %s: %v", a.name, o.name, err)
			}
		}
	}
}

// benchJoin has inviter mint a code and joiner join with it; it returns
// the inviter's AddLeaf report (the inviter ran the DKG and consensus).
func benchJoin(tb testing.TB, aid journal.AuthorityID, inviter, joiner *benchDaemon) treesvc.Report {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchOpTimeout)
	defer cancel()
	inv, err := inviter.svc().Invite(ctx, aid, 0)
	if err != nil {
		tb.Fatalf("invite: %v", err)
	}
	if _, err := joiner.svc().Join(ctx, inv.Code()); err != nil {
		tb.Fatalf("%s join: %v", joiner.name, err)
	}
	rep, ok := inviter.svc().JoinReport(joiner.n.Device().ID)
	if !ok {
		tb.Fatalf("no join report for %s", joiner.name)
	}
	return rep
}

// benchAgree waits (bounded) until every member's view of aid has the
// reported epoch and root and n devices: the next ceremony then starts
// from a state every member holds.
func benchAgree(tb testing.TB, aid journal.AuthorityID, rep treesvc.Report, n int, ds ...*benchDaemon) {
	tb.Helper()
	root := fmt.Sprintf("%x", rep.Root)
	deadline := time.Now().Add(benchOpTimeout)
	for {
		ok := true
		for _, d := range ds {
			v, err := d.svc().Tree().View(aid)
			if err != nil || v.Epoch != rep.Epoch || v.Root != root || len(v.Devices) != n {
				ok = false
				break
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("members never agreed on epoch %d root %s with %d devices", rep.Epoch, root, n)
		}
		time.Sleep(2 * time.Millisecond) // polling a view; no event exposes "applied" on every member
	}
}

// rawRTTs are samples of the raw stream round trip from h to p (one
// 64-byte frame each way on an open stream, after one warm-up).
func rawRTTs(tb testing.TB, h *p2p.Host, p peer.ID, n int) []time.Duration {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := h.Open(ctx, p, benchEcho)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	frame := make([]byte, 64)
	var ds []time.Duration
	for i := range n + 1 {
		t0 := time.Now()
		if err := st.WriteFrame(frame); err != nil {
			tb.Fatal(err)
		}
		if _, err := st.ReadFrame(); err != nil {
			tb.Fatal(err)
		}
		if i > 0 {
			ds = append(ds, time.Since(t0))
		}
	}
	return ds
}

func median(xs []time.Duration) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// pebbleSync is the median synced one-key batch on a fresh pebble store
// in the same temp file system as the daemons' stores.
func pebbleSync(b *testing.B) time.Duration {
	b.Helper()
	d, err := journal.OpenPebble(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	var xs []time.Duration
	for i := range 200 {
		t0 := time.Now()
		bt, err := d.Batch(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := bt.Put(ctx, datastore.NewKey(fmt.Sprintf("/bench/%d", i)), make([]byte, 64)); err != nil {
			b.Fatal(err)
		}
		if err := bt.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		xs = append(xs, time.Since(t0))
	}
	return median(xs)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// opStats collects one kind of ceremony's reports and CPU.
type opStats struct {
	dkg, cons, total, wall []time.Duration
	cpu                    time.Duration
	paths                  map[string]int
}

func (s *opStats) add(r treesvc.Report, cpu time.Duration) {
	if s.paths == nil {
		s.paths = map[string]int{}
	}
	s.dkg, s.cons = append(s.dkg, r.DKG), append(s.cons, r.Consensus)
	s.total, s.wall = append(s.total, r.DKG+r.Consensus), append(s.wall, r.Total)
	s.cpu += cpu
	s.paths[r.Path]++
}

// report reports the p50s (ms) under prefix, the slowest witness's
// 2×RTT and consensus p50 / 2×RTT.
func (s *opStats) report(b *testing.B, prefix string, rtt2, fsync time.Duration) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	c := median(s.cons)
	b.ReportMetric(ms(median(s.dkg)), prefix+"dkg-p50-ms")
	b.ReportMetric(ms(c), prefix+"consensus-p50-ms")
	b.ReportMetric(ms(median(s.total)), prefix+"dkg+consensus-p50-ms")
	b.ReportMetric(float64(rtt2.Microseconds())/1000, prefix+"2xRTT-ms")
	b.ReportMetric(float64(c)/float64(rtt2), prefix+"consensus/2xRTT")
	b.ReportMetric(ms(s.cpu)/float64(len(s.cons)), prefix+"cpu-ms/op")
	b.ReportMetric(float64(fsync.Microseconds())/1000, "fsync-ms")
	name := b.Name()
	if prefix != "" {
		name += " " + strings.TrimSuffix(prefix, "-")
	}
	b.Logf("%s: N=%d paths %v: DKG p50 %v, consensus p50 %v (max %v), DKG+consensus p50 %v, Propose incl. settle p50 %v; "+
		"2×RTT(slowest witness) %v ⇒ consensus = %.0f× 2×RTT; process CPU per ceremony (all members, incl. settle pulls) %v",
		name, len(s.cons), s.paths, median(s.dkg), c, slices.Max(s.cons), median(s.total), median(s.wall),
		rtt2, float64(c)/float64(rtt2), s.cpu/time.Duration(len(s.cons)))
	b.Logf("%s: synced pebble batch (same disk, same run) p50 %v", name, fsync)
}

// benchCluster is an authority of three real daemons at 2-of-3 founded
// by a, the proposer of every measured ceremony.
type benchCluster struct {
	aid     journal.AuthorityID
	ds      []*benchDaemon
	samples map[peer.ID][]time.Duration // raw RTTs from a, by peer
}

func newBenchCluster(b *testing.B) *benchCluster {
	b.Helper()
	a, b1, c := startBenchDaemon(b, "a"), startBenchDaemon(b, "b"), startBenchDaemon(b, "c")
	benchConnect(b, a, b1, c)
	ctx, cancel := context.WithTimeout(context.Background(), benchOpTimeout)
	defer cancel()
	aid, err := a.svc().Create(ctx)
	if err != nil {
		b.Fatal(err)
	}
	bc := &benchCluster{aid: aid, ds: []*benchDaemon{a, b1, c}, samples: map[peer.ID][]time.Duration{}}
	benchAgree(b, aid, benchJoin(b, aid, a, b1), 2, a, b1)
	benchAgree(b, aid, benchJoin(b, aid, a, c), 3, a, b1, c)
	v, err := a.svc().Tree().View(aid)
	if err != nil || v.Policy.M != 2 || v.Policy.N != 3 {
		b.Fatalf("policy after the third device: %+v (%v)", v.Policy, err)
	}
	return bc
}

// sampleRTT adds 100 raw RTT samples from a to each of ds.
func (bc *benchCluster) sampleRTT(b *testing.B, ds ...*benchDaemon) {
	b.Helper()
	for _, d := range ds {
		bc.samples[d.n.ID()] = append(bc.samples[d.n.ID()], rawRTTs(b, bc.ds[0].n.Host(), d.n.ID(), 100)...)
	}
}

// rtt2 is 2 × the slowest of ps's median raw RTT from a.
func (bc *benchCluster) rtt2(b *testing.B, ps ...peer.ID) time.Duration {
	var worst time.Duration
	var who []string
	for _, p := range ps {
		xs := bc.samples[p]
		m := median(xs)
		who = append(who, fmt.Sprintf("…%s %v (%d samples)", p.String()[len(p.String())-6:], m, len(xs)))
		worst = max(worst, m)
	}
	b.Logf("raw stream RTT from a, median per witness: %s", strings.Join(who, ", "))
	return 2 * worst
}

// witnesses are b and c's peers.
func (bc *benchCluster) witnesses() []peer.ID { return []peer.ID{bc.ds[1].n.ID(), bc.ds[2].n.ID()} }

// propose runs one ceremony on a, waits until all members agree and
// returns the report and the process CPU it took (every member runs in
// this process).
func (bc *benchCluster) propose(b *testing.B, c treesvc.Change, members ...*benchDaemon) (treesvc.Report, time.Duration) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchOpTimeout)
	defer cancel()
	cpu0 := cpuTime()
	rep, err := bc.ds[0].svc().Propose(ctx, bc.aid, c)
	if err != nil {
		b.Fatalf("propose %v: %v", c.Kind, err)
	}
	cpu := cpuTime() - cpu0
	benchAgree(b, bc.aid, rep, len(members), members...)
	return rep, cpu
}

// BenchmarkLoopbackTreeUpdate: an authority of three real daemons
// (e2e_test.go's setup: node.Open on 127.0.0.1, libp2p hosts, pebble
// stores) at 2-of-3, every ceremony proposed by the founder and awaited
// on every member before the next. Sub-benchmarks:
//
//   - rotate: keyless RotateEpoch (consensus only);
//   - rotate-newkey: RotateEpoch with NewKey (DKG + consensus);
//   - add-remove: a fresh fourth daemon joins by invitation (AddLeaf,
//     the inviter's report) and is removed again (RemoveLeaf), both with
//     a DKG.
//
// Per op it reports the p50 of Report.DKG, Report.Consensus and their
// sum (the Settle wait after the commit is a service policy and left
// out), 2 × the median raw libp2p stream RTT (64-byte ping-pong on an
// extra protocol on the same hosts, sampled before and after the loop)
// to the slowest witness, consensus p50 / 2×RTT, and the process CPU per
// ceremony (getrusage around Propose: all members, settle pulls
// included). Run with -benchtime Nx: one iteration is one ceremony (two
// for add-remove) of 0.1–0.5 s.
func BenchmarkLoopbackTreeUpdate(b *testing.B) {
	bc := newBenchCluster(b)
	a := bc.ds[0]
	b.Run("rotate", func(b *testing.B) {
		var s opStats
		bc.sampleRTT(b, bc.ds[1:]...)
		for b.Loop() {
			s.add(bc.propose(b, treesvc.Change{Kind: tree.RotateEpoch}, bc.ds...))
		}
		bc.sampleRTT(b, bc.ds[1:]...)
		s.report(b, "", bc.rtt2(b, bc.witnesses()...), pebbleSync(b))
	})
	b.Run("rotate-newkey", func(b *testing.B) {
		var s opStats
		bc.sampleRTT(b, bc.ds[1:]...)
		for b.Loop() {
			s.add(bc.propose(b, treesvc.Change{Kind: tree.RotateEpoch, NewKey: true}, bc.ds...))
		}
		bc.sampleRTT(b, bc.ds[1:]...)
		s.report(b, "", bc.rtt2(b, bc.witnesses()...), pebbleSync(b))
	})
	b.Run("add-remove", func(b *testing.B) {
		var add, rm opStats
		var dRTT []time.Duration // median RTT to each iteration's fourth device
		bc.sampleRTT(b, bc.ds[1:]...)
		i := 0
		for b.Loop() {
			b.StopTimer()
			d := startBenchDaemon(b, fmt.Sprintf("d%d", i))
			i++
			benchConnect(b, append([]*benchDaemon{d}, bc.ds...)...)
			b.StartTimer()
			cpu0 := cpuTime()
			rep := benchJoin(b, bc.aid, a, d)
			add.add(rep, cpuTime()-cpu0)
			all := append(slices.Clone(bc.ds), d)
			benchAgree(b, bc.aid, rep, 4, all...)
			dRTT = append(dRTT, median(rawRTTs(b, a.n.Host(), d.n.ID(), 100))) // d is a RemoveLeaf witness
			rep, cpu := bc.propose(b, treesvc.Change{Kind: tree.RemoveLeaf, Remove: []journal.DeviceID{d.n.Device().ID}},
				bc.ds...)
			rm.add(rep, cpu)
			b.StopTimer()
			d.close()
			b.StartTimer()
		}
		bc.sampleRTT(b, bc.ds[1:]...)
		rtt2 := bc.rtt2(b, bc.witnesses()...)
		rmRTT2 := max(rtt2, 2*median(dRTT))
		b.Logf("raw stream RTT from a to the fourth device, median over %d devices: %v", len(dRTT), median(dRTT))
		fsync := pebbleSync(b)
		add.report(b, "add-", rtt2, fsync)
		rm.report(b, "remove-", rmRTT2, fsync)
	})
}
