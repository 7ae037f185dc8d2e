package dkgsvc

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/journal"
)

// flushTimeout bounds how long a finished Run waits for its last frames
// (the confirms) to leave.
const flushTimeout = 10 * time.Second

// run is one registered DKG: the peers by FrostID and the owner's inbox.
type run struct {
	peers []peer.ID // by FrostID−1
	in    chan inbound
	done  chan struct{}
}

func (r *run) frostOf(p peer.ID) uint16 {
	if i := slices.Index(r.peers, p); i >= 0 {
		return uint16(i + 1)
	}
	return 0
}

// push blocks (backpressure on the stream) until the owner takes m or the
// run ends.
func (r *run) push(m inbound) bool {
	select {
	case r.in <- m:
		return true
	case <-r.done:
		return false
	}
}

// Run takes part in the DKG sess as FrostID self, signing with key (whose
// public half is sess.SignKeys[self−1]; in authority scope the DeviceKey).
// members[i] is the peer of FrostID i+1. Round 1 goes to every member,
// round 2 only to its recipient, the confirm to every member, each a
// guarded authority-scope send (budget.MsgDKG, cost 50). On success the
// key share is sealed under key's seed and stored at ShareKey in one
// batch before Run returns the result. After Config.Timeout it returns a
// *dkg.TimeoutError (errors.Is dkg.ErrDKGTimeout) naming the silent
// members; a bad proof or inconsistency returns the dkg error. Run owns
// the Participant on the calling goroutine.
func (s *Service) Run(ctx context.Context, sess dkg.Session, members []peer.ID, self uint16, key ed25519.PrivateKey) (dkg.Result, error) {
	res, err := s.run(ctx, sess, members, self, key)
	s.cfg.Metrics.Outcome(outcomeOf(err))
	return res, err
}

func outcomeOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, dkg.ErrDKGTimeout):
		return "timeout"
	case errors.Is(err, dkg.ErrDKGInconsistent):
		return "inconsistent"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	}
	return "error"
}

func (s *Service) run(ctx context.Context, sess dkg.Session, members []peer.ID, self uint16, key ed25519.PrivateKey) (dkg.Result, error) {
	ns, err := checkRun(sess, members)
	if err != nil {
		return dkg.Result{}, err
	}
	p, err := dkg.NewParticipant(sess, self, key, s.cfg.Rand)
	if err != nil {
		return dkg.Result{}, err
	}
	sid := sess.SID()
	r := &run{peers: slices.Clone(members), in: make(chan inbound, 4*len(members)), done: make(chan struct{})}
	pending, err := s.register(sid, r)
	if err != nil {
		return dkg.Result{}, err
	}
	defer s.unregister(sid)
	defer close(r.done)
	out := s.newOutbox(ctx, sess, members, self)
	res, err := s.drive(ctx, p, r, out, pending)
	if err != nil {
		out.abort()
		return dkg.Result{}, err
	}
	out.flush()
	if err := storeShare(ctx, s.cfg.Datastore, ShareKey(ns, sess.KeyEpoch), sess, res, key.Seed()); err != nil {
		return dkg.Result{}, err
	}
	return res, nil
}

func checkRun(sess dkg.Session, members []peer.ID) (journal.Namespace, error) {
	ns, err := NamespaceOf(sess.Namespace)
	if err != nil {
		return ns, err
	}
	if len(members) != int(sess.N()) {
		return ns, fmt.Errorf("%w: %d peers for %d members", ErrConfig, len(members), sess.N())
	}
	for i, m := range members {
		if slices.Index(members, m) != i {
			return ns, fmt.Errorf("%w: peer %s listed twice", ErrConfig, m)
		}
	}
	return ns, nil
}

// drive is the owner loop: feed the participant until done, aborted,
// timed out or cancelled.
func (s *Service) drive(ctx context.Context, p *dkg.Participant, r *run, out *outbox, pending []early) (dkg.Result, error) {
	timer := time.NewTimer(s.cfg.Timeout)
	defer timer.Stop()
	out.send(p.Start())
	for _, e := range pending {
		from := r.frostOf(e.peer)
		if from == 0 {
			s.misbehaved(e.st, KindNonMember)
			continue
		}
		if err := s.feed(p, out, inbound{from: from, data: e.data, st: e.st}); err != nil {
			return dkg.Result{}, err
		}
	}
	for !p.Done() {
		select {
		case in := <-r.in:
			if err := s.feed(p, out, in); err != nil {
				return dkg.Result{}, err
			}
		case <-timer.C:
			return dkg.Result{}, p.Timeout()
		case <-ctx.Done():
			return dkg.Result{}, ctx.Err()
		case <-s.ctx.Done():
			return dkg.Result{}, ErrClosed
		}
	}
	return p.Result()
}

// feed hands one message to the participant. A bad message resets its
// stream and counts; any other error aborts the run.
func (s *Service) feed(p *dkg.Participant, out *outbox, in inbound) error {
	msgs, err := p.Handle(in.from, in.data)
	if errors.Is(err, dkg.ErrBadMessage) {
		s.log.Debug("bad dkg message", "peer", in.st.RemotePeer(), "err", err)
		s.misbehaved(in.st, KindBadMessage)
		return nil
	}
	if err != nil {
		return err
	}
	out.send(msgs)
	return nil
}

// outbox holds one writer per other member for one run.
type outbox struct {
	s       *Service
	ctx     context.Context
	cancel  context.CancelFunc
	stop    func() bool
	writers map[uint16]*writer
	wg      sync.WaitGroup
}

func (s *Service) newOutbox(ctx context.Context, sess dkg.Session, members []peer.ID, self uint16) *outbox {
	octx, cancel := context.WithCancel(ctx)
	o := &outbox{s: s, ctx: octx, cancel: cancel, writers: map[uint16]*writer{}}
	o.stop = context.AfterFunc(s.ctx, cancel)
	for j := uint16(1); j <= sess.N(); j++ {
		if j == self {
			continue
		}
		w := &writer{s: s, peer: members[j-1], dst: journal.AuthorityID(journal.DeviceIDOf(sess.SignKeys[j-1])),
			q: make(chan []byte, 8)}
		o.writers[j] = w
		o.wg.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer o.wg.Done()
			w.run(octx)
		}()
	}
	return o
}

// send encodes each message and queues it for its recipient's writer.
func (o *outbox) send(msgs []dkg.Message) {
	for _, m := range msgs {
		w := o.writers[m.To]
		if w == nil {
			continue
		}
		frame, err := encodeMessage(m.Data)
		if err != nil {
			o.s.log.Error("encode dkg message", "err", err) // broken invariant of the core
			continue
		}
		select {
		case w.q <- frame:
		default:
			o.s.cfg.Metrics.SendFailed()
		}
	}
}

// flush lets every writer drain its queue (bounded by flushTimeout), then
// closes the streams gracefully.
func (o *outbox) flush() {
	for _, w := range o.writers {
		close(w.q)
	}
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	t := time.NewTimer(flushTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		o.cancel()
		<-done
	}
	o.release()
}

// abort cancels the writers and waits for them.
func (o *outbox) abort() {
	o.cancel()
	for _, w := range o.writers {
		close(w.q)
	}
	o.wg.Wait()
	o.release()
}

func (o *outbox) release() {
	o.stop()
	o.cancel()
}
