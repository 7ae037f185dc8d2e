package sync

import "fmt"

// Outcome is a session's result (SPEC §9), the {result} label of
// aura_journal_sync_rounds_total. Directions are from the local side's
// view: LocalBehind means the local journal lacked entries.
type Outcome uint8

const (
	// Pending: the session has not ended.
	Pending Outcome = iota
	// Equal: no difference.
	Equal
	// LocalBehind: only the remote held entries the local side lacked.
	LocalBehind
	// RemoteBehind: only the local side held entries the remote lacked.
	RemoteBehind
	// Diverged: both sides held entries the other lacked.
	Diverged
	// FellBack: the symbol cap was reached; ids were exchanged instead.
	FellBack
	// Aborted: the session ended with an error (stream reset).
	Aborted
)

var outcomeNames = [...]string{"pending", "equal", "local_behind", "remote_behind", "diverged", "fell_back", "aborted"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// classify names the outcome of a decoded difference.
func classify(localLacks, remoteLacks int) Outcome {
	switch {
	case localLacks > 0 && remoteLacks > 0:
		return Diverged
	case localLacks > 0:
		return LocalBehind
	case remoteLacks > 0:
		return RemoteBehind
	}
	return Equal
}

// Stats describes a session for metrics and tests.
type Stats struct {
	// SymbolsReceived (initiator) or SymbolsSent (responder).
	Symbols uint64
	// DecodedAt is the symbol count at which decoding succeeded (0: not
	// decoded, equal, or fell back).
	DecodedAt uint64
	// Wanted / Pushed: entries requested from / pushed to the remote.
	Wanted, Pushed int
	// Served: entries sent answering Want (responder).
	Served int
	// FactsReceived: entries received in Facts frames.
	FactsReceived int
}
