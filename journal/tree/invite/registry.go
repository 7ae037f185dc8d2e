package invite

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// Registry defaults.
const (
	// DefaultMaxPending bounds stored invites (pending and used until
	// their expiry); a JoinRequest is checked against each live one.
	DefaultMaxPending = 64
	// keyPrefix is the datastore namespace: /aura/inv/<hex(SecretHash)>.
	keyPrefix = "/aura/inv/"
	// record states.
	statePending = 0
	stateUsed    = 1
	// recordV1 records hold no candidate (written before idempotent
	// joins; a used v1 record is never replayed); recordVersion records
	// (v2) hold the consuming candidate and, once OnJoin succeeded, its
	// JoinResult.
	recordV1      = 1
	recordVersion = 2
	// DefaultUsedGrace is how long past ExpiryMs a used invite with a
	// stored JoinResult is kept and replayed to the device that used it.
	DefaultUsedGrace = 24 * time.Hour
	// maxRecordBody bounds a stored record's invite body.
	maxRecordBody = 8192
)

// RegistryConfig configures a Registry. Zero values take the documented
// default.
type RegistryConfig struct {
	// MaxPending bounds stored invites; zero ⇒ DefaultMaxPending.
	MaxPending int
	// UsedGrace keeps a used invite whose JoinResult is stored for this
	// long past its ExpiryMs, so the device that used it can still fetch
	// the result again (idempotent join); zero ⇒ DefaultUsedGrace.
	UsedGrace time.Duration
	// Logger receives logs; nil ⇒ discard.
	Logger *slog.Logger
}

// Registry is the inviter's set of invites, persisted in a go-datastore
// (the node's synced Pebble store) at /aura/inv/<hex(SecretHash)>. Each
// record holds the whole invite, Secret included (the MAC needs it), and
// a used flag: Consume marks the matching invite used in one synced
// write before it returns, so a code works once, also across restarts.
// Records are deleted by Prune once expired. Safe for concurrent use:
// one mutex serialises every operation (they are short; the datastore
// write is the only I/O).
type Registry struct {
	mu   sync.Mutex
	d    ds.Batching
	cfg  RegistryConfig
	recs map[[32]byte]*record
	// inflight holds, per invite admitted by Admit and not yet Released,
	// a channel closed by Release (same-device duplicates wait on it).
	inflight map[[32]byte]chan struct{}
}

type record struct {
	inv  Invite
	used bool
	// cand is the device that consumed the invite (nil while pending and
	// in v1 records).
	cand *Candidate
	// sealed and epoch are the JoinResult sent to cand (nil until OnJoin
	// succeeded and Complete stored it).
	sealed []byte
	epoch  uint64
}

// expired reports whether rec may be pruned at now: at ExpiryMs, or
// ExpiryMs+grace for a used record with a stored JoinResult.
func (rec *record) expired(now time.Time, grace time.Duration) bool {
	if rec.used && rec.sealed != nil {
		return now.UnixMilli() > rec.inv.ExpiryMs+grace.Milliseconds()
	}
	return rec.inv.Expired(now)
}

// OpenRegistry loads every stored invite from d. Records that do not
// decode, or whose key is not their SecretHash, are skipped and logged
// (they can never be consumed: fail closed).
func OpenRegistry(ctx context.Context, d ds.Batching, cfg RegistryConfig) (*Registry, error) {
	if d == nil || cfg.MaxPending < 0 || cfg.UsedGrace < 0 {
		return nil, fmt.Errorf("%w: registry needs a datastore, MaxPending ≥ 0 and UsedGrace ≥ 0", ErrConfig)
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.UsedGrace == 0 {
		cfg.UsedGrace = DefaultUsedGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Registry{d: d, cfg: cfg, recs: map[[32]byte]*record{}, inflight: map[[32]byte]chan struct{}{}}
	res, err := d.Query(ctx, query.Query{Prefix: strings.TrimSuffix(keyPrefix, "/")})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	defer res.Close()
	for e := range res.Next() {
		if e.Error != nil {
			return nil, fmt.Errorf("%w: %w", ErrStore, e.Error)
		}
		rec, h, err := decodeRecord(e.Key, e.Value)
		if err != nil {
			cfg.Logger.Warn("invite: skipping corrupt record", "key", e.Key, "err", err)
			continue
		}
		r.recs[h] = rec
	}
	return r, nil
}

// Add stores inv as pending (synced). It prunes expired records first and
// refuses an invite that is already expired (ErrExpired), already stored
// (ErrExists, also once used) or beyond MaxPending (ErrFull).
func (r *Registry) Add(ctx context.Context, inv Invite, now time.Time) error {
	if err := inv.check(); err != nil {
		return err
	}
	if inv.Expired(now) {
		return ErrExpired
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.pruneLocked(ctx, now); err != nil {
		return err
	}
	h := inv.SecretHash()
	if _, ok := r.recs[h]; ok {
		return ErrExists
	}
	if len(r.recs) >= r.cfg.MaxPending {
		return ErrFull
	}
	rec := &record{inv: inv}
	if err := r.put(ctx, h, rec); err != nil {
		return err
	}
	r.recs[h] = rec
	return nil
}

// Consume is the strict one-use form of Admit: a fresh admission is
// returned (and released at once: Complete is not possible afterwards),
// every used invite is ErrUsed, also for the device that used it.
// Errors: ErrUnknown (no invite makes this MAC), ErrUsed, ErrExpired (at
// now), ErrStore (the mark was not written; the invite stays pending).
func (r *Registry) Consume(ctx context.Context, req JoinRequest, now time.Time) (Invite, error) {
	a, err := r.Admit(ctx, req, now)
	if err != nil {
		return Invite{}, err
	}
	if a.Sealed != nil || a.Wait != nil {
		return Invite{}, ErrUsed
	}
	r.Release(a.Key)
	return a.Invite, nil
}

// Admission is Registry.Admit's answer: exactly one of a fresh
// admission (Sealed and Wait nil), a replay (Sealed set) or a wait (Wait
// set).
type Admission struct {
	// Invite is the matched invite (fresh admission and replay).
	Invite Invite
	// Key is the invite's SecretHash, for Complete and Release.
	Key [32]byte
	// Sealed and KeyEpoch are the JoinResult stored for this same device
	// by an earlier, completed join of this invite: answer with them again
	// (no new ceremony).
	Sealed   []byte
	KeyEpoch uint64
	// Wait, if non-nil, is closed when the same device's running
	// ceremony for this invite ends (Release): call Admit again then.
	Wait <-chan struct{}
}

// Admit finds the stored invite whose Secret and Authority make req's
// MAC (constant-time comparison against each stored invite) and decides:
//
//   - pending, unexpired: marks it used by req's candidate (DeviceKey,
//     DHKey, PeerID) in one synced write and returns a fresh admission;
//     the caller runs the ceremony, stores its result with Complete and
//     always calls Release;
//   - used by this same candidate with a stored JoinResult, at most
//     UsedGrace past ExpiryMs: a replay of that result;
//   - used by this same candidate whose ceremony still runs: Wait;
//   - otherwise ErrUsed (another device, a ceremony that failed or was
//     cut by a restart, a v1 record), ErrExpired, ErrUnknown (no invite
//     makes this MAC) or ErrStore (nothing changed).
func (r *Registry) Admit(ctx context.Context, req JoinRequest, now time.Time) (Admission, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var hit *record
	var hitKey [32]byte
	for h, rec := range r.recs {
		if req.Verify(rec.inv) { // every record is checked; at most one matches (distinct secrets)
			hit, hitKey = rec, h
		}
	}
	if hit == nil {
		return Admission{}, ErrUnknown
	}
	if hit.used {
		return r.again(hit, hitKey, req.Candidate, now)
	}
	if hit.inv.Expired(now) {
		return Admission{}, ErrExpired
	}
	c := req.Candidate
	used := &record{inv: hit.inv, used: true, cand: &c}
	if err := r.put(ctx, hitKey, used); err != nil {
		return Admission{}, err
	}
	r.recs[hitKey] = used
	r.inflight[hitKey] = make(chan struct{})
	return Admission{Invite: hit.inv, Key: hitKey}, nil
}

// again answers a request for a used invite (Admit, r.mu held).
func (r *Registry) again(rec *record, h [32]byte, c Candidate, now time.Time) (Admission, error) {
	if rec.cand == nil || *rec.cand != c {
		return Admission{}, ErrUsed
	}
	if ch, ok := r.inflight[h]; ok {
		return Admission{Key: h, Wait: ch}, nil
	}
	if rec.sealed == nil {
		return Admission{}, ErrUsed
	}
	if rec.expired(now, r.cfg.UsedGrace) {
		return Admission{}, ErrExpired
	}
	return Admission{Invite: rec.inv, Key: h, Sealed: append([]byte(nil), rec.sealed...), KeyEpoch: rec.epoch}, nil
}

// Complete stores the JoinResult of the admitted invite key in its used
// record (one synced write), so the same device's later requests get it
// again. Errors: ErrUnknown (no used record for key, e.g. revoked),
// ErrStore.
func (r *Registry) Complete(ctx context.Context, key [32]byte, sealed []byte, keyEpoch uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.recs[key]
	if rec == nil || !rec.used || rec.cand == nil {
		return ErrUnknown
	}
	done := &record{inv: rec.inv, used: true, cand: rec.cand, sealed: append([]byte(nil), sealed...), epoch: keyEpoch}
	if err := r.put(ctx, key, done); err != nil {
		return err
	}
	r.recs[key] = done
	return nil
}

// Release ends the admission of key (Admit): same-device requests
// waiting on it proceed. Idempotent.
func (r *Registry) Release(key [32]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.inflight[key]; ok {
		close(ch)
		delete(r.inflight, key)
	}
}

// Revoke deletes the invite with this SecretHash (pending or used);
// unknown hashes are not an error.
func (r *Registry) Revoke(ctx context.Context, secretHash [32]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.deleteBatch(ctx, [][32]byte{secretHash}); err != nil {
		return err
	}
	delete(r.recs, secretHash)
	return nil
}

// Prune deletes every record expired at now (pending or used) in one
// synced batch.
func (r *Registry) Prune(ctx context.Context, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pruneLocked(ctx, now)
}

// Pending lists the unused, unexpired invites at now (for the control
// API), in no particular order.
func (r *Registry) Pending(now time.Time) []Invite {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Invite
	for _, rec := range r.recs {
		if !rec.used && !rec.inv.Expired(now) {
			out = append(out, rec.inv)
		}
	}
	return out
}

// Len is the number of stored records (pending and used).
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

func (r *Registry) pruneLocked(ctx context.Context, now time.Time) error {
	var gone [][32]byte
	for h, rec := range r.recs {
		if _, running := r.inflight[h]; !running && rec.expired(now, r.cfg.UsedGrace) {
			gone = append(gone, h)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	if err := r.deleteBatch(ctx, gone); err != nil {
		return err
	}
	for _, h := range gone {
		delete(r.recs, h)
	}
	return nil
}

// deleteBatch deletes the records of hs in one synced batch.
func (r *Registry) deleteBatch(ctx context.Context, hs [][32]byte) error {
	b, err := r.d.Batch(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	for _, h := range hs {
		if err := b.Delete(ctx, recordKey(h)); err != nil {
			return fmt.Errorf("%w: %w", ErrStore, err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

// put writes one record in a synced batch (journal.OpenPebble commits
// batches with pebble.Sync).
func (r *Registry) put(ctx context.Context, h [32]byte, rec *record) error {
	b, err := r.d.Batch(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if err := b.Put(ctx, recordKey(h), encodeRecord(rec)); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

func recordKey(h [32]byte) ds.Key { return ds.RawKey(keyPrefix + hex.EncodeToString(h[:])) }

// encodeRecord is u8 2 ‖ u8 state ‖ lp(the invite's canonical body) ‖
// for a used record: u8 n ‖ (n ≥ 1: DeviceKey ‖ DHKey ‖ lp(peer id)) ‖
// (n = 2: lp(sealed) ‖ u64 key epoch), n = 0 no candidate, 1 candidate,
// 2 candidate and JoinResult. (v1 was u8 1 ‖ u8 state ‖ body.)
func encodeRecord(rec *record) []byte {
	var e canon.Encoder
	st := byte(statePending)
	if rec.used {
		st = stateUsed
	}
	e.U8(recordVersion).U8(st).LP(rec.inv.canonical())
	switch {
	case !rec.used:
	case rec.cand == nil:
		e.U8(0)
	case rec.sealed == nil:
		e.U8(1).Raw(rec.cand.DeviceKey[:]).Raw(rec.cand.DHKey[:]).LP([]byte(rec.cand.Peer))
	default:
		e.U8(2).Raw(rec.cand.DeviceKey[:]).Raw(rec.cand.DHKey[:]).LP([]byte(rec.cand.Peer))
		e.LP(rec.sealed).U64(rec.epoch)
	}
	return e.Bytes()
}

// decodeRecord decodes a stored record (v1 or v2) and checks its key.
func decodeRecord(key string, v []byte) (*record, [32]byte, error) {
	var h [32]byte
	if len(v) < 2 || (v[0] != recordV1 && v[0] != recordVersion) || v[1] > stateUsed {
		return nil, h, errors.New("invite: bad record header")
	}
	rec := &record{used: v[1] == stateUsed}
	var err error
	if v[0] == recordV1 {
		rec.inv, err = decodeBody(v[2:])
	} else {
		err = decodeRecordV2(rec, v[2:])
	}
	if err != nil {
		return nil, h, err
	}
	h = rec.inv.SecretHash()
	if key != recordKey(h).String() {
		return nil, h, errors.New("invite: record key is not its secret hash")
	}
	return rec, h, nil
}

// decodeRecordV2 decodes a v2 record after its header into rec.
func decodeRecordV2(rec *record, b []byte) error {
	r := &reader{b: b}
	body := r.lp(maxRecordBody)
	if r.bad {
		return errors.New("invite: bad record body")
	}
	inv, err := decodeBody(body)
	if err != nil {
		return err
	}
	rec.inv = inv
	if rec.used {
		decodeUsed(r, rec)
	}
	if r.bad || len(r.b) != 0 {
		return errors.New("invite: bad record")
	}
	return nil
}

// decodeUsed reads a v2 used record's candidate and result into rec.
func decodeUsed(r *reader, rec *record) {
	n := r.u8()
	if n == 0 || n > 2 {
		if n > 2 {
			r.fail()
		}
		return
	}
	var c Candidate
	r.fixed(c.DeviceKey[:])
	r.fixed(c.DHKey[:])
	c.Peer = peer.ID(r.lp(MaxPeerIDBytes))
	rec.cand = &c
	if n == 2 {
		rec.sealed = append([]byte(nil), r.lp(SealedSecretLen)...)
		rec.epoch = r.u64()
		if len(rec.sealed) != SealedSecretLen {
			r.fail()
		}
	}
}
