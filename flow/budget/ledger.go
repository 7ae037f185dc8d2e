package budget

import "github.com/aura-p2p/aura-p2p/flow/internal/flowerr"

// Decide is the FlowGuard charge decision (SPEC §6.2, §6.4 step 2): charge
// iff spent + cost ≤ share, overflow-checked. It returns Spent' = spent +
// cost, or a *flow.BudgetError{Need: cost, Have: headroom} (unwrapping to
// flow.ErrInsufficientBudget). It never returns Spent' > share, and
// charging exactly the headroom returns share.
func Decide(spent, cost, share uint64) (uint64, error) {
	have := Headroom(spent, share)
	if cost > have {
		return spent, &flowerr.BudgetError{Need: cost, Have: have}
	}
	return spent + cost, nil
}

// Headroom is share − spent, or 0 when spent ≥ share.
func Headroom(spent, share uint64) uint64 {
	if spent >= share {
		return 0
	}
	return share - spent
}

// Ledger tracks Spent(bk) in memory: the device's own charge records. The
// executor loads it from the stored records at start, asks Charge for a
// decision, commits the record to the journal, then calls Commit. Only one
// goroutine (the executor's per-key owner) may use a Ledger at a time. The
// zero Ledger is empty and ready to use.
type Ledger struct {
	spent map[Key]uint64
}

// Spent is the recorded charge of k (0 if none). The error is always nil;
// it lets a Ledger serve as a guard.SpentSource.
func (l *Ledger) Spent(k Key) (uint64, error) { return l.spent[k], nil }

// Charge decides a charge of cost on k against share without changing
// the ledger; see Decide.
func (l *Ledger) Charge(k Key, cost, share uint64) (uint64, error) {
	return Decide(l.spent[k], cost, share)
}

// Commit records spent as k's charge record after the journal batch
// holding it committed. Records only rise: a lower value is ignored
// (InvariantSequenceMonotonic).
func (l *Ledger) Commit(k Key, spent uint64) {
	if l.spent == nil {
		l.spent = make(map[Key]uint64)
	}
	if spent > l.spent[k] {
		l.spent[k] = spent
	}
}

// Rollover drops the records of every epoch before current: only the
// current flow epoch's records count (SPEC §6.2, §6.5).
func (l *Ledger) Rollover(current uint64) {
	for k := range l.spent {
		if k.Epoch < current {
			delete(l.spent, k)
		}
	}
}

// Len is the number of keys held.
func (l *Ledger) Len() int { return len(l.spent) }
