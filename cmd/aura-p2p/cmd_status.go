package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aura-p2p/aura-p2p/control"
)

func runStatus(ctx context.Context, std *stdio, args []string) error {
	var f ctlFlags
	var asJSON bool
	fs := newFlagSet(std, "status", "--data DIR [--json]",
		"Ask the daemon running on DIR (through DIR/control.sock) for its peer ID, listen\n"+
			"addresses, connected peers, DHT routing-table size, joined state and uptime.")
	f.register(fs, queryTimeout)
	fs.BoolVar(&asJSON, "json", false, "print the node.status result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	var raw json.RawMessage
	if err := f.call(ctx, control.MethodNodeStatus, nil, &raw); err != nil {
		return err
	}
	if asJSON {
		return printJSON(std.out, raw)
	}
	var st control.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("node.status: %w", err)
	}
	printStatus(std.out, st)
	return nil
}

func printStatus(w io.Writer, st control.Status) {
	joined := "no"
	if st.Joined {
		joined = "yes"
	}
	fmt.Fprintf(w, "peer id:       %s\n", st.PeerID)
	fmt.Fprintf(w, "joined:        %s (N=%d)\n", joined, st.JoinPeers)
	fmt.Fprintf(w, "connected:     %d peers\n", st.ConnectedPeers)
	fmt.Fprintf(w, "routing table: %d peers (DHT server mode: %v)\n", st.RoutingTableSize, st.DHTServer)
	fmt.Fprintf(w, "uptime:        %s\n", st.Uptime().Round(time.Second))
	for _, a := range st.ListenAddrs {
		fmt.Fprintf(w, "listen:        %s\n", a)
	}
}
