package dkgsvc

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Bounds on frames that arrive before their session's Run registers
// (another member started first): at most earlySessions sessions and
// earlyFrames frames in all; the rest are dropped (the sender's DKG then
// times out naming nobody it could not reach — the peer retries a run).
const (
	earlySessions = 8
	earlyFrames   = 4 * 256
	finishedKeep  = 64 // remembered finished sids (late frames are dropped)
	startQueue    = 16 // buffered authorised DKGStarts
)

// inbound is one decoded round message for a run's owner goroutine.
type inbound struct {
	from uint16
	data []byte
	st   *flow.Stream
}

// early is a frame buffered before its run registered.
type early struct {
	peer peer.ID
	data []byte
	st   *flow.Stream
}

// Service serves /aura/dkg/1.0.0 for one device: it routes inbound round
// messages to running DKGs by sid, verifies DKGStarts and hands the
// authorised ones to Starts. Each Run owns its dkg.Participant on the
// caller's goroutine. Safe for concurrent use.
type Service struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	starts chan Start

	mu       sync.Mutex
	closed   bool
	runs     map[[32]byte]*run
	early    map[[32]byte][]early
	nEarly   int
	finished map[[32]byte]struct{}
	finOrder [][32]byte
	streams  map[*flow.Stream]struct{}
	wg       sync.WaitGroup
}

// New builds a Service; Start registers its stream handler.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel, starts: make(chan Start, startQueue),
		runs: map[[32]byte]*run{}, early: map[[32]byte][]early{}, finished: map[[32]byte]struct{}{},
		streams: map[*flow.Stream]struct{}{}}, nil
}

// Start registers the /aura/dkg/1.0.0 handler.
func (s *Service) Start() { s.cfg.Sender.Handle(protocols.DKG, s.handleStream) }

// Starts delivers verified DKGStarts that Authorise accepted; the caller
// builds the session (Start.Session) and calls Run. When the buffer is
// full further starts are dropped (the proposer's DKG times out).
func (s *Service) Starts() <-chan Start { return s.starts }

// Close removes the handler, cancels running DKGs (they return
// context.Canceled), resets inbound streams and waits for the service's
// goroutines.
func (s *Service) Close() error {
	s.cfg.Sender.RemoveHandler(protocols.DKG)
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

// handleStream serves one inbound stream: any number of frames, one
// DKGFrame each. An oversize or undecodable frame, a round message from a
// peer outside its session, or a DKGStart that does not verify resets
// the stream and counts one misbehaviour point.
func (s *Service) handleStream(st *flow.Stream) {
	if !s.track(st, true) {
		_ = st.Reset()
		return
	}
	defer s.track(st, false)
	for {
		b, err := st.ReadFrame()
		if err != nil {
			if errors.Is(err, protocols.ErrFrameTooLarge) {
				s.misbehaved(st, KindOversize)
				return
			}
			_ = st.Close()
			return
		}
		if !s.onFrame(st, b) {
			return
		}
	}
}

func (s *Service) track(st *flow.Stream, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.streams, st)
		return true
	}
	if s.closed {
		return false
	}
	s.streams[st] = struct{}{}
	return true
}

// onFrame handles one frame; false ends the stream (already reset).
func (s *Service) onFrame(st *flow.Stream, b []byte) bool {
	f, err := DecodeFrame(b)
	if err != nil {
		s.log.Debug("bad frame", "peer", st.RemotePeer(), "err", err)
		s.misbehaved(st, KindUndecodable)
		return false
	}
	if f.Start != nil {
		return s.onStart(st, f.Start)
	}
	return s.route(st, f)
}

// onStart verifies a DKGStart and, if Authorise accepts it, queues it.
func (s *Service) onStart(st *flow.Stream, start *Start) bool {
	start.From = st.RemotePeer()
	if err := start.Verify(); err != nil {
		s.log.Debug("bad DKGStart", "peer", st.RemotePeer(), "err", err)
		s.misbehaved(st, KindBadStart)
		return false
	}
	if err := s.authorise(*start); err != nil {
		s.log.Info("DKGStart refused", "peer", st.RemotePeer(), "err", err)
		s.cfg.Metrics.StartRefused()
		_ = st.Reset()
		return false
	}
	s.cfg.Metrics.StartAccepted()
	select {
	case s.starts <- *start:
	default:
		s.log.Warn("DKGStart dropped: queue full", "peer", st.RemotePeer())
	}
	return true
}

func (s *Service) authorise(start Start) error {
	if s.cfg.Authorise == nil {
		return ErrStartRefused
	}
	if err := s.cfg.Authorise(start); err != nil {
		return errors.Join(ErrStartRefused, err)
	}
	return nil
}

// route hands a round message to its run, buffers it if the run has not
// registered yet, or drops it if the run already finished.
func (s *Service) route(st *flow.Stream, f Frame) bool {
	s.mu.Lock()
	r := s.runs[f.SID]
	if r == nil {
		s.bufferLocked(st, f)
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	from := r.frostOf(st.RemotePeer())
	if from == 0 {
		s.misbehaved(st, KindNonMember)
		return false
	}
	r.push(inbound{from: from, data: f.Data, st: st}) // false: run over, late frame dropped
	return true
}

func (s *Service) bufferLocked(st *flow.Stream, f Frame) {
	if _, done := s.finished[f.SID]; done {
		return
	}
	_, known := s.early[f.SID]
	if s.nEarly >= earlyFrames || (!known && len(s.early) >= earlySessions) {
		s.log.Debug("early frame dropped", "peer", st.RemotePeer())
		return
	}
	s.early[f.SID] = append(s.early[f.SID], early{peer: st.RemotePeer(), data: f.Data, st: st})
	s.nEarly++
}

// register adds r under sid and returns the frames buffered for it.
func (s *Service) register(sid [32]byte, r *run) ([]early, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if _, ok := s.runs[sid]; ok {
		return nil, ErrBusy
	}
	s.runs[sid] = r
	e := s.early[sid]
	delete(s.early, sid)
	s.nEarly -= len(e)
	return e, nil
}

// unregister removes sid's run and remembers sid as finished.
func (s *Service) unregister(sid [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.runs, sid)
	if _, ok := s.finished[sid]; ok {
		return
	}
	if len(s.finOrder) == finishedKeep {
		delete(s.finished, s.finOrder[0])
		s.finOrder = s.finOrder[1:]
	}
	s.finished[sid] = struct{}{}
	s.finOrder = append(s.finOrder, sid)
}

func (s *Service) misbehaved(st *flow.Stream, kind string) {
	_ = st.Reset()
	s.cfg.Metrics.Misbehaviour(kind)
	if s.cfg.Reporter != nil {
		s.cfg.Reporter.ReportMisbehaviour(st.RemotePeer(), string(protocols.DKG), kind)
	}
}
