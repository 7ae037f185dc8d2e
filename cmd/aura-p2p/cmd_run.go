package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/node"
	"github.com/aura-p2p/aura-p2p/node/authsvc"
)

type runFlags struct {
	data        string
	metricsAddr string
	control     bool
	log         logFlags
}

func runPeer(ctx context.Context, std *stdio, args []string) error {
	return runNode(ctx, std, args, false)
}

func runBootstrap(ctx context.Context, std *stdio, args []string) error {
	return runNode(ctx, std, args, true)
}

// runNode runs the node of a data directory until ctx ends (SIGINT or
// SIGTERM), then closes everything and returns.
func runNode(ctx context.Context, std *stdio, args []string, boot bool) error {
	name, about := "run", "Run the peer of DIR: connect to its bootstrap peers, join the DHT and both\n"+
		"neighbourhood topics, and serve until SIGINT/SIGTERM."
	if boot {
		name, about = "bootstrap", "Run DIR as a bootstrap node (SPEC §14): DHT server mode, circuit relay v2\n"+
			"service, connection limits 512/1024, subscribed to both neighbourhood topics."
	}
	var f runFlags
	fs := newFlagSet(std, name, "--data DIR [flags]", about)
	fs.StringVar(&f.data, "data", "", "data directory created by 'aura-p2p init' (required)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", DefaultMetricsAddr, "serve Prometheus /metrics on this host:port (\"\" = off)")
	fs.BoolVar(&f.control, "control", true, "serve the local control API on DIR/control.sock (for status, authority, device)")
	f.log.register(fs, "info")
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.data == "" {
		return usagef("--data is required")
	}
	log, err := f.log.logger(std.err)
	if err != nil {
		return err
	}
	tel, err := startTelemetry(f.metricsAddr, log)
	if err != nil {
		return err
	}
	cfg := node.Config{DataDir: f.data, Bootstrap: boot, Logger: log}
	tel.applyNode(&cfg)
	var mounts []control.Mount
	if !boot {
		// Peers serve their device's authorities (bootstrap nodes have
		// none): built after the node's sync service, before control.
		// Fallback shares go direct (no neighbourhood-topic carriage yet).
		auth := authsvc.New(tel.authorityConfig())
		cfg.Services = append(cfg.Services, auth.ServiceFunc())
		mounts = append(mounts, auth.Mount)
	}
	if f.control {
		cfg.Services = append(cfg.Services, controlService(f.data, tel.controlMetrics(), mounts...))
	}
	return errors.Join(serve(ctx, std, cfg, tel), tel.Close())
}

func serve(ctx context.Context, std *stdio, cfg node.Config, tel *telemetry) error {
	n, err := node.Open(cfg)
	if err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		return errors.Join(err, n.Close())
	}
	h := n.Host()
	role := "peer"
	if cfg.Bootstrap {
		role = "bootstrap node"
	}
	fmt.Fprintf(std.out, "%s %s running\n", role, h.ID())
	for _, a := range h.Addrs() {
		fmt.Fprintf(std.out, "listening on %s\n", a)
	}
	if tel.server != nil {
		fmt.Fprintf(std.out, "metrics on http://%s/metrics\n", tel.server.Addr())
	}
	<-ctx.Done()
	fmt.Fprintf(std.out, "shutting down\n")
	return n.Close()
}
