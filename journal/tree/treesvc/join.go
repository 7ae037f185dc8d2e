package treesvc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/internal/seal"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// Join backoff between anti-entropy pulls while the joiner waits for the
// commit that adds it.
const (
	joinBackoffMin = 100 * time.Millisecond
	joinBackoffMax = 2 * time.Second
)

// Join is the joiner's side of SPEC §4.1 step 2: it trusts
// t.InviterKey for the authority's DKGStart until synced, runs request
// (the caller's invite client: it sends the JoinRequest and returns the
// inviter's reply, Report.Sealed) concurrently with its part in the DKG,
// opens AuthoritySecret_{k+1} with its DH key, hands it to the Syncer and
// pulls from the inviter until the reduced state lists this device; then
// the authority runs like any other (driver started) and Join returns the
// Report of the commit that added it (Path "join" if that commit is not
// found, DKG = this device's DKG time). The join is kept in the
// datastore from the request until listed (PendingJoinKey; doc.go,
// pending.go): a Service closed or killed after the reply resumes it at
// the next Start; a pending join of the same authority is replaced. If
// request fails and t.Code is set with a ResumeRequest installed, the
// request is re-sent (the inviter answers a repeat of the same device
// with its stored reply); a refusal ends Join with ErrRejoinNeeded.
func (s *Service) Join(ctx context.Context, t Ticket, request func(ctx context.Context) ([]byte, error)) (Report, error) {
	return s.JoinWith(ctx, t, func(ctx context.Context) ([]byte, uint64, error) {
		sealed, err := request(ctx)
		return sealed, 0, err
	})
}

// JoinWith is Join with a request that also returns the reply's key
// epoch (invite.Request does). A non-zero key epoch is taken as the
// sealed secret's epoch without waiting for this device's DKG outcome:
// an inviter answering a repeated request with its stored reply
// (journal/tree/invite) runs no new DKG, so none would come; the Report's
// DKG time is then filled only if the outcome arrived.
func (s *Service) JoinWith(ctx context.Context, t Ticket, request func(ctx context.Context) ([]byte, uint64, error)) (Report, error) {
	if s.cfg.Syncer == nil {
		return Report{}, fmt.Errorf("%w: Join needs a Syncer", ErrConfig)
	}
	t0 := s.cfg.Now()
	ns := journal.AuthorityNS(t.Authority)
	s.cfg.Journal.Join(ns)
	a, err := s.adopt(t.Authority)
	if err != nil {
		return Report{}, err
	}
	s.stopResume(a) // a stale pending join of aid is replaced
	jn := &joining{ticket: t, dkg: make(chan dkgOutcome, 1)}
	s.mu.Lock()
	a.joining = jn
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		a.joining = nil
		s.mu.Unlock()
	}()
	if err := s.trustInviter(ctx, ns, t); err != nil {
		return Report{}, err
	}
	rec := PendingJoin{Authority: t.Authority, InviterKey: t.InviterKey, Inviter: t.Inviter, Addrs: t.Addrs,
		ExpiryMs: t.ExpiryMs, Code: t.Code}
	if err := s.savePending(ctx, rec); err != nil {
		return Report{}, err
	}
	sealed, keyEpoch, err := request(ctx)
	if err != nil {
		if sealed, keyEpoch, err = s.requestAgain(ctx, rec, err); err != nil {
			return Report{}, err
		}
	}
	out, err := s.keepReply(ctx, jn, rec, sealed, keyEpoch)
	if err != nil {
		return Report{}, err
	}
	secret, err := openSealed(s.cfg.Device, sealed)
	if err != nil {
		s.dropPending(s.ctx, t.Authority)
		return Report{}, err
	}
	s.mu.Lock()
	a.secrets[out.keyEpoch] = secret
	s.mu.Unlock()
	if err := s.waitListed(ctx, a, t); err != nil {
		return Report{}, err // the record stays: the next Start resumes
	}
	s.dropPending(s.ctx, t.Authority)
	if out.took == 0 {
		select {
		case o := <-jn.dkg:
			out.took = o.took
		default:
		}
	}
	rep := s.joinReport(a)
	rep.DKG, rep.Total = out.took, s.cfg.Now().Sub(t0)
	return rep, nil
}

// requestAgain handles a failed first JoinRequest (err): the stream may
// have broken after the inviter committed the AddLeaf, so a resumable
// record (a Code and a ResumeRequest) re-sends it like Start would
// (resend: the inviter answers the same device again with its stored
// JoinResult). A refusal drops the record (ErrRejoinNeeded); ctx or Close
// ending keeps it for the next Start. A record without a Code is dropped:
// nothing could re-send it.
func (s *Service) requestAgain(ctx context.Context, rec PendingJoin, err error) ([]byte, uint64, error) {
	s.mu.Lock()
	canResend := s.rerequest != nil
	s.mu.Unlock()
	if rec.Code == "" || !canResend {
		s.dropPending(s.ctx, rec.Authority)
		return nil, 0, fmt.Errorf("treesvc: join request: %w", err)
	}
	if ctx.Err() != nil || s.ctx.Err() != nil {
		return nil, 0, fmt.Errorf("treesvc: join request (resumes at the next start): %w", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	defer func() { stop(); cancel() }()
	p, ok := s.resend(rctx, rec, s.log.With("authority", rec.Authority.String()))
	if !ok {
		if rctx.Err() != nil {
			return nil, 0, fmt.Errorf("treesvc: join request (resumes at the next start): %w", err)
		}
		if errors.Is(err, ErrRejoinNeeded) {
			return nil, 0, fmt.Errorf("treesvc: join request: %w", err)
		}
		return nil, 0, fmt.Errorf("treesvc: join request: %w: %w", ErrRejoinNeeded, err)
	}
	// As Join's caller does with the first reply: serve the namespace under
	// the new key epoch's secret before a Genesis is reduced.
	if secret, err := openSealed(s.cfg.Device, p.Sealed); err == nil {
		if err := s.cfg.Syncer.SetSecrets(ctx, journal.AuthorityNS(rec.Authority), [][]byte{secret}); err != nil {
			s.log.Warn("join: sync secret not installed", "authority", rec.Authority.String(), "err", err)
		}
	}
	return p.Sealed, p.KeyEpoch, nil
}

// trustInviter trusts t's inviter for ns in the Syncer (if a Truster).
func (s *Service) trustInviter(ctx context.Context, ns journal.Namespace, t Ticket) error {
	if tr, ok := s.cfg.Syncer.(Truster); ok {
		if err := tr.Trust(ctx, ns, tree.DeviceIDOf(t.InviterKey), t.InviterKey, t.Inviter); err != nil {
			return fmt.Errorf("treesvc: trust inviter: %w", err)
		}
	}
	return nil
}

// keepReply persists the inviter's reply at once (with its key epoch if
// the reply carried it or the joiner's DKG already reported it), then,
// unless the reply carried it, waits for the DKG outcome and stores its
// key epoch too.
func (s *Service) keepReply(ctx context.Context, jn *joining, rec PendingJoin, sealed []byte, keyEpoch uint64) (dkgOutcome, error) {
	rec.Sealed = sealed
	if keyEpoch != 0 {
		rec.KeyEpoch = keyEpoch
		out := dkgOutcome{keyEpoch: keyEpoch}
		select {
		case o := <-jn.dkg:
			out.took = o.took
		default:
		}
		return out, s.savePending(ctx, rec)
	}
	var out dkgOutcome
	have := false
	select {
	case out = <-jn.dkg:
		have = out.err == nil
		if have {
			rec.KeyEpoch = out.keyEpoch
		}
	default:
	}
	if err := s.savePending(ctx, rec); err != nil {
		return dkgOutcome{}, err
	}
	if !have && out.err == nil {
		select {
		case out = <-jn.dkg:
		case <-ctx.Done():
			return dkgOutcome{}, ctx.Err()
		case <-s.ctx.Done():
			return dkgOutcome{}, ErrClosed
		}
	}
	if out.err != nil {
		return dkgOutcome{}, fmt.Errorf("treesvc: join DKG: %w", out.err)
	}
	if !have {
		rec.KeyEpoch = out.keyEpoch
		if err := s.savePending(ctx, rec); err != nil {
			return dkgOutcome{}, err
		}
	}
	return out, nil
}

// openSealed opens the inviter's sealed AuthoritySecret with d's DH key.
func openSealed(d Device, sealed []byte) ([]byte, error) {
	secret, err := seal.Open(d.DH, sealed)
	if err != nil {
		return nil, fmt.Errorf("treesvc: inviter's sealed secret: %w", err)
	}
	return secret, nil
}

// waitListed exports the secrets and pulls from the inviter until the
// reduced state lists this device.
func (s *Service) waitListed(ctx context.Context, a *auth, t Ticket) error {
	backoff := joinBackoffMin
	for {
		if err := s.refresh(ctx, a); err != nil {
			return err
		}
		s.mu.Lock()
		st := a.state()
		s.mu.Unlock()
		if st != nil && isLeaf(st, s.self) {
			return nil
		}
		if err := s.cfg.Syncer.Pull(ctx, a.ns, t.Inviter); err != nil {
			s.log.Debug("join pull failed", "err", err)
		}
		if err := s.refresh(ctx, a); err != nil {
			return err
		}
		s.mu.Lock()
		st = a.state()
		s.mu.Unlock()
		if st != nil && isLeaf(st, s.self) {
			return nil
		}
		tm := time.NewTimer(backoff)
		select {
		case <-tm.C:
		case <-ctx.Done():
			tm.Stop()
			return ctx.Err()
		case <-s.ctx.Done():
			tm.Stop()
			return ErrClosed
		}
		backoff = min(2*backoff, joinBackoffMax)
	}
}

// joinReport describes the applied commit that added this device.
func (s *Service) joinReport(a *auth) Report {
	s.mu.Lock()
	res := a.res
	s.mu.Unlock()
	st := res.State
	rep := Report{Authority: a.aid, Epoch: st.Epoch, KeyEpoch: st.KeyEpoch, Root: st.Root, Path: "join"}
	me := s.cfg.Device.pub()
	for _, id := range res.Applied {
		e, err := s.cfg.Journal.Store().Get(s.ctx, a.ns, id)
		if err != nil {
			continue
		}
		f, err := consensus.CommitFromFact(e.Fact)
		if err != nil {
			continue
		}
		op, err := tree.DecodeTreeOp(f.Op)
		if err != nil || op.Add == nil || op.Add.DeviceKey != me {
			continue
		}
		rep.CID = f.CID
		rep.Path = "single"
		if f.Threshold > 1 {
			rep.Path = pathName(f.Path)
		}
		rep.Sealed = op.NewKey.SealedSecrets[op.Add.ID]
	}
	return rep
}
