package p2p

import (
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"
)

// Connection-manager and misbehaviour defaults (SPEC §10).
const (
	DefaultConnLow           = 64
	DefaultConnHigh          = 128
	DefaultConnGrace         = time.Minute
	BootstrapConnLow         = 512
	BootstrapConnHigh        = 1024
	DefaultNeighbourhood     = "aura"
	DefaultMisbehaviourLimit = 20
	DefaultMisbehaviourSpan  = 10 * time.Minute
	DefaultGateDuration      = 10 * time.Minute
	// MaxNeighbourhoodLen bounds Config.Neighbourhood in bytes.
	MaxNeighbourhoodLen = 64
)

// Config configures New. The zero value of every field means "use the
// default" (see DefaultConfig); Validate never mutates a Config and New
// applies defaults to its own copy.
type Config struct {
	// PrivKey is the libp2p host key (see LoadOrCreateIdentity). Nil: a
	// fresh ephemeral Ed25519 key (tests only; the peer ID changes).
	PrivKey crypto.PrivKey
	// ListenAddrs are TCP and/or QUIC-v1 multiaddrs. Nil: DefaultConfig's
	// /ip4/0.0.0.0/tcp/0 and /ip4/0.0.0.0/udp/0/quic-v1. The devnet uses
	// /ip4/127.0.0.1/tcp/0 and /ip4/127.0.0.1/udp/0/quic-v1.
	ListenAddrs []ma.Multiaddr
	// BootstrapPeers are the seed nodes (bootstrap.ParsePeers); each must
	// carry a peer ID and at least one address. Nil: none (a lone
	// bootstrap node).
	BootstrapPeers []peer.AddrInfo
	// Bootstrap runs the host as a bootstrap node (SPEC §14): DHT server
	// mode, relay v2 service with SPEC §10 limits and conn manager
	// 512/1024 unless ConnLow/ConnHigh are set.
	Bootstrap bool
	// ForcePublic forces public reachability (libp2p
	// ForceReachabilityPublic) and DHT server mode (devnet, tests).
	ForcePublic bool
	// NATPortMap enables UPnP/NAT-PMP port mapping. DefaultConfig: true;
	// tests turn it off.
	NATPortMap bool
	// EnableRelayService runs a circuit relay v2 service even when not in
	// Bootstrap mode.
	EnableRelayService bool
	// Neighbourhood names the two neighbourhood topics (SPEC §1).
	// Empty: "aura". At most MaxNeighbourhoodLen bytes of UTF-8.
	Neighbourhood string
	// ConnLow / ConnHigh are the connection-manager watermarks (peers).
	// Zero: 64 / 128 (bootstrap 512 / 1024).
	ConnLow, ConnHigh int
	// ConnGrace protects new connections from trimming. Zero: 1 min.
	ConnGrace time.Duration
	// MisbehaviourLimit is the number of points within MisbehaviourSpan
	// that disconnects and gates a peer for GateDuration. Zero: 20 / 10 min
	// / 10 min (SPEC §10).
	MisbehaviourLimit int
	MisbehaviourSpan  time.Duration
	GateDuration      time.Duration
	// DialSeed seeds the bootstrap dialer's backoff jitter. Zero: derived
	// from the clock at start.
	DialSeed uint64
	// Clock returns the current time for misbehaviour accounting and
	// gating. Nil: time.Now.
	Clock func() time.Time
	// Logger receives structured logs. Nil: discard.
	Logger *slog.Logger
	// Metrics receives counters. Nil: NopMetrics.
	Metrics Metrics
	// PrometheusRegisterer receives libp2p's own metrics. Nil: libp2p
	// metrics are disabled.
	PrometheusRegisterer prometheus.Registerer
}

// DefaultConfig returns a production-leaning configuration: listen on all
// IPv4 interfaces with ephemeral ports, NAT port mapping on, SPEC §10
// limits. Callers set PrivKey and BootstrapPeers.
func DefaultConfig() Config {
	return Config{
		ListenAddrs: []ma.Multiaddr{
			ma.StringCast("/ip4/0.0.0.0/tcp/0"),
			ma.StringCast("/ip4/0.0.0.0/udp/0/quic-v1"),
		},
		NATPortMap:        true,
		Neighbourhood:     DefaultNeighbourhood,
		ConnLow:           DefaultConnLow,
		ConnHigh:          DefaultConnHigh,
		ConnGrace:         DefaultConnGrace,
		MisbehaviourLimit: DefaultMisbehaviourLimit,
		MisbehaviourSpan:  DefaultMisbehaviourSpan,
		GateDuration:      DefaultGateDuration,
	}
}

// Validate reports the first unusable field, wrapped in ErrInvalidConfig.
// It never mutates c; zero values are valid (they mean "default").
func (c *Config) Validate() error {
	checks := []func() error{c.validateConns, c.validateMisbehaviour, c.validateNeighbourhood,
		c.validateListen, c.validateBootstrapPeers}
	for _, check := range checks {
		if err := check(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
	}
	return nil
}

func (c *Config) validateConns() error {
	switch {
	case c.ConnLow < 0 || c.ConnHigh < 0:
		return fmt.Errorf("ConnLow/ConnHigh must be >= 0 (got %d/%d)", c.ConnLow, c.ConnHigh)
	case c.ConnHigh != 0 && c.ConnLow > c.ConnHigh:
		return fmt.Errorf("ConnLow %d > ConnHigh %d", c.ConnLow, c.ConnHigh)
	case c.ConnGrace < 0:
		return fmt.Errorf("ConnGrace must be >= 0 (got %s)", c.ConnGrace)
	}
	return nil
}

func (c *Config) validateMisbehaviour() error {
	if c.MisbehaviourLimit < 0 || c.MisbehaviourSpan < 0 || c.GateDuration < 0 {
		return fmt.Errorf("MisbehaviourLimit/Span/GateDuration must be >= 0")
	}
	return nil
}

func (c *Config) validateNeighbourhood() error {
	if len(c.Neighbourhood) > MaxNeighbourhoodLen || !utf8.ValidString(c.Neighbourhood) {
		return fmt.Errorf("Neighbourhood must be <= %d bytes of UTF-8", MaxNeighbourhoodLen)
	}
	return nil
}

func (c *Config) validateListen() error {
	for i, a := range c.ListenAddrs {
		if a == nil || !(isTCP(a) || isQUICv1(a)) {
			return fmt.Errorf("ListenAddrs[%d] %v: want TCP or QUIC-v1", i, a)
		}
	}
	return nil
}

func (c *Config) validateBootstrapPeers() error {
	for i, ai := range c.BootstrapPeers {
		if err := ai.ID.Validate(); err != nil {
			return fmt.Errorf("BootstrapPeers[%d]: peer ID: %w", i, err)
		}
		if len(ai.Addrs) == 0 {
			return fmt.Errorf("BootstrapPeers[%d] %s: no addresses", i, ai.ID)
		}
	}
	return nil
}

func isTCP(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_TCP)
	return err == nil && len(a) == 2
}

func isQUICv1(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_QUIC_V1)
	return err == nil && len(a) == 3
}

// withDefaults returns a copy of c with every zero field defaulted.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ListenAddrs == nil {
		c.ListenAddrs = d.ListenAddrs
	}
	if c.Neighbourhood == "" {
		c.Neighbourhood = d.Neighbourhood
	}
	c.ConnLow, c.ConnHigh = c.connLimits()
	if c.ConnGrace == 0 {
		c.ConnGrace = d.ConnGrace
	}
	c.defaultMisbehaviour(d)
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	return c
}

func (c Config) connLimits() (low, high int) {
	low, high = c.ConnLow, c.ConnHigh
	defLow, defHigh := DefaultConnLow, DefaultConnHigh
	if c.Bootstrap {
		defLow, defHigh = BootstrapConnLow, BootstrapConnHigh
	}
	if low == 0 {
		low = defLow
	}
	if high == 0 {
		high = max(defHigh, low)
	}
	return low, high
}

func (c *Config) defaultMisbehaviour(d Config) {
	if c.MisbehaviourLimit == 0 {
		c.MisbehaviourLimit = d.MisbehaviourLimit
	}
	if c.MisbehaviourSpan == 0 {
		c.MisbehaviourSpan = d.MisbehaviourSpan
	}
	if c.GateDuration == 0 {
		c.GateDuration = d.GateDuration
	}
}
