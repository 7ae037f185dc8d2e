package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultReadTimeout  = 5 * time.Second
	DefaultWriteTimeout = 5 * time.Second
	DefaultMaxConns     = 16
	// acceptRetry is the pause after a failed accept (e.g. EMFILE).
	acceptRetry = 100 * time.Millisecond
)

// Config configures a Server. DataDir is required; every other zero value
// means "default".
type Config struct {
	// DataDir holds the socket (SocketName). It must exist and not be
	// group- or world-writable.
	DataDir string
	// MaxRequestBytes caps a request line. Zero: DefaultMaxRequestBytes
	// (larger values are clamped to it).
	MaxRequestBytes int
	// ReadTimeout bounds reading the request line from accept. Zero:
	// DefaultReadTimeout.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing the response. Zero: DefaultWriteTimeout.
	WriteTimeout time.Duration
	// CallTimeout bounds a handler. Zero: no bound besides the client
	// hanging up and Close.
	CallTimeout time.Duration
	// MaxConns caps connections served at once; more wait in the listen
	// backlog. Zero: DefaultMaxConns.
	MaxConns int
	// Logger receives structured logs. Nil: discard.
	Logger *slog.Logger
	// Metrics receives per-call observations. Nil: NopMetrics.
	Metrics Metrics
}

func (c Config) withDefaults() Config {
	if c.MaxRequestBytes <= 0 || c.MaxRequestBytes > DefaultMaxRequestBytes {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	return c
}

// handler is a registered method with its params decoding bound in.
type handler func(ctx context.Context, params json.RawMessage) (any, error)

// errorMapping reports errors matching target with code.
type errorMapping struct {
	target error
	code   Code
}

// Server serves the control API on a unix socket. Handlers may be
// registered before or after Start; the registry is the only state
// shared with connection goroutines (guarded by mu).
type Server struct {
	cfg Config

	mu       sync.RWMutex
	handlers map[string]handler
	mappings []errorMapping

	life    sync.Mutex
	started bool
	closed  bool
	ln      *net.UnixListener
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewServer returns a server for cfg; it does not listen until Start.
func NewServer(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("control: Config.DataDir is required")
	}
	return &Server{cfg: cfg.withDefaults(), handlers: map[string]handler{}}, nil
}

// Register serves method with h. Params decode strictly into P (unknown
// fields are bad_request; absent or null params give the zero P); the
// result R is sent as JSON. h's errors map to codes via errors.Is on the
// package sentinels (ErrNotMember, ...) or MapError mappings; any other
// error is "internal". h runs on its connection's goroutine with a ctx
// cancelled when the client hangs up, CallTimeout passes or the server
// closes.
func Register[P, R any](s *Server, method string, h func(context.Context, P) (R, error)) error {
	return s.register(method, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var p P
		if raw != nil {
			if err := decodeStrict(raw, &p); err != nil {
				return nil, fmt.Errorf("%w: params of %s: %v", ErrBadRequest, method, err)
			}
		}
		return h(ctx, p)
	})
}

func (s *Server) register(method string, h handler) error {
	if err := checkMethod(method); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.handlers[method]; dup {
		return fmt.Errorf("%w: %s", ErrDuplicateMethod, method)
	}
	s.handlers[method] = h
	return nil
}

// Deregister removes method; later calls get unknown_method.
func (s *Server) Deregister(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.handlers, method)
}

// MapError reports handler errors matching target (errors.Is) with the
// code of sentinel, one of this package's wire sentinels (ErrNotMember,
// ErrBelowThreshold, ErrDeviceOffline, ErrBadRequest). It lets a service
// keep its own sentinels: the wiring says, e.g.,
// srv.MapError(tree.ErrNotMember, control.ErrNotMember).
func (s *Server) MapError(target, sentinel error) error {
	code := codeOf(sentinel)
	if target == nil || code.Sentinel() != sentinel {
		return fmt.Errorf("control: MapError: %v is not a wire sentinel", sentinel)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mappings = append(s.mappings, errorMapping{target: target, code: code})
	return nil
}

// Methods lists the registered methods (unordered).
func (s *Server) Methods() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.handlers))
	for m := range s.handlers {
		out = append(out, m)
	}
	return out
}

// Path is the socket path.
func (s *Server) Path() string { return SocketPath(s.cfg.DataDir) }

// Start opens the socket and serves until Close. ctx bounds nothing after
// Start returns (the server's lifetime is Start..Close).
func (s *Server) Start(ctx context.Context) error {
	s.life.Lock()
	defer s.life.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.started:
		return ErrStarted
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ln, err := listen(s.cfg.DataDir)
	if err != nil {
		return err
	}
	s.started, s.ln = true, ln
	loopCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go s.acceptLoop(loopCtx, ln)
	s.cfg.Logger.Info("control API listening", "socket", s.Path())
	return nil
}

// Close stops accepting, cancels running handlers, closes open
// connections, waits for every goroutine and removes the socket. It is
// idempotent and safe before Start.
func (s *Server) Close() error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if !s.started {
		return nil
	}
	s.cancel()
	err := s.ln.Close()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// acceptLoop takes a connection slot, accepts, and serves each connection
// on its own goroutine.
func (s *Server) acceptLoop(ctx context.Context, ln *net.UnixListener) {
	defer s.wg.Done()
	slots := make(chan struct{}, s.cfg.MaxConns)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		conn, err := ln.AcceptUnix()
		if err != nil {
			<-slots
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) || !pause(ctx, acceptRetry) {
				return
			}
			s.cfg.Logger.Warn("control accept failed", "err", err)
			continue
		}
		s.wg.Add(1)
		go func() {
			defer func() { <-slots; s.wg.Done() }()
			s.serveConn(ctx, conn)
		}()
	}
}

// pause waits d or until ctx ends; it reports whether ctx is still live.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
