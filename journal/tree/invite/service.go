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
// stream's remote peer, Admit the request (MAC check, one use, expiry),
// call OnJoin (JoinTimeout, reading nothing more), store and write one
// JoinResult and close. A repeat request of the device that used the
// invite gets the stored JoinResult again (Registry.Admit). Every failure is a reset without error text (SPEC §6.6);
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
	adm, ok := s.admit(st, req)
	if !ok {
		return
	}
	if adm.Sealed != nil { // the same device again: the stored result, no new ceremony
		s.cfg.Logger.Info("invite: join result sent again", "peer", req.Peer, "key_epoch", adm.KeyEpoch)
		s.reply(st, adm.Invite, req.Candidate, adm.Sealed, adm.KeyEpoch)
		return
	}
	defer s.cfg.Registry.Release(adm.Key)
	s.join(st, adm, req.Candidate)
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

// admit checks the MAC and admits the request (Registry.Admit): a
// fresh admission, or a replay of the same device's stored JoinResult. A
// duplicate of the same device's running ceremony waits for it (at most
// JoinTimeout), then is admitted again.
func (s *Service) admit(st *flow.Stream, req JoinRequest) (Admission, bool) {
	deadline := time.NewTimer(s.cfg.JoinTimeout)
	defer deadline.Stop()
	for {
		now := s.cfg.Now()
		adm, err := s.cfg.Registry.Admit(s.ctx, req, now)
		if err != nil {
			s.refuseAdmit(st, err, now)
			return Admission{}, false
		}
		if adm.Wait == nil {
			return adm, true
		}
		select {
		case <-adm.Wait:
		case <-deadline.C:
			s.refuse(st, ReasonTimeout)
			return Admission{}, false
		case <-s.ctx.Done():
			_ = st.Reset()
			return Admission{}, false
		}
	}
}

// refuseAdmit resets st for Admit's error err.
func (s *Service) refuseAdmit(st *flow.Stream, err error, now time.Time) {
	switch {
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
		s.cfg.Logger.Warn("invite: admit", "err", err)
		s.refuse(st, ReasonStore)
	}
}

// join runs OnJoin, stores its JoinResult in the used record (so the
// same device can fetch it again) and answers with it. The invite stays
// consumed whatever happens (one use per Secret).
func (s *Service) join(st *flow.Stream, adm Admission, c Candidate) {
	jctx, cancel := context.WithTimeout(s.ctx, s.cfg.JoinTimeout)
	sealed, epoch, err := s.cfg.OnJoin(jctx, adm.Invite, c)
	cancel()
	if err != nil {
		s.cfg.Logger.Info("invite: join failed", "peer", c.Peer, "err", err)
		s.refuse(st, ReasonJoin)
		return
	}
	if len(sealed) != SealedSecretLen {
		s.cfg.Logger.Error("invite: OnJoin returned a bad sealed secret", "len", len(sealed))
		s.refuse(st, ReasonJoin)
		return
	}
	if err := s.cfg.Registry.Complete(s.ctx, adm.Key, sealed, epoch); err != nil {
		// The reply still goes out; only a repeat request cannot be answered.
		s.cfg.Logger.Warn("invite: join result not stored", "peer", c.Peer, "err", err)
	}
	if s.reply(st, adm.Invite, c, sealed, epoch) {
		s.cfg.Metrics.Joined()
		s.cfg.Logger.Info("invite: joined", "peer", c.Peer, "key_epoch", epoch)
	}
}

// reply writes the one JoinResult frame and closes st.
func (s *Service) reply(st *flow.Stream, inv Invite, c Candidate, sealed []byte, epoch uint64) bool {
	frame, err := EncodeJoinResult(sealed, epoch)
	if err != nil {
		s.cfg.Logger.Error("invite: bad join result", "err", err)
		s.refuse(st, ReasonJoin)
		return false
	}
	m := flow.Msg{Kind: budget.MsgDKG, Scope: flow.ScopeAuthority, Ctx: budgetCtx(inv.Authority),
		Dst: deviceDst(c.DeviceKey), Frame: frame}
	if err := st.WriteFrame(s.ctx, m); err != nil { // a refused write already reset the stream
		s.cfg.Logger.Warn("invite: JoinResult not sent", "peer", c.Peer, "err", err)
		s.refuse(st, ReasonSend)
		return false
	}
	_ = st.CloseWrite()
	_ = st.Close()
	return true
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
