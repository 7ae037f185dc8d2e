package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/node"
)

// Mount registers handlers of a service on the control server; it runs
// when the node builds the control service, after node.status is
// registered and before the socket opens.
type Mount func(srv *Server, env node.Env) error

// NewService returns the node service serving the control API of the
// node on <cfg.DataDir>/control.sock, with node.status built in and each
// mount applied. Put it last in node.Config.Services: the node builds it
// after the services whose handlers the mounts register, and closes it
// first, so no call reaches a closed service. A nil cfg.Logger becomes
// the node's logger with component=control.
func NewService(cfg Config, mounts ...Mount) node.ServiceFunc {
	return func(env node.Env) (node.Service, error) {
		if env.Host == nil {
			return nil, errors.New("control: node env has no host")
		}
		if cfg.Logger == nil && env.Logger != nil {
			cfg.Logger = env.Logger.With("component", "control")
		}
		srv, err := NewServer(cfg)
		if err != nil {
			return nil, err
		}
		if err := Register(srv, MethodNodeStatus, StatusHandler(env.Host, env.JoinPeers, env.Started)); err != nil {
			return nil, err
		}
		for i, m := range mounts {
			if err := m(srv, env); err != nil {
				return nil, fmt.Errorf("control: mount %d: %w", i, err)
			}
		}
		return service{srv}, nil
	}
}

// service adapts a Server to node.Service.
type service struct{ srv *Server }

func (s service) Start(ctx context.Context) error { return s.srv.Start(ctx) }
func (s service) Close() error                    { return s.srv.Close() }
