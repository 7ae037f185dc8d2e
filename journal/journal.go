package journal

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Membership says which namespaces this node belongs to (SPEC §16.13):
// its own authority and the contexts it is a member of.
type Membership interface {
	IsMember(ns Namespace) bool
}

// Journal is the node's journal: stateless ingress, membership, the
// deferred queue and the Store. It is safe for concurrent use: writes are
// serialised inside the Store (the single owner of every register
// read-modify-write); membership has its own lock.
type Journal struct {
	cfg   Config
	check *Checker
	store *Store

	mu      sync.RWMutex
	members map[Namespace]struct{}
}

// Open opens a Journal over d.
func Open(ctx context.Context, d Datastore, cfg Config) (*Journal, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s, err := OpenStore(ctx, d, cfg)
	if err != nil {
		return nil, err
	}
	return &Journal{cfg: cfg, check: NewChecker(cfg), store: s, members: map[Namespace]struct{}{}}, nil
}

// Store is the underlying store (reads: Get, EntryIDs, Entries, Set).
func (j *Journal) Store() *Store { return j.store }

// Checker is the journal's ingress checker.
func (j *Journal) Checker() *Checker { return j.check }

// Join makes this node a member of ns.
func (j *Journal) Join(ns Namespace) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.members[ns] = struct{}{}
}

// Leave ends membership of ns (stored entries stay).
func (j *Journal) Leave(ns Namespace) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.members, ns)
}

// IsMember implements Membership.
func (j *Journal) IsMember(ns Namespace) bool {
	j.mu.RLock()
	defer j.mu.RUnlock()
	_, ok := j.members[ns]
	return ok
}

// Members lists the namespaces this node is a member of, sorted.
func (j *Journal) Members() []Namespace {
	j.mu.RLock()
	defer j.mu.RUnlock()
	out := make([]Namespace, 0, len(j.members))
	for ns := range j.members {
		out = append(out, ns)
	}
	slices.SortFunc(out, cmpNS)
	return out
}

// Outcome is what Add did with one fact.
type Outcome uint8

const (
	// Refused: the fact failed ingress (see Result.Err); nothing written.
	Refused Outcome = iota
	// Stored: acknowledged (durable, or already stored / subsumed by a
	// stored register join).
	Stored
	// Deferred: time-gated, parked in the deferred queue; not acknowledged.
	Deferred
)

// Result is Add's verdict on one fact.
type Result struct {
	Outcome Outcome
	Entry   Entry
	Err     error
}

// Add runs ingress on each raw fact of ns, defers the time-gated ones
// and stores the rest in one batch. A non-member ns is refused whole
// with ErrNotMember; a fact of another namespace is refused with
// ErrNamespaceMismatch. The error is non-nil only if the batch failed,
// in which case nothing was acknowledged.
func (j *Journal) Add(ctx context.Context, ns Namespace, now time.Time, raws ...[]byte) ([]Result, error) {
	if !j.IsMember(ns) {
		j.cfg.Metrics.EntriesRefused("not_member", len(raws))
		return nil, ErrNotMember
	}
	res := make([]Result, len(raws))
	var ok []Entry
	for i, raw := range raws {
		res[i] = j.admit(ctx, ns, raw, now)
		if res[i].Outcome == Stored {
			ok = append(ok, res[i].Entry)
		}
	}
	if len(ok) == 0 {
		return res, nil
	}
	if err := j.store.Put(ctx, ns, ok...); err != nil {
		return nil, err
	}
	return res, nil
}

// admit classifies one raw fact and parks deferred ones. The namespace
// is checked for deferred facts too: a time-gated fact of another (maybe
// non-member) namespace is refused, never parked in that namespace's
// queue.
func (j *Journal) admit(ctx context.Context, ns Namespace, raw []byte, now time.Time) Result {
	e, err := j.check.Ingress(raw, now)
	var de *DeferredError
	if (err == nil || errors.As(err, &de)) && e.Fact.NS != ns {
		err = ErrNamespaceMismatch
	}
	if errors.As(err, &de) {
		err = j.store.Defer(ctx, e, de.DueMs, j.cfg.MaxDeferred, j.cfg.MaxDeferredBytes)
		if err == nil {
			return Result{Outcome: Deferred, Entry: e}
		}
		if errors.Is(err, errAlreadyStored) {
			return Result{Outcome: Stored, Entry: e}
		}
	}
	if err != nil {
		j.cfg.Metrics.EntriesRefused(refusalReason(err), 1)
		return Result{Outcome: Refused, Err: err}
	}
	return Result{Outcome: Stored, Entry: e}
}

// Put stores entries of ns in one batch; members only. Each entry must
// have passed Checker.Ingress with a nil error at the caller's now (Put
// re-checks neither signatures nor the time gate); for received bytes
// use Add, which does both.
func (j *Journal) Put(ctx context.Context, ns Namespace, entries ...Entry) error {
	if !j.IsMember(ns) {
		j.cfg.Metrics.EntriesRefused("not_member", len(entries))
		return ErrNotMember
	}
	return j.store.Put(ctx, ns, entries...)
}

// Tick promotes every deferred fact of a member namespace that is due
// at now (SPEC §3): it is re-run through ingress and stored. Queues of
// namespaces left since they were filled stay parked until Join. It
// returns how many were stored.
func (j *Journal) Tick(ctx context.Context, now time.Time) (int, error) {
	return j.store.promote(ctx, j.check, now, j.IsMember)
}

// EntryIDs is Store.EntryIDs for a member namespace.
func (j *Journal) EntryIDs(ctx context.Context, ns Namespace) ([]EntryID, error) {
	if !j.IsMember(ns) {
		return nil, ErrNotMember
	}
	return j.store.EntryIDs(ctx, ns)
}

// Get is Store.Get for a member namespace.
func (j *Journal) Get(ctx context.Context, ns Namespace, id EntryID) (Entry, error) {
	if !j.IsMember(ns) {
		return Entry{}, ErrNotMember
	}
	return j.store.Get(ctx, ns, id)
}

// refusalReason maps an ingress error to a fixed metric label.
func refusalReason(err error) string {
	switch {
	case errors.Is(err, ErrNotMember):
		return "not_member"
	case errors.Is(err, ErrNamespaceMismatch):
		return "namespace"
	case errors.Is(err, ErrFactTooLarge):
		return "too_large"
	case errors.Is(err, ErrBadSignature):
		return "bad_signature"
	case errors.Is(err, ErrDeferTooFar):
		return "defer_too_far"
	case errors.Is(err, ErrDeferredFull):
		return "deferred_full"
	}
	return "malformed"
}
