package flow

import "github.com/aura-p2p/aura-p2p/flow/internal/flowerr"

// Guard errors in chain order CapGuard → FlowGuard → JournalCoupler
// (SPEC §6.4, §13). They carry the seed's names and are the only guard
// sentinels; every refusal from flow/cap, flow/budget and flow/guard wraps
// one of them, so callers match with errors.Is. The values are defined in
// flow/internal/flowerr so the deterministic cores can wrap them without an
// import cycle (flow imports flow/guard); they are the same values.
var (
	// ErrAuthorizationDenied: CapGuard refused (no valid capability, wrong
	// context or presenter, epoch outside the token window). Nothing is
	// charged or written.
	ErrAuthorizationDenied = flowerr.ErrAuthorizationDenied
	// ErrInsufficientBudget: FlowGuard refused (Spent+cost > Share, or the
	// budget state could not be read). Nothing is written or sent.
	ErrInsufficientBudget = flowerr.ErrInsufficientBudget
	// ErrJournalCommitFailed: the JournalCoupler's synced batch failed.
	// Nothing is sent and Spent is unchanged.
	ErrJournalCommitFailed = flowerr.ErrJournalCommitFailed
)

// BudgetError is the typed FlowGuard refusal {Need, Have}; *BudgetError
// unwraps to ErrInsufficientBudget.
type BudgetError = flowerr.BudgetError
