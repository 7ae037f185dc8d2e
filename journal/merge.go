package journal

import (
	"bytes"
	"slices"
)

// registerValue returns the join key of a register entry (SPEC §3:
// FlowCharge by Spent, DevicePeer by Seq) and whether e is a register.
func registerValue(e Entry) (uint64, bool) {
	switch b := e.Body.(type) {
	case *FlowCharge:
		return b.Spent, true
	case *DevicePeer:
		return b.Seq, true
	}
	return 0, false
}

// IsRegister reports whether e's FactID keeps one joined entry.
func IsRegister(e Entry) bool { _, ok := registerValue(e); return ok }

// registerBeats reports whether a is above b in the join order of one
// register FactID: larger value, tie → smaller H(body). Equal bodies do
// not beat each other.
func registerBeats(a, b Entry) bool {
	va, _ := registerValue(a)
	vb, _ := registerValue(b)
	if va != vb {
		return va > vb
	}
	return bytes.Compare(a.BodyHash[:], b.BodyHash[:]) < 0
}

// Set is an in-memory journal state of one namespace: a set of entries
// with register FactIDs joined (SPEC §3 "State"). Not safe for
// concurrent use; the zero value is not usable (use NewSet).
type Set struct {
	ns      Namespace
	entries map[EntryID]Entry
	regs    map[FactID]EntryID
}

// NewSet returns an empty state of ns.
func NewSet(ns Namespace) *Set {
	return &Set{ns: ns, entries: map[EntryID]Entry{}, regs: map[FactID]EntryID{}}
}

// NS is the set's namespace.
func (s *Set) NS() Namespace { return s.ns }

// Len is the number of entries.
func (s *Set) Len() int { return len(s.entries) }

// Add inserts e (union, then register join). It returns whether the
// state changed; an entry of another namespace is ErrNamespaceMismatch.
func (s *Set) Add(e Entry) (bool, error) {
	if e.Fact.NS != s.ns {
		return false, ErrNamespaceMismatch
	}
	if _, ok := s.entries[e.ID]; ok {
		return false, nil
	}
	if !IsRegister(e) {
		s.entries[e.ID] = e
		return true, nil
	}
	if cur, ok := s.regs[e.FactID]; ok {
		if !registerBeats(e, s.entries[cur]) {
			return false, nil
		}
		delete(s.entries, cur)
	}
	s.entries[e.ID] = e
	s.regs[e.FactID] = e.ID
	return true, nil
}

// Has reports whether id is in the set.
func (s *Set) Has(id EntryID) bool { _, ok := s.entries[id]; return ok }

// Get returns the entry with id.
func (s *Set) Get(id EntryID) (Entry, bool) { e, ok := s.entries[id]; return e, ok }

// IDs returns the EntryIDs in ascending order.
func (s *Set) IDs() []EntryID {
	ids := make([]EntryID, 0, len(s.entries))
	for id := range s.entries {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b EntryID) int { return bytes.Compare(a[:], b[:]) })
	return ids
}

// Entries returns the entries in ascending EntryID order.
func (s *Set) Entries() []Entry {
	ids := s.IDs()
	out := make([]Entry, len(ids))
	for i, id := range ids {
		out[i] = s.entries[id]
	}
	return out
}

// Clone returns an independent copy.
func (s *Set) Clone() *Set {
	c := NewSet(s.ns)
	for id, e := range s.entries {
		c.entries[id] = e
	}
	for f, id := range s.regs {
		c.regs[f] = id
	}
	return c
}

// Merge returns the least upper bound of a and b (union, then register
// joins); neither input changes. Different namespaces fail with
// ErrNamespaceMismatch.
func Merge(a, b *Set) (*Set, error) {
	if a.ns != b.ns {
		return nil, ErrNamespaceMismatch
	}
	out := a.Clone()
	for _, e := range b.Entries() {
		if _, err := out.Add(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Leq is the SPEC §3 order: a ⊑ b iff every non-register entry of a is in
// b and each register of a is ≤ (join order) b's register of the same
// FactID.
func Leq(a, b *Set) (bool, error) {
	if a.ns != b.ns {
		return false, ErrNamespaceMismatch
	}
	for id, e := range a.entries {
		if !IsRegister(e) {
			if !b.Has(id) {
				return false, nil
			}
			continue
		}
		cur, ok := b.regs[e.FactID]
		if !ok {
			return false, nil
		}
		if cur != id && !registerBeats(b.entries[cur], e) {
			return false, nil
		}
	}
	return true, nil
}

// Equal reports whether a and b hold the same entries.
func Equal(a, b *Set) bool {
	if a.ns != b.ns || len(a.entries) != len(b.entries) {
		return false
	}
	for id := range a.entries {
		if !b.Has(id) {
			return false
		}
	}
	return true
}
