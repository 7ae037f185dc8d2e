package devnet

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// timelinePoll is how often the join step samples each peer's milestones.
const timelinePoll = 50 * time.Millisecond

// Milestones are the times, from a peer's start, at which it first met
// each part of SPEC §14's joined state (0: not reached). The neighbourhood
// topics are joined inside Start, so they need no milestone.
type Milestones struct {
	// Seed: connected to the bootstrap node.
	Seed time.Duration
	// RT1: at least one routing-table peer.
	RT1 time.Duration
	// RTTarget: at least min(5, N−1) routing-table peers.
	RTTarget time.Duration
}

// trackMilestones samples p every timelinePoll from its launch until ctx
// ends or every milestone is reached, recording each in p.Milestones
// (read them only after Devnet.stopTracking).
func (d *Devnet) trackMilestones(ctx context.Context, p *Peer, target int) {
	boot := d.Boot.Host.ID()
	net := p.Host.LibP2P().Network()
	tick := time.NewTicker(timelinePoll)
	defer tick.Stop()
	m := &p.Milestones
	sample := func() {
		at := time.Since(p.Started)
		rt := p.Host.RoutingTableSize()
		setOnce(&m.Seed, net.Connectedness(boot) == network.Connected, at)
		setOnce(&m.RT1, rt >= 1, at)
		setOnce(&m.RTTarget, rt >= target, at)
	}
	for sample(); m.Seed == 0 || m.RT1 == 0 || m.RTTarget == 0; sample() {
		select {
		case <-ctx.Done():
			sample() // a peer that joined since the last tick
			return
		case <-tick.C:
		}
	}
}

func setOnce(d *time.Duration, cond bool, at time.Duration) {
	if *d == 0 && cond {
		*d = max(at, time.Nanosecond)
	}
}

// noteTimeline adds the p50/max of each milestone to the summary.
func (d *Devnet) noteTimeline(target int) {
	var seed, rt1, rtT []time.Duration
	for _, p := range d.Peers {
		seed = appendReached(seed, p.Milestones.Seed)
		rt1 = appendReached(rt1, p.Milestones.RT1)
		rtT = appendReached(rtT, p.Milestones.RTTarget)
	}
	parts := []string{
		stat("seed connected", seed, d.N()),
		stat("rt>=1", rt1, d.N()),
		stat(fmt.Sprintf("rt>=%d", target), rtT, d.N()),
	}
	d.Note("join timeline (from each peer's start, p50/max): %s", strings.Join(parts, "; "))
}

func appendReached(ts []time.Duration, t time.Duration) []time.Duration {
	if t > 0 {
		ts = append(ts, t)
	}
	return ts
}

func stat(name string, ts []time.Duration, n int) string {
	if len(ts) == 0 {
		return fmt.Sprintf("%s 0/%d", name, n)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	s := fmt.Sprintf("%s %s/%s", name, round(percentile(ts, 50)), round(ts[len(ts)-1]))
	if len(ts) < n {
		s += fmt.Sprintf(" (%d/%d)", len(ts), n)
	}
	return s
}

// cpuTime is the process's user+system CPU time (getrusage; 0 if
// unavailable). Unlike wall time, other processes' load does not inflate
// it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// noteJoinCPU adds the process CPU time and wall time from before the
// first node started to the end of the join step.
func (d *Devnet) noteJoinCPU() {
	cpu, wall := cpuTime()-d.cpuStart, time.Since(d.wallStart)
	d.Note("join cost: %s process CPU (user+sys) in %s wall from the first node's start (%.2f cores busy on average)",
		round(cpu), round(wall), cpu.Seconds()/max(wall.Seconds(), 1e-9))
}
