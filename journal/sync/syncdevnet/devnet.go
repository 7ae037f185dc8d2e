// Package syncdevnet is the devnet step for anti-entropy (SPEC §9,
// §16.25 on real hosts): given N transports in one process and a shared
// static-context fixture, it starts one journal/sync Service per
// transport, has each write facts, and reports every peer's entry count
// and digest until all are equal or a timeout passes.
//
// It uses journal/journaltest's public fixture keys, so it belongs to
// devnets and tests only, never to a production node. Devnet code may
// hold transports: it builds one guarded flow.Sender per transport (an
// in-memory charge datastore, a flow.StaticState granting every
// capability with Options.Limit per flow epoch) and hands the Service
// only that Sender, so every devnet sync frame passes the guard chain.
//
// Invariants: a Result with Converged true has identical Count and Digest
// for every peer (devnet_test.go TestRunConverges, on simnet).
package syncdevnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	gosync "sync"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// Options tunes Run. The zero value is usable.
type Options struct {
	// Name names the static-context fixture (default "devnet"); every
	// process building the same name gets the same keys.
	Name string
	// Writes is the number of Generic facts each peer writes (default 5).
	Writes int
	// Timeout bounds the wait for convergence (default 30 s).
	Timeout time.Duration
	// Service configures each Service (zero: DefaultServiceConfig).
	Service jsync.ServiceConfig
	// Logger receives one line per report (nil: discard).
	Logger *slog.Logger
	// Limit is each peer's per-epoch flow budget toward each other peer
	// (default 1 000 000 units; must be ≥ budget.MinLimit).
	Limit uint64
}

func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = "devnet"
	}
	if o.Writes <= 0 {
		o.Writes = 5
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Service.SyncInterval == 0 {
		o.Service = jsync.DefaultServiceConfig()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Limit == 0 {
		o.Limit = 1_000_000
	}
	return o
}

// PeerReport is one peer's view of the context journal.
type PeerReport struct {
	Peer  peer.ID
	Count int
	// Digest is H("aura/devnet/sync-digest/v1", sorted EntryIDs).
	Digest [32]byte
}

// Result is Run's outcome.
type Result struct {
	Converged bool
	// Elapsed is the time from the first write to convergence (or the
	// timeout).
	Elapsed time.Duration
	// Want is the entry count every peer should reach.
	Want  int
	Peers []PeerReport
}

// Run starts a Service on each of trs (founder i on trs[i]) over
// in-memory journals, writes Options.Writes facts on each, and polls
// every SyncInterval/5 until every peer holds the same Want entries or
// the timeout. Transports that implement jsync.Liveness or
// jsync.Reporter (as *p2p.Host does) are used as such. Services are
// closed before Run returns.
func Run(ctx context.Context, trs []p2p.Transport, opts Options) (Result, error) {
	opts = opts.withDefaults()
	fx := journaltest.NewStaticContext(opts.Name, len(trs))
	nodes, err := start(ctx, fx, trs, opts)
	defer func() {
		closeAll(nodes)
	}()
	if err != nil {
		return Result{}, err
	}
	begin := time.Now()
	if err := each(len(nodes), func(i int) error { return nodes[i].write(ctx, fx, i, opts.Writes) }); err != nil {
		return Result{}, err
	}
	res := Result{Want: 1 + len(trs) + len(trs)*opts.Writes}
	return poll(ctx, nodes, fx.NS(), res, begin, opts)
}

type node struct {
	tr  p2p.Transport
	j   *journal.Journal
	svc *jsync.Service
}

// start seeds a journal and starts a Service per transport, all peers
// at once (a serial start would let the first services time out on
// peers that have no handler yet). On error the nodes started so far are
// returned for closing; entries of failed peers are nil.
func start(ctx context.Context, fx *journaltest.StaticContext, trs []p2p.Transport, opts Options) ([]*node, error) {
	seed := [][]byte{journaltest.Raw(fx.Genesis())}
	for i, tr := range trs {
		seed = append(seed, journaltest.Raw(fx.DevicePeer(i, []byte(tr.Self()), nil, 1)))
	}
	nodes := make([]*node, len(trs))
	err := each(len(trs), func(i int) error {
		n, err := startOne(ctx, fx, trs[i], i, seed, opts)
		nodes[i] = n
		return err
	})
	return nodes, err
}

// startOne seeds founder i's journal and starts its Service on tr.
func startOne(ctx context.Context, fx *journaltest.StaticContext, tr p2p.Transport, i int, seed [][]byte, opts Options) (*node, error) {
	j, err := journal.Open(ctx, dssync.MutexWrap(ds.NewMapDatastore()), journal.Config{})
	if err != nil {
		return nil, err
	}
	j.Join(fx.NS())
	if _, err := j.Add(ctx, fx.NS(), time.Now(), seed...); err != nil {
		return nil, err
	}
	snd, err := flow.New(tr, dssync.MutexWrap(ds.NewMapDatastore()), GuardState(fx, i, opts.Limit), flow.Config{})
	if err != nil {
		return nil, err
	}
	svc, err := jsync.NewService(snd, j, serviceConfig(opts.Service, tr, i), keys(fx, i))
	if err != nil {
		return nil, err
	}
	return &node{tr: tr, j: j, svc: svc}, nil
}

// each runs f(0..n-1) on n goroutines and joins their errors.
func each(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg gosync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// closeAll closes every started Service concurrently.
func closeAll(nodes []*node) {
	_ = each(len(nodes), func(i int) error {
		if nodes[i] == nil {
			return nil
		}
		return nodes[i].svc.Close()
	})
}

// GuardState is founder i's guard-chain state for fx: every capability,
// limit units per flow epoch toward each founder, founder i the only
// device of its authority.
func GuardState(fx *journaltest.StaticContext, i int, limit uint64) *flow.StaticState {
	f := fx.Founders[i]
	st := flow.NewStaticState(flow.Identity{Authority: f.Authority, Device: f.Device, Secret: f.AuthoritySecret[:]})
	members := map[journal.AuthorityID][32]byte{}
	for _, m := range fx.Founders {
		members[m.Authority] = m.MemberPub
	}
	st.SetContext(fx.ID, flow.ContextView{
		Schedule: budget.ContextSchedule(fx.Body.GenesisTimeMs, fx.Body.FlowEpochMs),
		Default:  cap.Default{Caps: cap.AllNames(), Limit: limit},
		SelfKey:  f.MemberKey, Leaves: []uint32{0}}, members)
	return st
}

func serviceConfig(c jsync.ServiceConfig, tr p2p.Transport, i int) jsync.ServiceConfig {
	c.Seed = uint64(i) + 1
	if l, ok := tr.(jsync.Liveness); ok && c.Liveness == nil {
		c.Liveness = l
	}
	if r, ok := tr.(jsync.Reporter); ok && c.Reporter == nil {
		c.Reporter = r
	}
	return c
}

func keys(fx *journaltest.StaticContext, i int) jsync.NamespaceKeys {
	f := fx.Founders[i]
	return jsync.NamespaceKeys{NS: fx.NS(), Secrets: []jsync.Secret{jsync.StaticContextSecret(fx.KRoot)},
		Signer: jsync.Ed25519Signer{ID: f.Authority, Key: f.MemberKey}}
}

func (n *node) write(ctx context.Context, fx *journaltest.StaticContext, i, count int) error {
	raws := make([][]byte, count)
	for k := range raws {
		raws[k] = journaltest.Raw(fx.Generic(i, 1, fmt.Appendf(nil, "devnet/%s/%d", n.tr.Self(), k)))
	}
	_, err := n.svc.Write(ctx, fx.NS(), raws...)
	return err
}

func poll(ctx context.Context, nodes []*node, ns journal.Namespace, res Result, begin time.Time, opts Options) (Result, error) {
	t := time.NewTicker(max(opts.Service.SyncInterval/5, time.Millisecond))
	defer t.Stop()
	deadline := time.NewTimer(opts.Timeout)
	defer deadline.Stop()
	for {
		var err error
		if res.Peers, err = reports(ctx, nodes, ns); err != nil {
			return res, err
		}
		res.Elapsed = time.Since(begin)
		if res.Converged = allEqual(res.Peers, res.Want); res.Converged {
			opts.Logger.Info("sync devnet converged", "peers", len(nodes), "elapsed", res.Elapsed)
			return res, nil
		}
		select {
		case <-t.C:
		case <-deadline.C:
			return res, nil
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
}

func reports(ctx context.Context, nodes []*node, ns journal.Namespace) ([]PeerReport, error) {
	out := make([]PeerReport, len(nodes))
	for i, n := range nodes {
		ids, err := n.j.EntryIDs(ctx, ns)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(ids, func(a, b journal.EntryID) int { return bytes.Compare(a[:], b[:]) })
		out[i] = PeerReport{Peer: n.tr.Self(), Count: len(ids), Digest: canon.H("aura/devnet/sync-digest/v1", jsync.AppendPackedIDs(nil, ids))}
	}
	return out, nil
}

func allEqual(ps []PeerReport, want int) bool {
	for _, p := range ps {
		if p.Count != want || p.Digest != ps[0].Digest {
			return false
		}
	}
	return true
}
