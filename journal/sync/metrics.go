package sync

import (
	"errors"
	"time"

	"github.com/aura-p2p/aura-p2p/flow"
)

// Metrics receives the service's counters. cmd/aura-p2p binds it to
// Prometheus (aura_journal_sync_rounds_total{result},
// aura_journal_sync_symbols_total, aura_journal_sync_facts_total,
// aura_journal_sync_facts_stored_total, aura_journal_sync_bytes_total{dir},
// aura_journal_sync_resets_total{reason}); the default is NopMetrics.
// Methods are called from several goroutines.
type Metrics interface {
	// Round counts one finished session by result label (ResultLabel).
	Round(result string)
	// Symbols adds coded symbols sent or received.
	Symbols(n uint64)
	// Facts adds entries received in Facts frames.
	Facts(n int)
	// FactsStored adds received entries the journal stored (new or
	// already held; refused and deferred ones excluded).
	FactsStored(n int)
	// Bytes adds frame bytes sent (dir "sent") or received ("received").
	Bytes(dir string, n int)
	// Reset counts one stream reset by reason (ResetReason).
	Reset(reason string)
}

// DurationMetrics is an optional extension of Metrics: a Metrics that
// also implements it gets each finished session's duration, from the
// session's start to its accounting (aura_journal_sync_duration_seconds).
type DurationMetrics interface {
	Duration(d time.Duration)
}

// NopMetrics discards everything.
type NopMetrics struct{}

func (NopMetrics) Round(string)      {}
func (NopMetrics) Symbols(uint64)    {}
func (NopMetrics) Facts(int)         {}
func (NopMetrics) FactsStored(int)   {}
func (NopMetrics) Bytes(string, int) {}
func (NopMetrics) Reset(string)      {}

// ResultLabel is the {result} label for a session that ended with outcome
// o and error err: "bad_symbols" when err wraps ErrBadSymbols, else
// o.String().
func ResultLabel(o Outcome, err error) string {
	if errors.Is(err, ErrBadSymbols) {
		return "bad_symbols"
	}
	return o.String()
}

// ResetReason is the {reason} label of a session error, and the
// misbehaviour kind where SPEC §6.6 counts one ("bad_symbols",
// "bad_frame", "oversize" — see Misbehaviour).
func ResetReason(err error) string {
	switch {
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrBusy):
		return "busy"
	case errors.Is(err, ErrBadSymbols):
		return "bad_symbols"
	case errors.Is(err, ErrBadFrame):
		return "bad_frame"
	case errors.Is(err, ErrFrameLimit), errors.Is(err, ErrSessionLimit):
		return "oversize"
	case errors.Is(err, ErrBadIds):
		return "bad_ids"
	case errors.Is(err, ErrUnwanted):
		return "unwanted"
	case errors.Is(err, ErrNotMember):
		return "not_member"
	case errors.Is(err, ErrDenied):
		return "denied"
	case errors.Is(err, flow.ErrInsufficientBudget), errors.Is(err, flow.ErrAuthorizationDenied),
		errors.Is(err, flow.ErrJournalCommitFailed):
		return "guard"
	case errors.Is(err, ErrUnexpectedFrame), errors.Is(err, ErrFinished):
		return "unexpected_frame"
	}
	return "transport"
}

// Misbehaviour reports whether a session error counts a misbehaviour
// point against the peer (SPEC §6.6: oversize or undecodable frames,
// bad_symbols; here also frames an honest peer never sends out of order
// or beyond a limit).
func Misbehaviour(err error) bool {
	switch ResetReason(err) {
	case "bad_symbols", "bad_frame", "oversize", "bad_ids", "unwanted", "unexpected_frame":
		return true
	}
	return false
}
