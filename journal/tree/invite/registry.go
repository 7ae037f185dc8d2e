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
)

// Registry defaults.
const (
	// DefaultMaxPending bounds stored invites (pending and used until
	// their expiry); a JoinRequest is checked against each live one.
	DefaultMaxPending = 64
	// keyPrefix is the datastore namespace: /aura/inv/<hex(SecretHash)>.
	keyPrefix = "/aura/inv/"
	// record states.
	statePending  = 0
	stateUsed     = 1
	recordVersion = 1
)

// RegistryConfig configures a Registry. Zero values take the documented
// default.
type RegistryConfig struct {
	// MaxPending bounds stored invites; zero ⇒ DefaultMaxPending.
	MaxPending int
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
}

type record struct {
	inv  Invite
	used bool
}

// OpenRegistry loads every stored invite from d. Records that do not
// decode, or whose key is not their SecretHash, are skipped and logged
// (they can never be consumed: fail closed).
func OpenRegistry(ctx context.Context, d ds.Batching, cfg RegistryConfig) (*Registry, error) {
	if d == nil || cfg.MaxPending < 0 {
		return nil, fmt.Errorf("%w: registry needs a datastore and MaxPending ≥ 0", ErrConfig)
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Registry{d: d, cfg: cfg, recs: map[[32]byte]*record{}}
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

// Consume finds the stored invite whose Secret and Authority make req's
// MAC (constant-time comparison against each stored invite), and marks it
// used in one synced write before returning it. Errors: ErrUnknown (no
// invite makes this MAC), ErrUsed, ErrExpired (at now), ErrStore (the
// mark was not written; the invite stays pending).
func (r *Registry) Consume(ctx context.Context, req JoinRequest, now time.Time) (Invite, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var hit *record
	var hitKey [32]byte
	for h, rec := range r.recs {
		if req.Verify(rec.inv) { // every record is checked; at most one matches (distinct secrets)
			hit, hitKey = rec, h
		}
	}
	switch {
	case hit == nil:
		return Invite{}, ErrUnknown
	case hit.used:
		return Invite{}, ErrUsed
	case hit.inv.Expired(now):
		return Invite{}, ErrExpired
	}
	used := &record{inv: hit.inv, used: true}
	if err := r.put(ctx, hitKey, used); err != nil {
		return Invite{}, err
	}
	r.recs[hitKey] = used
	return hit.inv, nil
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
		if rec.inv.Expired(now) {
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

// encodeRecord is u8 1 ‖ u8 state ‖ the invite's canonical body.
func encodeRecord(rec *record) []byte {
	st := byte(statePending)
	if rec.used {
		st = stateUsed
	}
	return append([]byte{recordVersion, st}, rec.inv.canonical()...)
}

// decodeRecord decodes a stored record and checks its key.
func decodeRecord(key string, v []byte) (*record, [32]byte, error) {
	var h [32]byte
	if len(v) < 2 || v[0] != recordVersion || v[1] > stateUsed {
		return nil, h, errors.New("invite: bad record header")
	}
	inv, err := decodeBody(v[2:])
	if err != nil {
		return nil, h, err
	}
	h = inv.SecretHash()
	if key != recordKey(h).String() {
		return nil, h, errors.New("invite: record key is not its secret hash")
	}
	return &record{inv: inv, used: v[1] == stateUsed}, h, nil
}
