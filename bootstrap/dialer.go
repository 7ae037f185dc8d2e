package bootstrap

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Host is what the Dialer needs from the libp2p host; p2p.Host satisfies
// it. Keeping it this small keeps bootstrap free of libp2p host/network
// imports.
type Host interface {
	// Connect dials ai (a no-op if already connected).
	Connect(ctx context.Context, ai peer.AddrInfo) error
	// RoutingTableSize is the number of peers in the DHT routing table.
	RoutingTableSize() int
	// RefreshRouting starts a DHT routing-table refresh (dht.Bootstrap)
	// without waiting for it.
	RefreshRouting()
}

// Clock is the Dialer's time source. Tests inject a fake that fires
// instantly; production uses the real clock.
type Clock interface {
	Now() time.Time
	// After behaves like time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Dialer defaults.
const (
	DefaultBaseBackoff   = time.Second
	DefaultMaxBackoff    = 2 * time.Minute
	DefaultCheckInterval = 5 * time.Second
	DefaultDialTimeout   = 15 * time.Second
)

// DialerConfig configures a Dialer. Zero durations mean the defaults
// above; a nil Clock means the real clock; a nil Logger discards.
type DialerConfig struct {
	// Seeds are the bootstrap peers (ParsePeers).
	Seeds []peer.AddrInfo
	// BaseBackoff is the first retry delay after a failed dial; each
	// further failure doubles it up to MaxBackoff. The actual delay is
	// drawn uniformly from [d/2, d] ("equal jitter").
	BaseBackoff, MaxBackoff time.Duration
	// CheckInterval is how often the routing table is checked once every
	// seed is connected.
	CheckInterval time.Duration
	// DialTimeout bounds one Connect call.
	DialTimeout time.Duration
	// Seed seeds the jitter PRNG (deterministic per seed).
	Seed   uint64
	Clock  Clock
	Logger *slog.Logger
}

// Validate reports an unusable config wrapped in ErrInvalidConfig; it
// never mutates c.
func (c *DialerConfig) Validate() error {
	if c.BaseBackoff < 0 || c.MaxBackoff < 0 || c.CheckInterval < 0 || c.DialTimeout < 0 {
		return fmt.Errorf("%w: durations must be >= 0", ErrInvalidConfig)
	}
	if c.MaxBackoff != 0 && c.BaseBackoff > c.MaxBackoff {
		return fmt.Errorf("%w: BaseBackoff %s > MaxBackoff %s", ErrInvalidConfig, c.BaseBackoff, c.MaxBackoff)
	}
	for i, s := range c.Seeds {
		if s.ID == "" || len(s.Addrs) == 0 {
			return fmt.Errorf("%w: seed %d has no peer ID or no address", ErrInvalidConfig, i)
		}
	}
	return nil
}

func (c DialerConfig) withDefaults() DialerConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.BaseBackoff, DefaultBaseBackoff)
	def(&c.MaxBackoff, max(DefaultMaxBackoff, c.BaseBackoff))
	def(&c.CheckInterval, DefaultCheckInterval)
	def(&c.DialTimeout, DefaultDialTimeout)
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// seedState is the per-seed dial bookkeeping.
type seedState struct {
	ai        peer.AddrInfo
	connected bool      // dialled successfully since the last re-bootstrap
	failures  int       // consecutive failed dials
	next      time.Time // earliest next attempt
}

// Dialer connects to the seeds with exponential backoff and jitter and
// re-bootstraps (re-dials every seed, refreshes the routing table) when
// the routing table is empty. All state is owned by the goroutine running
// Run (or the caller of Step); it is not safe for concurrent use.
type Dialer struct {
	h     Host
	cfg   DialerConfig
	rnd   *rand.Rand
	seeds []*seedState
	// rounds counts consecutive checks that found the routing table empty
	// after a re-bootstrap; it backs off re-bootstraps like dials.
	rounds    int
	nextRound time.Time
}

// NewDialer returns a Dialer for h; it does nothing until Run or Step.
func NewDialer(h Host, cfg DialerConfig) (*Dialer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d := &Dialer{h: h, cfg: cfg, rnd: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	for _, s := range cfg.Seeds {
		d.seeds = append(d.seeds, &seedState{ai: s})
	}
	return d, nil
}

// Run steps the dialer until ctx ends, waiting on the Clock between
// steps. It returns ctx.Err().
func (d *Dialer) Run(ctx context.Context) error {
	for {
		wait := d.Step(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.cfg.Clock.After(wait):
		}
	}
}

// Step performs every action due now (seed dials, a re-bootstrap) and
// returns how long to wait before the next step.
func (d *Dialer) Step(ctx context.Context) time.Duration {
	now := d.cfg.Clock.Now()
	d.maybeRebootstrap(now)
	if d.dialDue(ctx, now) {
		d.h.RefreshRouting()
	}
	return d.nextWait(d.cfg.Clock.Now())
}

// dialDue dials every seed whose attempt is due and reports whether any
// dial succeeded.
func (d *Dialer) dialDue(ctx context.Context, now time.Time) bool {
	ok := false
	for _, s := range d.seeds {
		if s.connected || now.Before(s.next) || ctx.Err() != nil {
			continue
		}
		if d.dial(ctx, s) {
			ok = true
			continue
		}
		s.failures++
		s.next = now.Add(d.Backoff(s.failures))
	}
	return ok
}

func (d *Dialer) dial(ctx context.Context, s *seedState) bool {
	cctx, cancel := context.WithTimeout(ctx, d.cfg.DialTimeout)
	defer cancel()
	if err := d.h.Connect(cctx, s.ai); err != nil {
		d.cfg.Logger.Debug("seed dial failed", "peer", s.ai.ID, "failures", s.failures+1, "err", err)
		return false
	}
	s.connected, s.failures = true, 0
	d.cfg.Logger.Debug("seed connected", "peer", s.ai.ID)
	return true
}

// maybeRebootstrap re-arms every seed when all seeds were connected yet
// the routing table is empty, backing off consecutive rounds.
func (d *Dialer) maybeRebootstrap(now time.Time) {
	if len(d.seeds) == 0 || !d.allConnected() || now.Before(d.nextRound) {
		return
	}
	if d.h.RoutingTableSize() > 0 {
		d.rounds = 0
		return
	}
	d.rounds++
	d.nextRound = now.Add(d.Backoff(d.rounds))
	d.cfg.Logger.Info("routing table empty, re-bootstrapping", "round", d.rounds)
	for _, s := range d.seeds {
		s.connected, s.next = false, now
	}
}

func (d *Dialer) allConnected() bool {
	for _, s := range d.seeds {
		if !s.connected {
			return false
		}
	}
	return true
}

// nextWait is the delay until the earliest pending seed attempt, or
// CheckInterval when every seed is connected.
func (d *Dialer) nextWait(now time.Time) time.Duration {
	wait := d.cfg.CheckInterval
	for _, s := range d.seeds {
		if !s.connected {
			wait = min(wait, max(s.next.Sub(now), 0))
		}
	}
	return wait
}

// Backoff returns the jittered delay after the n-th consecutive failure
// (n >= 1): uniform in [b/2, b] with b = min(MaxBackoff, BaseBackoff·2^(n−1)).
func (d *Dialer) Backoff(n int) time.Duration {
	b := ExpBackoff(d.cfg.BaseBackoff, d.cfg.MaxBackoff, n)
	half := b / 2
	return half + time.Duration(d.rnd.Int64N(int64(b-half)+1))
}

// ExpBackoff is min(maxD, base·2^(n−1)) for n >= 1 (base for n < 1),
// without overflow.
func ExpBackoff(base, maxD time.Duration, n int) time.Duration {
	b := base
	for i := 1; i < n && b < maxD; i++ {
		if b > maxD/2 {
			return maxD // doubling would pass maxD (and could overflow)
		}
		b *= 2
	}
	return min(b, maxD)
}

// Connected reports how many seeds are currently marked connected.
func (d *Dialer) Connected() int {
	n := 0
	for _, s := range d.seeds {
		if s.connected {
			n++
		}
	}
	return n
}
