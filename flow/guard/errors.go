package guard

import (
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/flow/internal/flowerr"
)

var (
	// ErrBadSnapshot: the snapshot is unusable (cost 0 or over
	// MaxFrameCost, missing or mismatched slot table, receipt parameters
	// without a secret). Missing state denies: it wraps
	// flow.ErrInsufficientBudget, and guard reports it at StageSnapshot.
	ErrBadSnapshot = fmt.Errorf("guard: bad snapshot: %w", flowerr.ErrInsufficientBudget)
	// ErrBudgetLookup: reading Spent(bk) failed; wraps
	// flow.ErrInsufficientBudget (fail closed).
	ErrBudgetLookup = fmt.Errorf("guard: budget lookup failed: %w", flowerr.ErrInsufficientBudget)
	// errDenied is the common parent of DenialError for errors.Is checks.
	errDenied = errors.New("guard: denied")
)

// Stage is the pipeline step that refused (SPEC §6.4), the `stage` label
// of aura_flow_guard_decisions_total.
type Stage uint8

// Stages in pipeline order.
const (
	StageSnapshot Stage = iota // step 0: cost vs Share, snapshot sanity
	StageCap                   // step 1: CapGuard
	StageFlow                  // step 2: FlowGuard
	stageEnd
)

var stageLabel = [stageEnd]string{StageSnapshot: "snapshot", StageCap: "cap", StageFlow: "flow"}

// String is the metric label.
func (s Stage) String() string {
	if s >= stageEnd {
		return "unknown"
	}
	return stageLabel[s]
}

// DenialError is a guard refusal: the stage and the cause. Err wraps one
// of the flow sentinels (and may be a *flow.BudgetError), so
// errors.Is(err, flow.ErrAuthorizationDenied / ErrInsufficientBudget)
// and errors.As(err, **flow.BudgetError) see through it. It carries no
// context id, key, token or payload.
type DenialError struct {
	Stage Stage
	Err   error
}

func (e *DenialError) Error() string { return fmt.Sprintf("guard: %s: %v", e.Stage, e.Err) }

// Unwrap returns the cause.
func (e *DenialError) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrDenied) match any denial.
func (e *DenialError) Is(target error) bool { return target == errDenied }

// ErrDenied matches every *DenialError with errors.Is.
var ErrDenied = errDenied

func denial(s Stage, err error) error { return &DenialError{Stage: s, Err: err} }

func budgetErr(need, have uint64) error {
	return &flowerr.BudgetError{Need: need, Have: have}
}
