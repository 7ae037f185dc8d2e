package quorum

import (
	"errors"
	"fmt"
	"slices"
)

var (
	// ErrConfig reports a (t, n) outside 2 ≤ t ≤ n and t = n = 1.
	ErrConfig = errors.New("quorum: invalid threshold configuration")
	// ErrSigners reports a signer list that is unsorted, has duplicates,
	// names ids outside 1..n, or is shorter than t.
	ErrSigners = errors.New("quorum: invalid signer set")
)

// ValidConfig checks a committee's threshold t of n members: 2 ≤ t ≤ n, or
// t = n = 1 (a single Ed25519 signer), SPEC §5.1.
func ValidConfig(t, n uint16) error {
	if (t >= 2 && t <= n) || (t == 1 && n == 1) {
		return nil
	}
	return fmt.Errorf("%w: t=%d n=%d", ErrConfig, t, n)
}

// Reached reports whether count distinct signers meet threshold t.
func Reached(count int, t uint16) bool { return t > 0 && count >= int(t) }

// Distinct returns the number of distinct ids in ids.
func Distinct(ids []uint16) int {
	s := slices.Clone(ids)
	slices.Sort(s)
	return len(slices.Compact(s))
}

// CheckSigners checks a commit's Signers metadata (SPEC §5.8): strictly
// ascending (sorted, no duplicates), every id in 1..n, at least t ids.
func CheckSigners(signers []uint16, t, n uint16) error {
	if len(signers) < int(t) || t == 0 {
		return fmt.Errorf("%w: %d signers for t=%d", ErrSigners, len(signers), t)
	}
	var prev uint16
	for i, id := range signers {
		if id == 0 || id > n {
			return fmt.Errorf("%w: id %d outside 1..%d", ErrSigners, id, n)
		}
		if i > 0 && id <= prev {
			return fmt.Errorf("%w: id %d after %d (unsorted or duplicate)", ErrSigners, id, prev)
		}
		prev = id
	}
	return nil
}

// Tally accumulates distinct signer ids. The zero value is empty and ready.
type Tally struct{ seen map[uint16]struct{} }

// Add records id and reports whether it was new.
func (t *Tally) Add(id uint16) bool {
	if t.seen == nil {
		t.seen = make(map[uint16]struct{})
	}
	if _, ok := t.seen[id]; ok {
		return false
	}
	t.seen[id] = struct{}{}
	return true
}

// Len returns the number of distinct ids added.
func (t *Tally) Len() int { return len(t.seen) }

// Reached reports whether the tally meets threshold th.
func (t *Tally) Reached(th uint16) bool { return Reached(t.Len(), th) }

// Sorted returns the distinct ids ascending: a well-formed Signers list.
func (t *Tally) Sorted() []uint16 {
	out := make([]uint16, 0, len(t.seen))
	for id := range t.seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
