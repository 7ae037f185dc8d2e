package flow

import (
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/flow/internal/flowerr"
)

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

// Errors of the executor and the guarded sender that are not guard
// refusals. Each still wraps the guard sentinel the refusal maps to, so
// callers only ever need the three names above.
var (
	// ErrCorruptRecord: a stored charge record or accepted-cost value has
	// the wrong length. Reading it is a budget lookup error: it wraps
	// ErrInsufficientBudget (fail closed).
	ErrCorruptRecord = fmt.Errorf("flow: corrupt budget record: %w", ErrInsufficientBudget)
	// ErrNoTopicLimit: a publish or forward on a topic without a configured
	// per-device limit. Missing state denies: wraps ErrInsufficientBudget.
	ErrNoTopicLimit = fmt.Errorf("flow: no limit for topic: %w", ErrInsufficientBudget)
	// ErrBadMessage: the send names an unknown message kind or scope, or a
	// frame the §6.2 table cannot price (size-priced over 65 KiB). It
	// wraps ErrInsufficientBudget: a frame that cannot be priced is never
	// charged.
	ErrBadMessage = fmt.Errorf("flow: unpriceable message: %w", ErrInsufficientBudget)
	// ErrUnknownContext: the state has no view of the context, or the peer
	// is not a member. Sending wraps ErrAuthorizationDenied; receiving
	// resets the stream (counted as foreign_ctx).
	ErrUnknownContext = fmt.Errorf("flow: unknown context or peer: %w", ErrAuthorizationDenied)
	// ErrReceiptRejected: an inbound receipt or capability was refused;
	// the stream was reset. The concrete error is a *receipt.RejectError
	// or wraps ErrAuthorizationDenied (capability).
	ErrReceiptRejected = errors.New("flow: inbound frame rejected")
	// ErrPrepaidSpent: a Prepaid was asked to write more frames than it
	// was charged for. Nothing was written; the stream was reset.
	ErrPrepaidSpent = errors.New("flow: prepaid charge used up")
)

// CommitError is a JournalCoupler failure (SPEC §6.4 step 4): the synced
// batch holding the charge record did not commit. It unwraps to both
// ErrJournalCommitFailed and the datastore's error. Nothing was sent and
// Spent is unchanged.
type CommitError struct{ Err error }

func (e *CommitError) Error() string { return "flow: journal commit failed: " + e.Err.Error() }

// Unwrap exposes the sentinel and the cause.
func (e *CommitError) Unwrap() []error { return []error{ErrJournalCommitFailed, e.Err} }
