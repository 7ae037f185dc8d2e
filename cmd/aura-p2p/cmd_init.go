package main

import (
	"context"
	"fmt"
	"strings"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/bootstrap"
	"github.com/aura-p2p/aura-p2p/node"
	"github.com/aura-p2p/aura-p2p/p2p"
)

type initFlags struct {
	data          string
	listen        listFlag
	boot          listFlag
	neighbourhood string
	forcePublic   bool
	natPortMap    bool
	log           logFlags
}

func runInit(ctx context.Context, std *stdio, args []string) error {
	var f initFlags
	fs := newFlagSet(std, "init", "--data DIR [--listen MA]... [--bootstrap MA]... [flags]",
		"Create DIR (mode 0700) with a new identity (identity.key, 0600), a config file\n"+
			"(config.json, 0600) and an empty datastore. Refuses an existing DIR.")
	fs.StringVar(&f.data, "data", "", "data directory to create (required)")
	fs.Var(&f.listen, "listen", "listen multiaddr, repeatable or comma-separated\n(default /ip4/0.0.0.0/tcp/4001 and /ip4/0.0.0.0/udp/4001/quic-v1)")
	fs.Var(&f.boot, "bootstrap", "bootstrap peer multiaddr with /p2p/<peer ID>, repeatable or comma-separated")
	fs.StringVar(&f.neighbourhood, "neighbourhood", p2p.DefaultNeighbourhood, "neighbourhood name (selects the two GossipSub topics)")
	fs.BoolVar(&f.forcePublic, "force-public", false, "force public reachability and DHT server mode (public hosts only)")
	fs.BoolVar(&f.natPortMap, "nat-port-map", true, "ask the router for a port mapping (UPnP/NAT-PMP)")
	f.log.register(fs, "info")
	if err := parse(fs, args); err != nil {
		return err
	}
	fc, err := f.fileConfig()
	if err != nil {
		return err
	}
	id, err := node.Init(f.data, fc)
	if err != nil {
		return err
	}
	fmt.Fprintf(std.out, "initialised %s\npeer id: %s\n", f.data, id)
	return nil
}

// fileConfig turns the flags into a config file, checking each flag value
// so a mistake names the flag and the value (usage error, exit 2).
func (f *initFlags) fileConfig() (node.FileConfig, error) {
	if f.data == "" {
		return node.FileConfig{}, usagef("--data is required")
	}
	fc := node.DefaultFileConfig()
	if len(f.listen) > 0 {
		fc.ListenAddrs = nil
	}
	for _, s := range f.listen {
		if _, err := ma.NewMultiaddr(s); err != nil {
			return node.FileConfig{}, usagef("invalid --listen %q: %v", s, err)
		}
		fc.ListenAddrs = append(fc.ListenAddrs, s)
	}
	for _, s := range f.boot {
		if _, err := bootstrap.ParsePeers([]string{s}); err != nil {
			return node.FileConfig{}, usagef("invalid --bootstrap %q: %v", s, err)
		}
		fc.BootstrapPeers = append(fc.BootstrapPeers, s)
	}
	fc.Neighbourhood = strings.TrimSpace(f.neighbourhood)
	fc.ForcePublic = f.forcePublic
	fc.NATPortMap = f.natPortMap
	if err := fc.Validate(); err != nil {
		return node.FileConfig{}, usagef("%v", err)
	}
	return fc, nil
}
