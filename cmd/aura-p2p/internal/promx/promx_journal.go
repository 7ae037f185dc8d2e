package promx

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aura-p2p/aura-p2p/journal"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// Journal implements journal.Metrics (aura_journal_entries_*).
type Journal struct {
	stored, quarantined, deferred prometheus.Counter
	refused                       *prometheus.CounterVec
}

var _ journal.Metrics = (*Journal)(nil)

// NewJournal creates and registers the aura_journal_entries_* collectors.
func NewJournal(reg prometheus.Registerer) (*Journal, error) {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &Journal{
		stored:      c("aura_journal_entries_stored_total", "Entries acknowledged by a committed batch."),
		quarantined: c("aura_journal_entries_quarantined_total", "Values moved to quarantine."),
		deferred:    c("aura_journal_entries_deferred_total", "Facts parked in the deferred queue."),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_journal_entries_refused_total", Help: "Facts refused, by reason.",
		}, []string{"reason"}),
	}
	if err := register(reg, m.stored, m.quarantined, m.deferred, m.refused); err != nil {
		return nil, err
	}
	return m, nil
}

// EntriesStored implements journal.Metrics.
func (m *Journal) EntriesStored(n int) { m.stored.Add(float64(n)) }

// EntriesQuarantined implements journal.Metrics.
func (m *Journal) EntriesQuarantined(n int) { m.quarantined.Add(float64(n)) }

// EntriesDeferred implements journal.Metrics.
func (m *Journal) EntriesDeferred(n int) { m.deferred.Add(float64(n)) }

// EntriesRefused implements journal.Metrics.
func (m *Journal) EntriesRefused(reason string, n int) {
	m.refused.WithLabelValues(reason).Add(float64(n))
}

// Sync implements jsync.Metrics (aura_journal_sync_*).
type Sync struct {
	rounds      *prometheus.CounterVec
	symbols     prometheus.Counter
	facts       prometheus.Counter
	factsStored prometheus.Counter
	bytes       *prometheus.CounterVec
	resets      *prometheus.CounterVec
	duration    prometheus.Histogram
}

var (
	_ jsync.Metrics         = (*Sync)(nil)
	_ jsync.DurationMetrics = (*Sync)(nil)
)

// SyncDurationBuckets are the aura_journal_sync_duration_seconds buckets,
// 10 ms to ~20 s.
var SyncDurationBuckets = prometheus.ExponentialBuckets(0.01, 2, 12)

// NewSync creates and registers the aura_journal_sync_* collectors. The
// {dir} series of aura_journal_sync_bytes_total exist from the start.
func NewSync(reg prometheus.Registerer) (*Sync, error) {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &Sync{
		rounds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_journal_sync_rounds_total", Help: "Finished sync sessions, by result.",
		}, []string{"result"}),
		symbols:     c("aura_journal_sync_symbols_total", "Coded symbols sent or received."),
		facts:       c("aura_journal_sync_facts_total", "Entries received in Facts frames."),
		factsStored: c("aura_journal_sync_facts_stored_total", "Received entries the journal stored."),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_journal_sync_bytes_total", Help: "Sync frame bytes, by direction (sent, received).",
		}, []string{"dir"}),
		resets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_journal_sync_resets_total", Help: "Sync streams reset, by reason.",
		}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aura_journal_sync_duration_seconds", Help: "Duration of one sync session.",
			Buckets: SyncDurationBuckets,
		}),
	}
	if err := register(reg, m.rounds, m.symbols, m.facts, m.factsStored, m.bytes, m.resets, m.duration); err != nil {
		return nil, err
	}
	m.bytes.WithLabelValues("sent")
	m.bytes.WithLabelValues("received")
	return m, nil
}

// Round implements jsync.Metrics.
func (m *Sync) Round(result string) { m.rounds.WithLabelValues(result).Inc() }

// Symbols implements jsync.Metrics.
func (m *Sync) Symbols(n uint64) { m.symbols.Add(float64(n)) }

// Facts implements jsync.Metrics.
func (m *Sync) Facts(n int) { m.facts.Add(float64(n)) }

// FactsStored implements jsync.Metrics.
func (m *Sync) FactsStored(n int) { m.factsStored.Add(float64(n)) }

// Bytes implements jsync.Metrics.
func (m *Sync) Bytes(dir string, n int) { m.bytes.WithLabelValues(dir).Add(float64(n)) }

// Reset implements jsync.Metrics.
func (m *Sync) Reset(reason string) { m.resets.WithLabelValues(reason).Inc() }

// Duration implements jsync.DurationMetrics (SPEC §14
// aura_journal_sync_duration_seconds).
func (m *Sync) Duration(d time.Duration) { m.duration.Observe(d.Seconds()) }

// Tree implements tree.Metrics (aura_tree_*).
type Tree struct {
	evaluations *prometheus.CounterVec
	commits     *prometheus.CounterVec
}

var _ tree.Metrics = (*Tree)(nil)

// NewTree creates and registers aura_tree_valid_evaluations_total{ok} and
// aura_tree_commits_total{status}.
func NewTree(reg prometheus.Registerer) (*Tree, error) {
	m := &Tree{
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_tree_valid_evaluations_total", Help: "Uncached valid(c, S) evaluations, by result.",
		}, []string{"ok"}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aura_tree_commits_total", Help: "Tree commits seen by reductions, by status.",
		}, []string{"status"}),
	}
	if err := register(reg, m.evaluations, m.commits); err != nil {
		return nil, err
	}
	return m, nil
}

// ValidEvaluated implements tree.Metrics.
func (m *Tree) ValidEvaluated(ok bool) { m.evaluations.WithLabelValues(strconv.FormatBool(ok)).Inc() }

// Reduced implements tree.Metrics.
func (m *Tree) Reduced(applied, superseded, invalid, malformed int) {
	for _, s := range []struct {
		status string
		n      int
	}{{"applied", applied}, {"superseded", superseded}, {"invalid", invalid}, {"malformed", malformed}} {
		if s.n > 0 {
			m.commits.WithLabelValues(s.status).Add(float64(s.n))
		}
	}
}
