package journal

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// State is a reduced namespace state with a deterministic encoding:
// equal entry sets give byte-identical Canonical() (SPEC §12).
type State interface {
	Canonical() []byte
}

// Reducer reduces one namespace kind. Reduce must be a pure function of
// the entry set: it may iterate only in ascending EntryID (Registry.Reduce
// hands entries sorted and de-duplicated), must not read a clock, use map
// iteration order or floats, and must not depend on arrival order.
type Reducer interface {
	Kind() Kind
	Reduce(ns Namespace, entries []Entry) (State, error)
}

// Registry maps namespace kinds to reducers.
type Registry struct {
	reducers map[Kind]Reducer
}

// NewRegistry registers rs; a later reducer of the same kind replaces an
// earlier one.
func NewRegistry(rs ...Reducer) *Registry {
	r := &Registry{reducers: map[Kind]Reducer{}}
	for _, x := range rs {
		r.reducers[x.Kind()] = x
	}
	return r
}

// DefaultRegistry has the authority and context reducers of this stage.
func DefaultRegistry() *Registry {
	return NewRegistry(AuthorityReducer{}, ContextReducer{})
}

// Reduce sorts a copy of entries by EntryID, drops duplicates, checks
// every entry belongs to ns, and runs the kind's reducer.
func (r *Registry) Reduce(ns Namespace, entries []Entry) (State, error) {
	red, ok := r.reducers[ns.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownKind, ns.Kind)
	}
	sorted, err := sortEntries(ns, entries)
	if err != nil {
		return nil, err
	}
	return red.Reduce(ns, sorted)
}

// ReduceSet reduces a Set.
func (r *Registry) ReduceSet(s *Set) (State, error) { return r.Reduce(s.NS(), s.Entries()) }

func sortEntries(ns Namespace, entries []Entry) ([]Entry, error) {
	out := slices.Clone(entries)
	for _, e := range out {
		if e.Fact.NS != ns {
			return nil, ErrNamespaceMismatch
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return slices.CompactFunc(out, func(a, b Entry) bool { return a.ID == b.ID }), nil
}

// Peer is a reduced DevicePeer register (the join of its FactID).
type Peer struct {
	Author    [16]byte
	SignerKey [32]byte
	PeerID    []byte
	Addrs     [][]byte
	Seq       uint64
	Entry     EntryID
}

func (p *Peer) encode(e *canon.Encoder) {
	e.Raw(p.Author[:]).Raw(p.SignerKey[:]).LP(p.PeerID).Count(len(p.Addrs))
	for _, a := range p.Addrs {
		e.LP(a)
	}
	e.U64(p.Seq).Raw(p.Entry[:])
}

// registers keeps the join per FactID of valid register entries, so a
// reducer is correct even on an un-joined entry list.
type registers map[FactID]Entry

func (r registers) add(e Entry) {
	if cur, ok := r[e.FactID]; !ok || registerBeats(e, cur) {
		r[e.FactID] = e
	}
}

// sorted returns the joined entries in ascending FactID.
func (r registers) sorted() []Entry {
	ids := make([]FactID, 0, len(r))
	for id := range r {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b FactID) int { return bytes.Compare(a[:], b[:]) })
	out := make([]Entry, len(ids))
	for i, id := range ids {
		out[i] = r[id]
	}
	return out
}

// peersOf turns joined DevicePeer entries into Peers sorted by (Author,
// PeerID, SignerKey).
func peersOf(r registers) []Peer {
	var out []Peer
	for _, e := range r.sorted() {
		b := e.Body.(*DevicePeer)
		out = append(out, Peer{Author: b.Author, SignerKey: b.SignerKey, PeerID: b.PeerID,
			Addrs: b.Addrs, Seq: b.Seq, Entry: e.ID})
	}
	slices.SortFunc(out, func(a, b Peer) int {
		if c := bytes.Compare(a.Author[:], b.Author[:]); c != 0 {
			return c
		}
		if c := bytes.Compare(a.PeerID, b.PeerID); c != 0 {
			return c
		}
		return bytes.Compare(a.SignerKey[:], b.SignerKey[:])
	})
	return out
}

// smallestGenesis picks, among entries accepted by ok, the one with the
// smallest H(body) (SPEC §3 Genesis rule).
func smallestGenesis(entries []Entry, ok func(Entry) bool) (Entry, bool) {
	var best Entry
	found := false
	for _, e := range entries {
		if e.Fact.Type != TypeGenesis || e.Body == nil || !ok(e) {
			continue
		}
		if !found || bytes.Compare(e.BodyHash[:], best.BodyHash[:]) < 0 {
			best, found = e, true
		}
	}
	return best, found
}
