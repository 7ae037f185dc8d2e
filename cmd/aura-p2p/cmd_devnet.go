package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/aura-p2p/aura-p2p/cmd/aura-p2p/internal/devnet"
)

type devnetFlags struct {
	nodes       int
	timeout     time.Duration
	dkgTimeout  time.Duration
	keep        bool
	quic        bool
	dir         string
	metricsAddr string
	cpuProfile  string
	log         logFlags
}

func runDevnet(ctx context.Context, std *stdio, args []string) error {
	var f devnetFlags
	fs := newFlagSet(std, "devnet", "[--nodes 10] [--timeout 30s] [--keep] [flags]",
		"Start a bootstrap node and N peers in this process on 127.0.0.1 (temporary data\n"+
			"directories, public reachability forced, NAT port mapping off), then run the steps:\n"+
			"  join    every peer is joined (SPEC §14: a bootstrap connection, >= min(5, N-1) DHT\n"+
			"          routing-table peers, both neighbourhood topics); a progress line per second,\n"+
			"          then a table of routing-table size, connections, mesh size and join time\n"+
			"  gossip  every peer publishes one message on a devnet topic; every peer must receive\n"+
			"          all of them (p50/p99 latency)\n"+
			"  journals  the peers' journals of one static context converge by anti-entropy\n"+
			"  authority  on 4 peers (through their control sockets): create an authority, add\n"+
			"          3 devices by invitation, remove one, rotate; per ceremony the commit path and\n"+
			"          DKG/consensus/total latency; every member's (epoch, key epoch, root) must agree\n"+
			"Exits 0 only if every step passes.")
	fs.IntVar(&f.nodes, "nodes", devnet.DefaultNodes, "number of peers N (besides the bootstrap node)")
	fs.DurationVar(&f.timeout, "timeout", devnet.DefaultStepTimeout, "deadline of each step")
	fs.DurationVar(&f.dkgTimeout, "dkg-timeout", devnet.DefaultDKGTimeout, "DKGTimeout of the authority ceremonies")
	fs.BoolVar(&f.keep, "keep", false, "keep the data directories (path printed at the end)")
	fs.BoolVar(&f.quic, "quic", false, "also listen on QUIC-v1 (default TCP only)")
	fs.StringVar(&f.dir, "dir", "", "parent directory for the data directories (default $TMPDIR)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus /metrics of all nodes on host:port (\"\" = off)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (debugging)")
	f.log.register(fs, "warn")
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.nodes < 1 || f.nodes > 1000 {
		return usagef("--nodes must be between 1 and 1000, got %d", f.nodes)
	}
	if f.timeout <= 0 {
		return usagef("--timeout must be positive, got %s", f.timeout)
	}
	log, err := f.log.logger(std.err)
	if err != nil {
		return err
	}
	tel, err := startTelemetry(f.metricsAddr, log)
	if err != nil {
		return err
	}
	cfg := devnet.Config{
		Nodes: f.nodes, StepTimeout: f.timeout, DKGTimeout: f.dkgTimeout, Keep: f.keep, QUIC: f.quic, Dir: f.dir,
		Out: std.out, Logger: log, P2PMetrics: tel.p2p, // aura_node_* gauges are per node: not shared here
	}
	if tel.reg != nil {
		cfg.Registerer = tel.reg
	}
	stopProf, err := startCPUProfile(f.cpuProfile)
	if err != nil {
		return errors.Join(err, tel.Close())
	}
	runErr := devnet.Run(ctx, cfg)
	return errors.Join(runErr, stopProf(), tel.Close())
}

// startCPUProfile starts a CPU profile into path ("" = off) and returns
// the function that stops it and closes the file.
func startCPUProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(fmt.Errorf("cpuprofile: %w", err), f.Close())
	}
	return func() error { pprof.StopCPUProfile(); return f.Close() }, nil
}
