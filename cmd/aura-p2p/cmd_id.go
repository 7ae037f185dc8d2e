package main

import (
	"context"
	"fmt"

	"github.com/aura-p2p/aura-p2p/node"
)

func runID(ctx context.Context, std *stdio, args []string) error {
	var data string
	fs := newFlagSet(std, "id", "--data DIR",
		"Print the peer ID and the configured listen multiaddrs (with /p2p/<id>) of DIR.\n"+
			"Works while the node runs (it does not open the datastore).")
	fs.StringVar(&data, "data", "", "data directory (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if data == "" {
		return usagef("--data is required")
	}
	info, err := node.Inspect(data)
	if err != nil {
		return err
	}
	fmt.Fprintf(std.out, "peer id: %s\n", info.ID)
	for _, a := range info.ListenAddrs() {
		fmt.Fprintf(std.out, "listen:  %s\n", a)
	}
	return nil
}
