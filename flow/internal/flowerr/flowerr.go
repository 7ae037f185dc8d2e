// Package flowerr defines the guard-chain sentinels once, below every flow
// package. Package flow re-exports them (flow/errors.go); the cores
// (flow/cap, flow/budget, flow/guard) wrap them. The split exists only to
// break the import cycle flow → flow/guard → flow: callers should use the
// flow names.
package flowerr

import (
	"errors"
	"fmt"
)

// Guard sentinels in chain order CapGuard → FlowGuard → JournalCoupler
// (SPEC §6.4, §13).
var (
	ErrAuthorizationDenied = errors.New("flow: authorization denied")
	ErrInsufficientBudget  = errors.New("flow: insufficient budget")
	ErrJournalCommitFailed = errors.New("flow: journal commit failed")
)

// BudgetError is a FlowGuard refusal: the send needed Need units and the
// budget key had Have units of headroom left. It unwraps to
// ErrInsufficientBudget. It names no context, key or payload (SPEC §6.4).
type BudgetError struct {
	Need uint64
	Have uint64
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("flow: insufficient budget: need %d, have %d", e.Need, e.Have)
}

// Unwrap makes errors.Is(err, ErrInsufficientBudget) hold.
func (e *BudgetError) Unwrap() error { return ErrInsufficientBudget }
