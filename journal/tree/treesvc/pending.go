package treesvc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/journal"
)

// PendingJoinPrefix is the datastore prefix of pending joins: a Join
// writes its record at PendingJoinPrefix/<hex AuthorityID> before it
// sends the JoinRequest, adds the inviter's sealed AuthoritySecret as soon
// as the reply arrives, and deletes it once the reduced state lists this
// device (SPEC §4.1 step 2 made crash-safe). The DKG share itself is
// already persisted by dkgsvc. The record holds Ticket.Code (the
// invitation code, Secret included) so a Start can re-send the
// JoinRequest: it is local data in the node's 0700 data directory, never
// synced, deleted with the record.
const PendingJoinPrefix = "/aura/t/join"

// ResumeJoinTimeout bounds how long Start's resumption of one pending
// join pulls from the inviter (backoff joinBackoffMin..joinBackoffMax)
// before it gives up for this run and keeps the record for the next Start.
const ResumeJoinTimeout = 5 * time.Minute

// ErrRejoinNeeded reports a join interrupted before the inviter's sealed
// AuthoritySecret arrived that cannot be completed: sync Refs need that
// secret, and the inviter refused to send it again (the invitation is
// used by another device, expired past its grace, or the inviter lost the
// result), or the record keeps nothing to re-send. A member must mint a
// new invitation (device invite). A ResumeRequest wraps it to report a
// final refusal.
var ErrRejoinNeeded = errors.New("treesvc: join interrupted before the inviter's reply; ask a member for a new invitation")

// ResumeRequest re-sends the JoinRequest of the pending join p (from
// p.Code) and returns the inviter's reply: the sealed AuthoritySecret and
// its key epoch (the inviter answers the same device's repeat request
// with the stored JoinResult, journal/tree/invite). An error wrapping
// ErrRejoinNeeded is a refusal; any other error is retried with backoff.
type ResumeRequest func(ctx context.Context, p PendingJoin) (sealed []byte, keyEpoch uint64, err error)

// resumeRefusals is how many refusals in a row (ErrRejoinNeeded from the
// ResumeRequest, spaced by the join backoff) drop a pending join: one
// refusal may be transient (the inviter busy or restarting).
const resumeRefusals = 3

// SetResumeRequest installs the callback Start uses to re-send the
// JoinRequest of a pending join stored without the inviter's reply. Call
// it before Start; without it such a record is dropped (ErrRejoinNeeded).
func (s *Service) SetResumeRequest(f ResumeRequest) {
	s.mu.Lock()
	s.rerequest = f
	s.mu.Unlock()
}

// PendingJoin is the persisted state of a Join not yet listed.
type PendingJoin struct {
	Authority  journal.AuthorityID
	InviterKey [32]byte
	Inviter    peer.ID
	// Addrs are the inviter's multiaddrs (binary) from the invitation,
	// for the node to make the inviter dialable again.
	Addrs [][]byte
	// ExpiryMs is the invitation's expiry (Unix ms; 0 ⇒ none).
	ExpiryMs int64
	// Sealed is the inviter's reply (AuthoritySecret_{k+1} sealed to this
	// device's DHKey); nil until it arrived.
	Sealed []byte
	// KeyEpoch is the key epoch of Sealed once the joiner's DKG reported
	// it (0 ⇒ unknown).
	KeyEpoch uint64
	// Code is Ticket.Code: what the node needs to re-send the JoinRequest
	// (the invitation code, Secret included; local data only).
	Code string
}

// pendingWire is PendingJoin's stored form (JSON; the peer as raw bytes
// so any peer.ID, even an empty one, round-trips).
type pendingWire struct {
	Authority  journal.AuthorityID `json:"authority"`
	InviterKey [32]byte            `json:"inviter_key"`
	Inviter    []byte              `json:"inviter"`
	Addrs      [][]byte            `json:"addrs,omitempty"`
	ExpiryMs   int64               `json:"expiry_ms,omitempty"`
	Sealed     []byte              `json:"sealed,omitempty"`
	KeyEpoch   uint64              `json:"key_epoch,omitempty"`
	Code       string              `json:"code,omitempty"`
}

// EncodePending is p's stored form (PendingJoinKey(p.Authority)).
func EncodePending(p PendingJoin) ([]byte, error) {
	return json.Marshal(pendingWire{Authority: p.Authority, InviterKey: p.InviterKey, Inviter: []byte(p.Inviter),
		Addrs: p.Addrs, ExpiryMs: p.ExpiryMs, Sealed: p.Sealed, KeyEpoch: p.KeyEpoch, Code: p.Code})
}

// Ticket returns the record's Ticket.
func (p PendingJoin) Ticket() Ticket {
	return Ticket{Authority: p.Authority, InviterKey: p.InviterKey, Inviter: p.Inviter, Addrs: p.Addrs,
		ExpiryMs: p.ExpiryMs, Code: p.Code}
}

// Expired reports whether the invitation expired at now.
func (p PendingJoin) Expired(now time.Time) bool {
	return p.ExpiryMs != 0 && now.UnixMilli() > p.ExpiryMs
}

// PendingJoinKey is the datastore key of aid's pending join.
func PendingJoinKey(aid journal.AuthorityID) ds.Key {
	return ds.NewKey(PendingJoinPrefix).ChildString(hex.EncodeToString(aid[:]))
}

// PendingJoins lists the pending joins stored in d (a node reads them
// before Start to make each inviter dialable). Undecodable records are
// skipped.
func PendingJoins(ctx context.Context, d ds.Datastore) ([]PendingJoin, error) {
	res, err := d.Query(ctx, query.Query{Prefix: PendingJoinPrefix})
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []PendingJoin
	for r := range res.Next() {
		if r.Error != nil {
			return nil, r.Error
		}
		p, err := decodePending(r.Value)
		if err != nil || ds.NewKey(r.Key) != PendingJoinKey(p.Authority) {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

func decodePending(b []byte) (PendingJoin, error) {
	var w pendingWire
	if err := json.Unmarshal(b, &w); err != nil {
		return PendingJoin{}, fmt.Errorf("treesvc: pending join record: %w", err)
	}
	return PendingJoin{Authority: w.Authority, InviterKey: w.InviterKey, Inviter: peer.ID(w.Inviter),
		Addrs: w.Addrs, ExpiryMs: w.ExpiryMs, Sealed: w.Sealed, KeyEpoch: w.KeyEpoch, Code: w.Code}, nil
}

func (s *Service) savePending(ctx context.Context, p PendingJoin) error {
	b, err := EncodePending(p)
	if err != nil {
		return err
	}
	if err := s.cfg.Datastore.Put(ctx, PendingJoinKey(p.Authority), b); err != nil {
		return fmt.Errorf("treesvc: store pending join: %w", err)
	}
	return s.cfg.Datastore.Sync(ctx, ds.NewKey(PendingJoinPrefix))
}

func (s *Service) dropPending(ctx context.Context, aid journal.AuthorityID) {
	if err := s.cfg.Datastore.Delete(ctx, PendingJoinKey(aid)); err != nil && !errors.Is(err, ds.ErrNotFound) {
		s.log.Warn("pending join not deleted", "authority", aid.String(), "err", err)
	}
}

// resumer is a running resumption of a pending join (auth.resume).
type resumer struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// stopResume cancels a's resumption, if any, and waits for it.
func (s *Service) stopResume(a *auth) {
	s.mu.Lock()
	r := a.resume
	s.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
}

// resumeJoins runs at Start: each pending join whose device is already
// listed is dropped; one without the sealed secret is dropped with
// ErrRejoinNeeded logged unless it can be re-requested (a Code and a
// ResumeRequest); one with the sealed secret whose invitation expired is
// dropped (a re-requested one is judged by the inviter, which keeps a
// used invitation's result past expiry); every other one resumes in the
// background (resumeJoin).
func (s *Service) resumeJoins(ctx context.Context) error {
	recs, err := PendingJoins(ctx, s.cfg.Datastore)
	if err != nil {
		return fmt.Errorf("treesvc: pending joins: %w", err)
	}
	s.mu.Lock()
	canResend := s.rerequest != nil
	s.mu.Unlock()
	for _, p := range recs {
		if s.listed(p.Authority) {
			s.dropPending(ctx, p.Authority)
			continue
		}
		switch {
		case p.Sealed == nil && (p.Code == "" || !canResend):
			s.log.Warn("pending join dropped", "authority", p.Authority.String(), "err", ErrRejoinNeeded)
			s.dropPending(ctx, p.Authority)
			continue
		case p.Sealed != nil && p.Expired(s.cfg.Now()):
			s.log.Warn("pending join dropped: invitation expired and this device is still not listed",
				"authority", p.Authority.String())
			s.dropPending(ctx, p.Authority)
			continue
		case s.cfg.Syncer == nil:
			continue
		}
		if err := s.startResume(p); err != nil {
			return err
		}
	}
	return nil
}

// listed reports whether this device is a leaf of aid's reduced state.
func (s *Service) listed(aid journal.AuthorityID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.auths[aid]
	if a == nil || a.state() == nil {
		return false
	}
	return isLeaf(a.state(), s.self)
}

func (s *Service) startResume(p PendingJoin) error {
	s.cfg.Journal.Join(journal.AuthorityNS(p.Authority))
	a, err := s.adopt(p.Authority)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.ctx, ResumeJoinTimeout)
	r := &resumer{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	a.resume = r
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(r.done)
		defer cancel()
		s.resumeJoin(ctx, a, p)
		s.mu.Lock()
		if a.resume == r {
			a.resume = nil
		}
		s.mu.Unlock()
	}()
	return nil
}

// resumeJoin trusts the inviter again, re-requests the sealed secret if
// the record lacks it (resend), installs it and pulls until the reduced
// state lists this device; then it drops the record. Giving up
// (ResumeJoinTimeout, Close) keeps it for the next Start.
func (s *Service) resumeJoin(ctx context.Context, a *auth, p PendingJoin) {
	t := p.Ticket()
	log := s.log.With("authority", p.Authority.String())
	if err := s.trustInviter(ctx, a.ns, t); err != nil {
		log.Warn("pending join: trust inviter", "err", err)
		return
	}
	if p.Sealed == nil {
		var ok bool
		if p, ok = s.resend(ctx, p, log); !ok {
			return
		}
	}
	secret, err := openSealed(s.cfg.Device, p.Sealed)
	if err != nil {
		log.Warn("pending join dropped: sealed secret does not open", "err", err)
		s.dropPending(ctx, p.Authority)
		return
	}
	if p.KeyEpoch != 0 {
		s.mu.Lock()
		a.secrets[p.KeyEpoch] = secret
		s.mu.Unlock()
	}
	// Before a Genesis is reduced the tree service exports nothing: serve
	// the namespace under the new key epoch's secret at once.
	if err := s.cfg.Syncer.SetSecrets(ctx, a.ns, [][]byte{secret}); err != nil {
		log.Warn("pending join: sync secret not installed", "err", err)
	}
	if err := s.waitListed(ctx, a, t); err != nil {
		if s.ctx.Err() == nil {
			log.Warn("pending join not resumed; record kept for the next start", "err", err, "after", ResumeJoinTimeout)
		}
		return
	}
	s.dropPending(s.ctx, p.Authority)
	log.Info("pending join resumed: this device is listed")
}

// resend re-sends p's JoinRequest through the ResumeRequest until the
// inviter answers (the reply is stored in the record at once), refuses
// resumeRefusals times in a row (the record is dropped, ErrRejoinNeeded
// logged) or ctx ends (the record is kept).
func (s *Service) resend(ctx context.Context, p PendingJoin, log *slog.Logger) (PendingJoin, bool) {
	s.mu.Lock()
	req := s.rerequest
	s.mu.Unlock()
	backoff, refusals := joinBackoffMin, 0
	for {
		sealed, keyEpoch, err := req(ctx, p)
		switch {
		case err == nil:
			p.Sealed, p.KeyEpoch = sealed, keyEpoch
			if err := s.savePending(ctx, p); err != nil {
				log.Warn("pending join: reply not stored", "err", err)
			}
			log.Info("pending join: the inviter sent its reply again", "key_epoch", keyEpoch)
			return p, true
		case ctx.Err() != nil:
			return p, false
		case errors.Is(err, ErrRejoinNeeded):
			if refusals++; refusals >= resumeRefusals {
				log.Warn("pending join dropped: the inviter refused the repeated request", "err", err)
				s.dropPending(s.ctx, p.Authority)
				return p, false
			}
		default:
			refusals = 0
			log.Debug("pending join: request not answered", "err", err)
		}
		tm := time.NewTimer(backoff)
		select {
		case <-tm.C:
		case <-ctx.Done():
			tm.Stop()
			return p, false
		}
		backoff = min(2*backoff, joinBackoffMax)
	}
}
