package journal

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// deferQueue is the in-memory index of one namespace's durable deferred
// queue (SPEC §3 "Time-gated facts"). Values live in the datastore under
// …/d/<due ms>/<EntryID>.
type deferQueue struct {
	items map[EntryID]deferItem
	bytes int
}

type deferItem struct {
	due  uint64
	size int
}

func (s *Store) queue(ns Namespace) *deferQueue {
	q := s.deferred[ns]
	if q == nil {
		q = &deferQueue{items: map[EntryID]deferItem{}}
		s.deferred[ns] = q
	}
	return q
}

// loadDeferred indexes one deferred key found at open.
func (s *Store) loadDeferred(ctx context.Context, ns Namespace, key string) {
	id, ok1 := lastID(key)
	due, ok2 := parseDue(key)
	if !ok1 || !ok2 {
		return
	}
	raw, err := s.d.Get(ctx, deferKey(ns, due, id))
	if err != nil {
		return
	}
	q := s.queue(ns)
	q.items[id] = deferItem{due: due, size: len(raw)}
	q.bytes += len(raw)
}

// DeferredLen is the number of deferred facts of ns.
func (s *Store) DeferredLen(ns Namespace) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.deferred[ns]; q != nil {
		return len(q.items)
	}
	return 0
}

// errAlreadyStored: Defer found the entry already acknowledged.
var errAlreadyStored = errors.New("journal: already stored")

// Defer parks e until due (Unix ms) in one synced write. It is a no-op
// for an entry already deferred (nil) or stored (errAlreadyStored); past maxCount facts or
// maxBytes bytes it returns ErrDeferredFull. A deferred fact is not
// acknowledged and not in EntryIDs.
func (s *Store) Defer(ctx context.Context, e Entry, due uint64, maxCount, maxBytes int) error {
	ns := e.Fact.NS
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue(ns)
	if _, ok := q.items[e.ID]; ok {
		return nil
	}
	has, err := s.d.Has(ctx, entryKey(ns, e.ID))
	if err != nil {
		return fmt.Errorf("journal: has: %w", err)
	}
	if has {
		return errAlreadyStored
	}
	if len(q.items)+1 > maxCount || q.bytes+len(e.Raw) > maxBytes {
		return ErrDeferredFull
	}
	if err := s.d.Put(ctx, deferKey(ns, due, e.ID), e.Raw); err != nil {
		return fmt.Errorf("journal: defer put: %w", err)
	}
	q.items[e.ID] = deferItem{due: due, size: len(e.Raw)}
	q.bytes += len(e.Raw)
	s.met.EntriesDeferred(1)
	return nil
}

// dueIDs lists the deferred ids of q with due ≤ limit, in (due, id) order.
func (q *deferQueue) dueIDs(limit uint64) []EntryID {
	var ids []EntryID
	for id, it := range q.items {
		if it.due <= limit {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b EntryID) int {
		if da, db := q.items[a].due, q.items[b].due; da != db {
			return cmp.Compare(da, db)
		}
		return bytes.Compare(a[:], b[:])
	})
	return ids
}

// Promote moves every deferred fact with now ≥ due − skew into the
// store: each is re-read (checksum), re-run through ingress, and
// inserted; one batch per namespace deletes the deferred keys and puts
// the entries. Facts failing ingress now are dropped. It returns the
// number of entries stored.
func (s *Store) Promote(ctx context.Context, c *Checker, now time.Time) (int, error) {
	return s.promote(ctx, c, now, nil)
}

// promote is Promote restricted to the namespaces keep accepts (nil:
// all); the other queues stay parked, durable and untouched.
func (s *Store) promote(ctx context.Context, c *Checker, now time.Time, keep func(Namespace) bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nowMs := uint64(max(now.UnixMilli(), 0))
	limit := nowMs + uint64(c.cfg.MaxClockSkew.Milliseconds())
	total := 0
	for _, ns := range s.deferredNamespaces() {
		if keep != nil && !keep(ns) {
			continue
		}
		n, err := s.promoteNS(ctx, c, ns, limit, now)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func (s *Store) deferredNamespaces() []Namespace {
	out := make([]Namespace, 0, len(s.deferred))
	for ns, q := range s.deferred {
		if len(q.items) > 0 {
			out = append(out, ns)
		}
	}
	slices.SortFunc(out, cmpNS)
	return out
}

func (s *Store) promoteNS(ctx context.Context, c *Checker, ns Namespace, limit uint64, now time.Time) (int, error) {
	q := s.deferred[ns]
	ids := q.dueIDs(limit)
	if len(ids) == 0 {
		return 0, nil
	}
	b, err := s.d.Batch(ctx)
	if err != nil {
		return 0, fmt.Errorf("journal: batch: %w", err)
	}
	var entries []Entry
	for _, id := range ids {
		k := deferKey(ns, q.items[id].due, id)
		if e, ok := s.readDeferred(ctx, c, ns, id, now); ok {
			entries = append(entries, e)
		}
		if err := b.Delete(ctx, k); err != nil {
			return 0, fmt.Errorf("journal: batch delete: %w", err)
		}
	}
	n, err := s.stage(ctx, b, ns, entries)
	if err != nil {
		return 0, err
	}
	if err := s.commit(ctx, b, ns, n); err != nil {
		return 0, err
	}
	for _, id := range ids {
		q.bytes -= q.items[id].size
		delete(q.items, id)
	}
	return n, nil
}

// readDeferred reads, checks and re-ingests one deferred fact. A
// corrupt value is quarantined; a fact failing ingress is dropped.
func (s *Store) readDeferred(ctx context.Context, c *Checker, ns Namespace, id EntryID, now time.Time) (Entry, bool) {
	k := deferKey(ns, s.deferred[ns].items[id].due, id)
	raw, err := s.d.Get(ctx, k)
	if err != nil {
		s.log.Warn("journal: deferred fact unreadable", "key", redactKey(k.String()), "err", err)
		return Entry{}, false
	}
	if _, ok := checkStored(ns, id, raw); !ok {
		_ = s.quarantine(ctx, ns, id, k, raw)
		return Entry{}, false
	}
	e, err := c.Ingress(raw, now)
	if err != nil && !errors.Is(err, ErrDeferred) {
		s.log.Warn("journal: deferred fact dropped", "key", redactKey(k.String()), "err", err)
		s.met.EntriesRefused(refusalReason(err), 1)
		return Entry{}, false
	}
	return e, true
}
