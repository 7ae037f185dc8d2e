package simnet

import (
	"fmt"
	"log/slog"
	"time"
)

// Config parameterises a Network. The zero value is valid: zero latency
// (every delivery still takes at least 1ns of virtual time), no jitter, no
// loss, no duplication, per-link FIFO, seed 0, logs discarded.
type Config struct {
	// Seed determines every random draw (delay, drop, dup). Same seed and
	// same sequence of transport calls ⇒ same trace.
	Seed int64
	// Latency is the one-way delay of every link unless SetLink overrides
	// it. Zero means 1ns (a delivery never happens in the instant it was sent).
	Latency time.Duration
	// Jitter adds a uniform extra delay in [0, Jitter] per delivery, drawn
	// at nanosecond resolution. Use Jitter ≥ 1µs for replayable protocol
	// runs: it makes deliveries and protocol timers practically never share
	// an instant (see doc.go, Determinism).
	Jitter time.Duration
	// DropRate is the probability in [0,1] that a stream data frame or one
	// topic delivery is lost. A lost stream frame resets its stream at both
	// ends (SPEC §15); a lost topic delivery just vanishes for that receiver.
	DropRate float64
	// DupRate is the probability in [0,1] that a topic delivery is delivered
	// a second time (own delay draw). Streams are never duplicated.
	DupRate float64
	// Reorder lets messages on one link overtake each other across streams
	// and topic messages. Frames of one stream direction are always FIFO
	// (yamux semantics). With Reorder false every link is FIFO for all
	// traffic sent at distinct instants.
	Reorder bool
	// Logger receives debug records of deliveries. Nil discards.
	Logger *slog.Logger
	// NoTraceLog keeps only the running trace hash, not the entry list
	// (saves memory in 10^4-seed sweeps). Trace then returns nil.
	NoTraceLog bool
}

// Validate reports the first invalid field. It never mutates c.
func (c Config) Validate() error {
	if c.Latency < 0 || c.Jitter < 0 {
		return fmt.Errorf("%w: negative latency or jitter", ErrBadConfig)
	}
	if !isRate(c.DropRate) || !isRate(c.DupRate) {
		return fmt.Errorf("%w: rates must be in [0,1]", ErrBadConfig)
	}
	return nil
}

func isRate(p float64) bool { return p >= 0 && p <= 1 }

// LinkConfig overrides the defaults for one directed link (SetLink). All
// fields apply as given: a zero Latency means 1ns, not "use Config.Latency".
// Start from Network.DefaultLink to change one field.
type LinkConfig struct {
	// Latency is the one-way delay on this link.
	Latency time.Duration
	// Jitter is the uniform extra delay in [0, Jitter].
	Jitter time.Duration
	// Drop is the loss probability in [0,1] for stream data frames and
	// topic deliveries on this link.
	Drop float64
	// Down makes the link deliver nothing: in-flight traffic is cut at
	// delivery time and Open between the two peers fails with
	// p2p.ErrUnreachable.
	Down bool
}

// Validate reports an invalid link config.
func (l LinkConfig) Validate() error {
	if l.Latency < 0 || l.Jitter < 0 || !isRate(l.Drop) {
		return fmt.Errorf("%w: link latency/jitter negative or drop outside [0,1]", ErrBadConfig)
	}
	return nil
}
