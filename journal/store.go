package journal

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
)

// Store persists entries of every namespace in one Datastore (SPEC §3
// "Storage"). Each multi-key write is one Batch; an entry is
// acknowledged when Put returns nil (the Commit returned). All writes,
// including the register read-modify-write and the deferred queue, are
// serialised by mu: the Store is their single owner. Reads verify every
// value against its key (the EntryID is the checksum) and quarantine
// mismatches.
type Store struct {
	d   Datastore
	log *slog.Logger
	met Metrics

	mu         sync.Mutex
	namespaces map[Namespace]struct{}
	deferred   map[Namespace]*deferQueue

	// vmu guards vers: per-namespace change counters (Version), kept
	// apart from mu so readers never wait for a batch's fsync.
	vmu  sync.Mutex
	vers map[Namespace]uint64
}

// OpenStore opens the journal over d, scanning its keys once to index
// namespaces and the deferred queues.
func OpenStore(ctx context.Context, d Datastore, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	s := &Store{d: d, log: cfg.Logger, met: cfg.Metrics,
		namespaces: map[Namespace]struct{}{}, deferred: map[Namespace]*deferQueue{},
		vers: map[Namespace]uint64{}}
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) load(ctx context.Context) error {
	es, err := s.query(ctx, journalRoot, true)
	if err != nil {
		return err
	}
	for _, e := range es {
		ns, section, ok := parseNSKey(e.Key)
		if !ok {
			continue
		}
		switch section {
		case "e":
			s.namespaces[ns] = struct{}{}
		case "d":
			s.loadDeferred(ctx, ns, e.Key)
		}
	}
	return nil
}

func (s *Store) query(ctx context.Context, prefix string, keysOnly bool) ([]query.Entry, error) {
	res, err := s.d.Query(ctx, query.Query{Prefix: prefix, KeysOnly: keysOnly})
	if err != nil {
		return nil, fmt.Errorf("journal: query: %w", err)
	}
	es, err := res.Rest()
	if err != nil {
		return nil, fmt.Errorf("journal: query: %w", err)
	}
	slices.SortFunc(es, func(a, b query.Entry) int { return cmp.Compare(a.Key, b.Key) })
	return es, nil
}

// Put stores entries of ns in one batch (union, then register joins
// against what is stored). Already stored entries and register bodies
// below the stored join are no-ops. On nil return every entry is
// acknowledged: it, or a register body above it, is durable.
func (s *Store) Put(ctx context.Context, ns Namespace, entries ...Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.d.Batch(ctx)
	if err != nil {
		return fmt.Errorf("journal: batch: %w", err)
	}
	n, err := s.stage(ctx, b, ns, entries)
	if err != nil {
		return err
	}
	return s.commit(ctx, b, ns, n)
}

func (s *Store) commit(ctx context.Context, b ds.Batch, ns Namespace, stored int) error {
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("journal: commit: %w", err)
	}
	s.committed(ns, stored)
	return nil
}

// committed records stored (> 0) new entries of ns after their batch
// committed. Caller holds mu.
func (s *Store) committed(ns Namespace, stored int) {
	if stored <= 0 {
		return
	}
	s.namespaces[ns] = struct{}{}
	s.met.EntriesStored(stored)
	s.vmu.Lock()
	s.vers[ns]++
	s.vmu.Unlock()
}

// Version is ns's change counter: it rises after every committed batch
// that stored at least one new entry (or register body) of ns, and is 0
// for a namespace never written since OpenStore. Readers caching a
// reduction of ns re-reduce only when it changed.
func (s *Store) Version(ns Namespace) uint64 {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	return s.vers[ns]
}

// stage adds the writes for entries to b and returns how many entries
// become stored. Caller holds mu.
func (s *Store) stage(ctx context.Context, b ds.Write, ns Namespace, entries []Entry) (int, error) {
	for _, e := range entries {
		if e.Fact.NS != ns {
			return 0, ErrNamespaceMismatch
		}
	}
	set := NewSet(ns) // folds duplicates and joins registers in the batch
	for _, e := range entries {
		_, _ = set.Add(e)
	}
	stored := 0
	for _, e := range set.Entries() {
		ok, err := s.stageOne(ctx, b, e)
		if err != nil {
			return 0, err
		}
		if ok {
			stored++
		}
	}
	return stored, nil
}

func (s *Store) stageOne(ctx context.Context, b ds.Write, e Entry) (bool, error) {
	ns := e.Fact.NS
	has, err := s.d.Has(ctx, entryKey(ns, e.ID))
	if err != nil {
		return false, fmt.Errorf("journal: has: %w", err)
	}
	if has {
		return false, nil
	}
	if IsRegister(e) {
		win, err := s.stageRegister(ctx, b, e)
		if !win || err != nil {
			return false, err
		}
	}
	if err := b.Put(ctx, entryKey(ns, e.ID), e.Raw); err != nil {
		return false, fmt.Errorf("journal: batch put: %w", err)
	}
	if err := b.Put(ctx, indexKey(ns, e.FactID, e.ID), nil); err != nil {
		return false, fmt.Errorf("journal: batch put: %w", err)
	}
	return true, nil
}

// stageRegister compares e with the stored bodies of its FactID; when e
// wins it stages their deletion and returns true.
func (s *Store) stageRegister(ctx context.Context, b ds.Write, e Entry) (bool, error) {
	ns := e.Fact.NS
	ids, err := s.indexed(ctx, ns, e.FactID)
	if err != nil {
		return false, err
	}
	var losers []EntryID
	for _, id := range ids {
		cur, err := s.getLocked(ctx, ns, id)
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if !registerBeats(e, cur) {
			return false, nil
		}
		losers = append(losers, id)
	}
	for _, id := range losers {
		if err := deleteAll(ctx, b, entryKey(ns, id), indexKey(ns, e.FactID, id)); err != nil {
			return false, err
		}
	}
	return true, nil
}

func deleteAll(ctx context.Context, b ds.Write, keys ...ds.Key) error {
	for _, k := range keys {
		if err := b.Delete(ctx, k); err != nil {
			return fmt.Errorf("journal: batch delete: %w", err)
		}
	}
	return nil
}

// indexed lists the stored EntryIDs of fid.
func (s *Store) indexed(ctx context.Context, ns Namespace, fid FactID) ([]EntryID, error) {
	es, err := s.query(ctx, factIndexPrefix(ns, fid), true)
	if err != nil {
		return nil, err
	}
	var ids []EntryID
	for _, e := range es {
		if id, ok := lastID(e.Key); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Has reports whether id is stored (acknowledged) in ns.
func (s *Store) Has(ctx context.Context, ns Namespace, id EntryID) (bool, error) {
	ok, err := s.d.Has(ctx, entryKey(ns, id))
	if err != nil {
		return false, fmt.Errorf("journal: has: %w", err)
	}
	return ok, nil
}

// Get returns the stored entry id of ns, ErrNotFound, or a
// *CorruptError after quarantining a value that fails its checksum.
func (s *Store) Get(ctx context.Context, ns Namespace, id EntryID) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getLocked(ctx, ns, id)
}

func (s *Store) getLocked(ctx context.Context, ns Namespace, id EntryID) (Entry, error) {
	k := entryKey(ns, id)
	raw, err := s.d.Get(ctx, k)
	if errors.Is(err, ds.ErrNotFound) {
		return Entry{}, ErrNotFound
	}
	if err != nil {
		return Entry{}, fmt.Errorf("journal: get: %w", err)
	}
	e, ok := checkStored(ns, id, raw)
	if !ok {
		return Entry{}, s.quarantine(ctx, ns, id, k, raw)
	}
	return e, nil
}

// checkStored recomputes the EntryID of a stored value.
func checkStored(ns Namespace, id EntryID, raw []byte) (Entry, bool) {
	e, err := parseEntry(raw)
	if err != nil || e.ID != id || e.Fact.NS != ns {
		return Entry{}, false
	}
	return e, true
}

// EntryIDs is a sorted snapshot of the acknowledged EntryIDs of ns
// (deferred facts excluded). It reads keys only; a corrupt value is
// found, and quarantined, when it is read.
func (s *Store) EntryIDs(ctx context.Context, ns Namespace) ([]EntryID, error) {
	es, err := s.query(ctx, entryPrefix(ns), true)
	if err != nil {
		return nil, err
	}
	ids := make([]EntryID, 0, len(es))
	for _, e := range es {
		if id, ok := lastID(e.Key); ok {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b EntryID) int { return bytes.Compare(a[:], b[:]) })
	return ids, nil
}

// Entries returns every valid stored entry of ns in ascending EntryID.
// Values failing their checksum are quarantined and reported; the
// returned error then joins one *CorruptError per record (errors.Is
// ErrCorrupt) and the entries are still complete for all valid records.
// Any other error returns no entries.
func (s *Store) Entries(ctx context.Context, ns Namespace) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	es, err := s.query(ctx, entryPrefix(ns), false)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(es))
	var corrupt []error
	for _, qe := range es {
		id, ok := lastID(qe.Key)
		e, valid := checkStored(ns, id, qe.Value)
		if ok && valid {
			out = append(out, e)
			continue
		}
		corrupt = append(corrupt, s.quarantine(ctx, ns, id, ds.RawKey(qe.Key), qe.Value))
	}
	return out, errors.Join(corrupt...)
}

// Set loads ns into an in-memory Set (see Entries for errors).
func (s *Store) Set(ctx context.Context, ns Namespace) (*Set, error) {
	es, err := s.Entries(ctx, ns)
	if err != nil && !onlyCorrupt(err) {
		return nil, err
	}
	set := NewSet(ns)
	for _, e := range es {
		_, _ = set.Add(e)
	}
	return set, err
}

// onlyCorrupt reports whether err is a join of *CorruptError only.
func onlyCorrupt(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			var ce *CorruptError
			if !errors.As(e, &ce) {
				return false
			}
		}
		return true
	}
	var ce *CorruptError
	return errors.As(err, &ce)
}

// Namespaces lists namespaces with at least one stored entry, sorted.
func (s *Store) Namespaces() []Namespace {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Namespace, 0, len(s.namespaces))
	for ns := range s.namespaces {
		out = append(out, ns)
	}
	slices.SortFunc(out, cmpNS)
	return out
}

// quarantine moves raw from key to /aura/q/… in one batch (with the
// entry's index keys), logs and counts it, and returns its CorruptError.
// Reports carry the key with its namespace id redacted (redactKey).
// A failed move is logged and still reported as corrupt.
func (s *Store) quarantine(ctx context.Context, ns Namespace, id EntryID, key ds.Key, raw []byte) error {
	rk := redactKey(key.String())
	cerr := &CorruptError{Key: rk}
	s.log.Error("journal: quarantined corrupt entry", "key", rk, "size", len(raw))
	s.met.EntriesQuarantined(1)
	if err := s.moveToQuarantine(ctx, ns, id, key, raw); err != nil {
		s.log.Error("journal: quarantine move failed", "key", rk, "err", err)
	}
	return cerr
}

func (s *Store) moveToQuarantine(ctx context.Context, ns Namespace, id EntryID, key ds.Key, raw []byte) error {
	b, err := s.d.Batch(ctx)
	if err != nil {
		return err
	}
	if err := b.Put(ctx, quarantineKey(ns, id), raw); err != nil {
		return err
	}
	if err := b.Delete(ctx, key); err != nil {
		return err
	}
	idx, err := s.query(ctx, indexPrefix(ns), true)
	if err != nil {
		return err
	}
	suffix := "/" + id.String()
	for _, e := range idx {
		if len(e.Key) > len(suffix) && e.Key[len(e.Key)-len(suffix):] == suffix {
			if err := b.Delete(ctx, ds.RawKey(e.Key)); err != nil {
				return err
			}
		}
	}
	return b.Commit(ctx)
}

func cmpNS(a, b Namespace) int {
	if a.Kind != b.Kind {
		return int(a.Kind) - int(b.Kind)
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}
