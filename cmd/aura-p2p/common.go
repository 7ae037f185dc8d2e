package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aura-p2p/aura-p2p/cmd/aura-p2p/internal/promx"
	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/node"
	"github.com/aura-p2p/aura-p2p/node/authsvc"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// DefaultMetricsAddr is where run and bootstrap serve /metrics by default.
const DefaultMetricsAddr = "127.0.0.1:9464"

// logFlags are --log-level and --log-json.
type logFlags struct {
	level string
	json  bool
}

func (l *logFlags) register(fs *flag.FlagSet, defLevel string) {
	fs.StringVar(&l.level, "log-level", defLevel, "log level: debug, info, warn or error")
	fs.BoolVar(&l.json, "log-json", false, "log JSON lines instead of text")
}

// logger builds the slog logger writing to w.
func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToLower(l.level))); err != nil {
		return nil, usagef("invalid --log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if l.json {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// telemetry is the process's metrics registry and server, if enabled.
type telemetry struct {
	reg  *prometheus.Registry
	p2p  p2p.Metrics
	node node.Metrics
	// svc holds the library packages' collectors; nil when metrics are off.
	svc    *promx.Services
	server *promx.Server
}

// startTelemetry serves /metrics on addr; addr "" disables metrics (no-op
// Metrics, libp2p metrics off).
func startTelemetry(addr string, log *slog.Logger) (*telemetry, error) {
	t := &telemetry{p2p: p2p.NopMetrics{}, node: node.NopMetrics{}}
	if addr == "" {
		return t, nil
	}
	t.reg = promx.NewRegistry()
	pm, err := promx.NewP2P(t.reg)
	if err != nil {
		return nil, err
	}
	nm, err := promx.NewNode(t.reg)
	if err != nil {
		return nil, err
	}
	if t.svc, err = promx.NewServices(t.reg); err != nil {
		return nil, err
	}
	t.p2p, t.node = pm, nm
	if t.server, err = promx.Serve(addr, t.reg, log); err != nil {
		return nil, fmt.Errorf("%w (use --metrics-addr to pick another address, or \"\" to disable)", err)
	}
	log.Info("serving metrics", "addr", "http://"+t.server.Addr()+"/metrics")
	return t, nil
}

// apply wires the registry and metrics into a host config.
func (t *telemetry) apply(c *p2p.Config) {
	c.Metrics = t.p2p
	if t.reg != nil {
		c.PrometheusRegisterer = t.reg
	}
}

// applyNode wires the library packages' metrics into a node config: the
// journal, the flow Sender, the jstate guard state and the sync service
// (consensus and DKG collectors exist but the node starts neither yet).
func (t *telemetry) applyNode(c *node.Config) {
	c.Metrics = t.node
	t.apply(&c.P2P)
	if t.svc == nil {
		return
	}
	c.JournalMetrics = t.svc.Journal
	c.StateMetrics = t.svc.FlowState
	c.Flow.Metrics = t.svc.Flow
	c.Sync.Service.Metrics = t.svc.Sync
}

// authorityConfig is the authority service's config with the DKG
// and authority metrics when metrics are on.
func (t *telemetry) authorityConfig() authsvc.Config {
	if t.svc == nil {
		return authsvc.Config{}
	}
	return authsvc.Config{DKGMetrics: t.svc.DKG, Metrics: t.svc.Authority,
		ConsensusMetrics: t.svc.Consensus, SyncMetrics: t.svc.Sync}
}

// controlMetrics is the control server's Metrics (nil when metrics are off).
func (t *telemetry) controlMetrics() control.Metrics {
	if t.svc == nil {
		return nil
	}
	return t.svc.Control
}

func (t *telemetry) Close() error {
	if t == nil || t.server == nil {
		return nil
	}
	return t.server.Close()
}
