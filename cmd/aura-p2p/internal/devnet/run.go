package devnet

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Run starts a devnet, runs its steps, prints the summary and closes it.
// It returns nil only if every step passed (for the default steps: every
// peer joined and every gossip message reached every peer).
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	transports := "tcp"
	if cfg.QUIC {
		transports = "tcp+quic"
	}
	fmt.Fprintf(cfg.Out, "devnet: bootstrap node + %d peers on 127.0.0.1 (%s), step timeout %s\n",
		cfg.Nodes, transports, cfg.StepTimeout)
	start := time.Now()
	d, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	d.Printf("started %d nodes in %s", cfg.Nodes+1, round(time.Since(start)))
	err = d.RunSteps(ctx, cfg.Steps)
	d.printSummary(err, time.Since(start))
	if cerr := d.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("devnet: close: %w", cerr))
	}
	return err
}

func (d *Devnet) printSummary(err error, total time.Duration) {
	d.Printf("== summary (N=%d)", d.N())
	for _, n := range d.Notes() {
		d.Printf("  %s", n)
	}
	d.Printf("  wall time: %s", round(total))
	if d.cfg.Keep {
		d.Printf("  data directories kept in %s", d.Dir)
	}
	if err != nil {
		d.Printf("FAIL: %v", err)
		return
	}
	d.Printf("PASS: all %d peers joined; all steps passed", d.N())
}
