package devnet

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aura-p2p/aura-p2p/p2p"
)

// Step is one named stage of a devnet run. Run returns nil when the stage
// passed; it must return when ctx ends (the step's deadline).
type Step struct {
	Name string
	Run  func(ctx context.Context, d *Devnet) error
}

// DefaultSteps are the steps `aura-p2p devnet` runs: every peer joins
// (SPEC §14), then every peer's gossip message reaches every peer, then
// the peers' journals of one static context converge by anti-entropy,
// then four peers run authority ceremonies (SPEC §4.1).
func DefaultSteps() []Step {
	return []Step{
		{Name: "join", Run: JoinStep},
		{Name: "gossip", Run: GossipStep},
		{Name: "journals", Run: JournalsStep},
		{Name: "authority", Run: AuthorityStep},
	}
}

// RunSteps runs steps in order, each under Config.StepTimeout, stopping at
// the first failure.
func (d *Devnet) RunSteps(ctx context.Context, steps []Step) error {
	for _, s := range steps {
		d.Printf("== step %s", s.Name)
		start := time.Now()
		sctx, cancel := context.WithTimeout(ctx, d.cfg.StepTimeout)
		err := s.Run(sctx, d)
		cancel()
		if err != nil {
			d.Printf("== step %s FAILED after %s: %v", s.Name, round(time.Since(start)), err)
			return fmt.Errorf("%w: %s: %w", ErrStepFailed, s.Name, err)
		}
		d.Printf("== step %s ok (%s)", s.Name, round(time.Since(start)))
	}
	return nil
}

// JoinStep waits until every peer is joined (SPEC §14 with N = the
// number of peers), printing "joined k/N" once a second, then prints the
// peer table. It fails if a peer has not joined by the deadline.
func JoinStep(ctx context.Context, d *Devnet) error {
	n := d.N()
	target := min(5, n-1)
	var joined atomic.Int64
	done := make(chan error, n)
	for _, p := range d.Peers {
		go func() {
			err := p.Host.WaitJoined(ctx, n)
			if err == nil {
				p.JoinTime = time.Since(p.Started)
				joined.Add(1)
			}
			done <- err
		}()
	}
	failed := waitAll(ctx, d, n, done, &joined)
	d.noteJoinCPU()
	d.stopTracking()
	d.printTable()
	d.noteJoin()
	d.noteTimeline(target)
	if failed > 0 {
		return fmt.Errorf("%d of %d peers not joined", failed, n)
	}
	return nil
}

// waitAll collects n results, printing progress each second; it returns
// how many failed. Every goroutine sends exactly once, so it never leaks.
func waitAll(ctx context.Context, d *Devnet, n int, done <-chan error, joined *atomic.Int64) int {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start, failed := time.Now(), 0
	for got := 0; got < n; {
		select {
		case err := <-done:
			got++
			if err != nil {
				failed++
			}
		case <-tick.C:
			d.Printf("joined %d/%d (%s)", joined.Load(), n, round(time.Since(start)))
		}
	}
	d.Printf("joined %d/%d (%s)", joined.Load(), n, round(time.Since(start)))
	return failed
}

func (d *Devnet) printTable() {
	w := tabwriter.NewWriter(d.cfg.Out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "peer\tid\tdht rt\tconns\tmesh(fb)\tjoin time\t")
	fb := p2p.FallbackTopic(d.cfg.Neighbourhood)
	for _, p := range append([]*Peer{d.Boot}, d.Peers...) {
		h := p.Host
		jt := "-"
		if p.JoinTime > 0 {
			jt = round(p.JoinTime).String()
		} else if p != d.Boot {
			jt = "NOT JOINED"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t\n", p.Name, shortID(h.ID().String()),
			h.RoutingTableSize(), len(h.ConnectedPeers()), h.MeshSize(fb), jt)
	}
	w.Flush()
}

func (d *Devnet) noteJoin() {
	var ts []time.Duration
	for _, p := range d.Peers {
		if p.JoinTime > 0 {
			ts = append(ts, p.JoinTime)
		}
	}
	if len(ts) == 0 {
		d.Note("join: 0/%d peers joined", d.N())
		return
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	d.Note("join: %d/%d peers joined; time to join p50 %s, max %s", len(ts), d.N(),
		round(percentile(ts, 50)), round(ts[len(ts)-1]))
	total := heapInuse(false)
	n := uint64(d.N())
	d.Note("memory: HeapInuse %s after join, %s per peer (HeapInuse/N); %s per node above the pre-start baseline (N+1 nodes)",
		mib(total), mib(total/n), mib(sub(total, d.baseHeap)/(n+1)))
}

func shortID(s string) string {
	if len(s) <= 8 {
		return s
	}
	return "…" + s[len(s)-8:]
}

// percentile of sorted ts (nearest rank).
func percentile(ts []time.Duration, p int) time.Duration {
	if len(ts) == 0 {
		return 0
	}
	i := (p*len(ts) + 99) / 100
	return ts[max(0, min(len(ts)-1, i-1))]
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}
