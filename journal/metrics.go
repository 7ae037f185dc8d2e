package journal

// Metrics receives the journal's counters. cmd/aura-p2p binds them to
// Prometheus as aura_journal_entries_stored_total,
// aura_journal_entries_quarantined_total,
// aura_journal_entries_deferred_total and
// aura_journal_entries_refused_total{reason}. Implementations must be
// safe for concurrent use and must not block.
type Metrics interface {
	// EntriesStored counts entries acknowledged by a committed batch.
	EntriesStored(n int)
	// EntriesQuarantined counts values moved to quarantine.
	EntriesQuarantined(n int)
	// EntriesDeferred counts facts parked in the deferred queue.
	EntriesDeferred(n int)
	// EntriesRefused counts facts refused; reason is a fixed low-cardinality
	// label: "not_member", "namespace", "malformed", "too_large",
	// "bad_signature", "defer_too_far", "deferred_full".
	EntriesRefused(reason string, n int)
}

// NopMetrics discards everything; it is the default.
type NopMetrics struct{}

func (NopMetrics) EntriesStored(int)          {}
func (NopMetrics) EntriesQuarantined(int)     {}
func (NopMetrics) EntriesDeferred(int)        {}
func (NopMetrics) EntriesRefused(string, int) {}
