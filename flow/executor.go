package flow

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"sync"
	"time"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/guard"
)

// Stager writes a caller's keys into the JournalCoupler's batch (SPEC
// §6.4 step 4): journal facts, consensus vote-log entries, an inbound
// receipt's (nonce, cost). It must only Put/Delete; the executor commits.
// An error aborts the batch (ErrJournalCommitFailed, nothing sent).
type Stager interface {
	Stage(ctx context.Context, w ds.Write) error
}

// Finisher is an optional Stager extension: Finish is called once after
// the batch it staged into committed (true) or failed (false).
type Finisher interface {
	Finish(committed bool)
}

// StagerFunc adapts a function to Stager.
type StagerFunc func(ctx context.Context, w ds.Write) error

// Stage calls f.
func (f StagerFunc) Stage(ctx context.Context, w ds.Write) error { return f(ctx, w) }

// maxIdleKeys bounds the executor's per-key table; idle entries beyond
// it are dropped and reload from their charge record on next use.
const maxIdleKeys = 4096

// Executor performs the guard chain's decisions (SPEC §6.4 steps 2–6):
// one mutex per budget key, Spent(bk) loaded lazily from the stored
// charge record, one synced datastore batch per charge, the transport
// write only after that batch's Commit returned. Different keys run in
// parallel; Pebble folds their concurrent syncs (no application timer).
// It is safe for concurrent use.
type Executor struct {
	d   ds.Batching
	m   Metrics
	log *slog.Logger

	mu   sync.Mutex
	keys map[budget.Key]*keyState
}

// keyState is one budget key's Spent, guarded by mu; refs (under
// Executor.mu) counts goroutines holding or waiting for it.
type keyState struct {
	mu     sync.Mutex
	refs   int
	loaded bool
	spent  uint64
}

// NewExecutor returns an executor over d, which must commit batches
// synchronously and atomically (journal.OpenPebble). m and log may be nil.
func NewExecutor(d ds.Batching, m Metrics, log *slog.Logger) *Executor {
	c := Config{Metrics: m, Logger: log}.withDefaults()
	return &Executor{d: d, m: c.Metrics, log: c.Logger, keys: map[budget.Key]*keyState{}}
}

// WriteFunc is step 6: the transport write of an approved, committed
// charge. It runs after the key's lock is released.
type WriteFunc func(c guard.Charge) error

// Charge runs SPEC §6.4 for one send: Precheck (steps 0–1), then under
// bk's lock the FlowGuard (2), the receipt signature with signer (3), one
// synced batch with the charge record, the receipt-log entry and the
// stagers' keys (4), Spent = Spent' (5), and after unlocking write (6).
// Failures at 0–4 write nothing, commit nothing and never call write;
// they are *guard.DenialError (ErrAuthorizationDenied /
// ErrInsufficientBudget) or *CommitError (ErrJournalCommitFailed). A
// write error is returned as is: the charge stays. Every Finisher among
// stagers is finished exactly once, on every path (false unless the
// batch committed), so a refused send releases inbound admissions.
func (e *Executor) Charge(ctx context.Context, s *guard.Snapshot, signer ed25519.PrivateKey,
	stagers []Stager, write WriteFunc) (guard.Charge, error) {
	if err := guard.Precheck(s); err != nil {
		return guard.Charge{}, e.refuse(stagers, err)
	}
	if s.Receipt != nil && len(signer) != ed25519.PrivateKeySize {
		return guard.Charge{}, e.refuse(stagers, &guard.DenialError{Stage: guard.StageSnapshot, Err: guard.ErrBadSnapshot})
	}
	c, err := e.chargeLocked(ctx, s, signer, stagers)
	if err != nil {
		finish(stagers, false)
		return guard.Charge{}, err
	}
	finish(stagers, true)
	return c, write(c)
}

// chargeLocked is steps 2–5 under bk's lock.
func (e *Executor) chargeLocked(ctx context.Context, s *guard.Snapshot, signer ed25519.PrivateKey,
	stagers []Stager) (guard.Charge, error) {
	start := time.Now()
	k := guard.Key(s)
	ks := e.acquire(k)
	defer e.release(k, ks)
	if err := e.load(ctx, k, ks); err != nil {
		return guard.Charge{}, e.denied(&guard.DenialError{Stage: guard.StageFlow, Err: guard.ErrBudgetLookup})
	}
	c, err := guard.ChargeFrom(s, ks.spent)
	if err != nil {
		return guard.Charge{}, e.denied(err)
	}
	if c.Receipt != nil {
		c.Receipt.Sign(signer)
	}
	if err := e.commit(ctx, &c, stagers); err != nil {
		e.m.GuardDecision(StageJournal, Denied)
		e.log.Debug("flow: charge not committed", "stage", StageJournal)
		return guard.Charge{}, &CommitError{Err: err}
	}
	ks.spent = c.Spent
	e.m.GuardDecision(StageJournal, Allowed)
	e.m.ChargeDuration(time.Since(start))
	if share := s.Slots.Share(); share > 0 {
		e.m.BudgetUtilization(float64(c.Spent) / float64(share))
	}
	return c, nil
}

// acquire returns k's state locked, creating it if needed.
func (e *Executor) acquire(k budget.Key) *keyState {
	e.mu.Lock()
	ks, ok := e.keys[k]
	if !ok {
		e.pruneLocked()
		ks = &keyState{}
		e.keys[k] = ks
	}
	ks.refs++
	e.mu.Unlock()
	ks.mu.Lock()
	return ks
}

func (e *Executor) release(k budget.Key, ks *keyState) {
	ks.mu.Unlock()
	e.mu.Lock()
	ks.refs--
	e.mu.Unlock()
}

// pruneLocked drops idle keys when the table is full. An idle key's
// Spent equals its committed charge record, so it reloads exactly.
func (e *Executor) pruneLocked() {
	if len(e.keys) < maxIdleKeys {
		return
	}
	for k, ks := range e.keys {
		if ks.refs == 0 {
			delete(e.keys, k)
		}
	}
}

// load reads bk's charge record once (absent: 0). After a restart
// Spent(bk) is therefore the stored record (SPEC §6.4).
func (e *Executor) load(ctx context.Context, k budget.Key, ks *keyState) error {
	if ks.loaded {
		return nil
	}
	v, err := e.d.Get(ctx, SpentKey(k))
	switch {
	case errors.Is(err, ds.ErrNotFound):
		ks.spent = 0
	case err != nil:
		return err
	default:
		if ks.spent, err = DecodeSpent(v); err != nil {
			return err
		}
	}
	ks.loaded = true
	return nil
}

// commit is step 4: one batch, committed with the datastore's sync.
func (e *Executor) commit(ctx context.Context, c *guard.Charge, stagers []Stager) error {
	b, err := e.d.Batch(ctx)
	if err != nil {
		return err
	}
	if err := b.Put(ctx, SpentKey(c.Key), EncodeSpent(c.Spent)); err != nil {
		return err
	}
	if c.Receipt != nil {
		if err := b.Put(ctx, ReceiptLogKey(c.Key, c.Nonce), c.Receipt.Canonical()); err != nil {
			return err
		}
	}
	for _, st := range stagers {
		if err := st.Stage(ctx, b); err != nil {
			return err
		}
	}
	return b.Commit(ctx)
}

// CommitStaged commits stagers alone in one synced batch (an inbound
// receipt whose handler writes and sends nothing, SPEC §6.6).
func (e *Executor) CommitStaged(ctx context.Context, stagers ...Stager) error {
	err := e.commitOnly(ctx, stagers)
	finish(stagers, err == nil)
	if err != nil {
		return &CommitError{Err: err}
	}
	return nil
}

func (e *Executor) commitOnly(ctx context.Context, stagers []Stager) error {
	b, err := e.d.Batch(ctx)
	if err != nil {
		return err
	}
	for _, st := range stagers {
		if err := st.Stage(ctx, b); err != nil {
			return err
		}
	}
	return b.Commit(ctx)
}

// Spent returns Spent(bk) as the executor knows it (loading the record
// if needed). For tests and diagnostics.
func (e *Executor) Spent(ctx context.Context, k budget.Key) (uint64, error) {
	ks := e.acquire(k)
	defer e.release(k, ks)
	if err := e.load(ctx, k, ks); err != nil {
		return 0, err
	}
	return ks.spent, nil
}

// refuse is denied for a send refused before its batch: stagers are
// finished uncommitted (an inbound Admission releases its reservation).
func (e *Executor) refuse(stagers []Stager, err error) error {
	finish(stagers, false)
	return e.denied(err)
}

// denied counts and logs a guard refusal and returns it.
func (e *Executor) denied(err error) error {
	stage := "snapshot"
	var d *guard.DenialError
	if errors.As(err, &d) {
		stage = d.Stage.String()
	}
	e.m.GuardDecision(stage, Denied)
	e.log.Debug("flow: send denied", "stage", stage, "err", err)
	return err
}

func finish(stagers []Stager, ok bool) {
	for _, st := range stagers {
		if f, isF := st.(Finisher); isF {
			f.Finish(ok)
		}
	}
}
