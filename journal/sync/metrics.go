package sync

import "errors"

// Metrics receives session counters; the driver reports each finished
// session once. cmd/aura-p2p binds it to Prometheus
// (aura_journal_sync_rounds_total{result}, aura_journal_sync_symbols_total,
// aura_journal_sync_facts_total); the default is NopMetrics.
type Metrics interface {
	// Round counts one session by result label (ResultLabel).
	Round(result string)
	// Symbols adds coded symbols sent or received.
	Symbols(n uint64)
	// Facts adds entries received in Facts frames.
	Facts(n int)
}

// NopMetrics discards everything.
type NopMetrics struct{}

func (NopMetrics) Round(string)   {}
func (NopMetrics) Symbols(uint64) {}
func (NopMetrics) Facts(int)      {}

// ResultLabel is the {result} label for a session that ended with outcome
// o and error err: "bad_symbols" when err wraps ErrBadSymbols, else
// o.String().
func ResultLabel(o Outcome, err error) string {
	if errors.Is(err, ErrBadSymbols) {
		return "bad_symbols"
	}
	return o.String()
}
