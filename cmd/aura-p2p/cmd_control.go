package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/node"
)

// Default --timeout of control calls: quick queries and ceremonies (a
// ceremony runs a DKG of up to DKGTimeout = 60 s, then consensus).
const (
	queryTimeout    = 10 * time.Second
	ceremonyTimeout = 3 * time.Minute
)

// controlService is the daemon's control API (DIR/control.sock). Services
// that serve control methods pass their control.Mount (the authority
// service's Mount serves the authority and device methods).
// m nil: no metrics.
func controlService(data string, m control.Metrics, mounts ...control.Mount) node.ServiceFunc {
	return control.NewService(control.Config{DataDir: data, Metrics: m}, mounts...)
}

// ctlFlags are the flags every control client command takes.
type ctlFlags struct {
	data    string
	timeout time.Duration
}

func (c *ctlFlags) register(fs *flag.FlagSet, timeout time.Duration) {
	fs.StringVar(&c.data, "data", "", "data directory of the running daemon (required)")
	fs.DurationVar(&c.timeout, "timeout", timeout, "give up if the daemon has not answered by then")
}

func (c *ctlFlags) check() error {
	if c.data == "" {
		return usagef("--data is required")
	}
	if c.timeout <= 0 {
		return usagef("--timeout must be positive, got %s", c.timeout)
	}
	return nil
}

// call runs one control call against the daemon of c.data and turns its
// refusals into messages that say what to do.
func (c *ctlFlags) call(ctx context.Context, method string, params, result any) error {
	cl, err := control.Dial(c.data)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return explain(method, c.timeout, cl.Call(ctx, method, params, result))
}

// explain words a control error for the terminal; the result still
// matches the original with errors.Is.
func explain(method string, timeout time.Duration, err error) error {
	var hint string
	switch {
	case err == nil:
		return nil
	case errors.Is(err, control.ErrUnknownMethod):
		return fmt.Errorf("this daemon does not serve %s yet (%w)", method, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer to %s within --timeout %s: %w", method, timeout, err)
	case errors.Is(err, control.ErrNotMember):
		hint = "this device is not a member of that authority (check --authority, or join with 'aura-p2p device join')"
	case errors.Is(err, control.ErrBelowThreshold):
		hint = "fewer devices than the policy threshold took part; bring more devices online and retry"
	case errors.Is(err, control.ErrDeviceOffline):
		hint = "a device did not answer within its timeout; bring it online and retry, or remove it first"
	case errors.Is(err, control.ErrBadRequest):
		hint = "the daemon rejected the request"
	default:
		return err
	}
	return fmt.Errorf("%s refused: %s: %w", method, hint, err)
}

// subcommand is one command of a group (authority, device).
type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, std *stdio, args []string) error
}

// runGroup dispatches args[0] to a subcommand of group; --help lists them.
func runGroup(ctx context.Context, std *stdio, group, about string, subs []subcommand, args []string) error {
	if len(args) == 0 {
		return usagef("missing command: want one of %s", subNames(subs))
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		groupUsage(std.out, group, about, subs)
		return flag.ErrHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, std, args[1:])
		}
	}
	return usagef("unknown command %q: want one of %s", args[0], subNames(subs))
}

func subNames(subs []subcommand) string {
	s := ""
	for i, c := range subs {
		if i > 0 {
			s += ", "
		}
		s += c.name
	}
	return s
}

func groupUsage(w io.Writer, group, about string, subs []subcommand) {
	fmt.Fprintf(w, "Usage: aura-p2p %s <command> [flags]\n\n%s\n\nCommands:\n", group, about)
	for _, s := range subs {
		fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun 'aura-p2p %s <command> --help' for the flags of a command.\n", group)
}

// printJSON prints a result indented.
func printJSON(w io.Writer, raw json.RawMessage) error {
	b, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// checkID accepts "" (when optional) or a 16-byte id in hex (SPEC §2).
func checkID(flagName, v string, required bool) error {
	if v == "" {
		if required {
			return usagef("--%s is required", flagName)
		}
		return nil
	}
	if b, err := hex.DecodeString(v); err != nil || len(b) != 16 {
		return usagef("invalid --%s %q: want 32 hex digits", flagName, v)
	}
	return nil
}
