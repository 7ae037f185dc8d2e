package invite

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Service is the inviter side of /aura/invite/1.0.0 JoinRequests. Each
// inbound stream is served on the transport's handler goroutine: read
// one JoinRequest (ReadTimeout), decode strictly, require PeerID = the
// stream's remote peer, Consume the invite (MAC check, one use, expiry),
// call OnJoin (JoinTimeout, reading nothing more), write one JoinResult
// and close. Every failure is a reset without error text (SPEC §6.6);
// garbage earns a misbehaviour point.
type Service struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	streams map[*flow.Stream]struct{}
	wg      sync.WaitGroup
}

// NewService builds an inviter Service; Start registers its handler.
func NewService(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, ctx: ctx, cancel: cancel, streams: map[*flow.Stream]struct{}{}}, nil
}

// Start registers the /aura/invite/1.0.0 handler. The node registers it
// once (SPEC §15: one protocol with oneof {JoinRequest, InviteAccept});
// frames other than JoinRequest are reset as undecodable.
func (s *Service) Start() { s.cfg.Sender.Handle(protocols.Invite, s.handleStream) }

// Close removes the handler, cancels running OnJoin calls, resets open
// streams and waits for their handlers to return.
func (s *Service) Close() error {
	s.cfg.Sender.RemoveHandler(protocols.Invite)
	s.mu.Lock()
	s.closed = true
	for st := range s.streams {
		_ = st.Reset()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// track admits st under MaxInflight; false means reset it.
func (s *Service) track(st *flow.Stream) (ok, busy bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, false
	}
	if len(s.streams) >= s.cfg.MaxInflight {
		return false, true
	}
	s.streams[st] = struct{}{}
	s.wg.Add(1)
	return true, false
}

func (s *Service) untrack(st *flow.Stream) {
	s.mu.Lock()
	delete(s.streams, st)
	s.mu.Unlock()
	s.wg.Done()
}

func (s *Service) handleStream(st *flow.Stream) {
	ok, busy := s.track(st)
	if !ok {
		if busy {
			s.refuse(st, ReasonBusy)
		} else {
			_ = st.Reset()
		}
		return
	}
	defer s.untrack(st)
	req, ok := s.readRequest(st)
	if !ok {
		return
	}
	inv, ok := s.consume(st, req)
	if !ok {
		return
	}
	s.join(st, inv, req.Candidate)
}

// readRequest reads and decodes the one JoinRequest within ReadTimeout
// and checks its PeerID against the stream's remote peer.
func (s *Service) readRequest(st *flow.Stream) (JoinRequest, bool) {
	timer := time.AfterFunc(s.cfg.ReadTimeout, func() { _ = st.Reset() })
	b, err := st.ReadFrame()
	if !timer.Stop() {
		s.refuse(st, ReasonTimeout)
		return JoinRequest{}, false
	}
	switch {
	case errors.Is(err, protocols.ErrFrameTooLarge):
		s.misbehaved(st, KindOversize)
		return JoinRequest{}, false
	case errors.Is(err, protocols.ErrBadFrame):
		s.misbehaved(st, KindUndecodable)
		return JoinRequest{}, false
	case err != nil: // EOF before a frame, or a reset
		_ = st.Reset()
		return JoinRequest{}, false
	}
	req, err := DecodeJoinRequest(b)
	if err != nil {
		s.misbehaved(st, KindUndecodable)
		return JoinRequest{}, false
	}
	if req.Peer != st.RemotePeer() {
		s.misbehaved(st, KindPeerMismatch)
		return JoinRequest{}, false
	}
	return req, true
}

// consume checks the MAC and marks the invite used.
func (s *Service) consume(st *flow.Stream, req JoinRequest) (Invite, bool) {
	now := s.cfg.Now()
	inv, err := s.cfg.Registry.Consume(s.ctx, req, now)
	switch {
	case err == nil:
		return inv, true
	case errors.Is(err, ErrUnknown):
		s.misbehaved(st, KindBadMAC)
	case errors.Is(err, ErrUsed):
		s.refuse(st, ReasonUsed)
	case errors.Is(err, ErrExpired):
		s.refuse(st, ReasonExpired)
		if err := s.cfg.Registry.Prune(s.ctx, now); err != nil {
			s.cfg.Logger.Warn("invite: prune", "err", err)
		}
	default:
		s.cfg.Logger.Warn("invite: consume", "err", err)
		s.refuse(st, ReasonStore)
	}
	return Invite{}, false
}

// join runs OnJoin and answers with the JoinResult. The invite stays
// consumed whatever happens (one use per Secret).
func (s *Service) join(st *flow.Stream, inv Invite, c Candidate) {
	jctx, cancel := context.WithTimeout(s.ctx, s.cfg.JoinTimeout)
	sealed, epoch, err := s.cfg.OnJoin(jctx, inv, c)
	cancel()
	if err != nil {
		s.cfg.Logger.Info("invite: join failed", "peer", c.Peer, "err", err)
		s.refuse(st, ReasonJoin)
		return
	}
	frame, err := EncodeJoinResult(sealed, epoch)
	if err != nil {
		s.cfg.Logger.Error("invite: OnJoin returned a bad sealed secret", "err", err)
		s.refuse(st, ReasonJoin)
		return
	}
	m := flow.Msg{Kind: budget.MsgDKG, Scope: flow.ScopeAuthority, Ctx: budgetCtx(inv.Authority),
		Dst: deviceDst(c.DeviceKey), Frame: frame}
	if err := st.WriteFrame(s.ctx, m); err != nil { // a refused write already reset the stream
		s.cfg.Logger.Warn("invite: JoinResult not sent", "peer", c.Peer, "err", err)
		s.refuse(st, ReasonSend)
		return
	}
	_ = st.CloseWrite()
	_ = st.Close()
	s.cfg.Metrics.Joined()
	s.cfg.Logger.Info("invite: joined", "peer", c.Peer, "key_epoch", epoch)
}

func (s *Service) refuse(st *flow.Stream, reason string) {
	_ = st.Reset()
	s.cfg.Metrics.Refused(reason)
}

func (s *Service) misbehaved(st *flow.Stream, kind string) {
	_ = st.Reset()
	s.cfg.Metrics.Misbehaviour(kind)
	if s.cfg.Reporter != nil {
		s.cfg.Reporter.ReportMisbehaviour(st.RemotePeer(), string(protocols.Invite), kind)
	}
}
