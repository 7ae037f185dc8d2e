package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// command is one subcommand: its own FlagSet, built fresh per invocation.
type command struct {
	name    string
	summary string
	// run parses args with its own FlagSet and does the work.
	run func(ctx context.Context, io *stdio, args []string) error
}

// stdio carries the output streams (tests pass buffers).
type stdio struct {
	out, err io.Writer
}

// usageError is a command-line mistake: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func commands() []command {
	return []command{
		{"init", "create a data directory: identity, config file, datastore", runInit},
		{"id", "print the peer ID and listen multiaddrs of a data directory", runID},
		{"run", "run a peer that joins the mesh", runPeer},
		{"bootstrap", "run a bootstrap node (DHT server, relay service)", runBootstrap},
		{"devnet", "start a bootstrap node and N peers on 127.0.0.1 and check they join", runDevnet},
		{"status", "ask a running daemon for its peer ID, peers and joined state", runStatus},
		{"authority", "create, show or change an authority (via the running daemon)", runAuthority},
		{"device", "invite, join or remove devices (via the running daemon)", runDevice},
		{"version", "print the module and Go versions", runVersion},
	}
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code: 0 success (and --help), 1 runtime error, 2 usage.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	std := &stdio{out: stdout, err: stderr}
	if len(args) == 0 {
		topUsage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" || name == "help" {
		topUsage(stdout)
		return exitOK
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "aura-p2p: unknown command %q\n\n", name)
		topUsage(stderr)
		return exitUsage
	}
	return exitCode(std, name, cmd.run(ctx, std, args[1:]))
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func exitCode(std *stdio, name string, err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(std.err, "aura-p2p %s: %v\nRun 'aura-p2p %s --help' for usage.\n", name, err, name)
		return exitUsage
	default:
		fmt.Fprintf(std.err, "aura-p2p %s: %v\n", name, err)
		return exitRuntime
	}
}

func topUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: aura-p2p <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'aura-p2p <command> --help' for the flags of a command.\n")
}

// newFlagSet returns a FlagSet that reports errors to the caller instead
// of exiting, prints usage to the right stream and documents the command.
func newFlagSet(std *stdio, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("aura-p2p "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := std.out
		fmt.Fprintf(w, "Usage: aura-p2p %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args; --help prints usage to stdout (FlagSet.Parse calls
// fs.Usage itself) and returns flag.ErrHelp; any other flag error becomes
// a usageError. Positional arguments are refused.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// listFlag is a repeatable flag that also splits on commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
