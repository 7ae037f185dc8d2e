package node

import (
	"sync/atomic"
	"time"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/jstate"
	"github.com/aura-p2p/aura-p2p/journal"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
)

// countMetrics counts the calls the node's journal, flow Sender, jstate
// and sync service make, to check Config wires each one through
// (TestNodeSyncService).
type (
	nopFlow = flow.NopMetrics
	nopSync = jsync.NopMetrics
)

type countMetrics struct {
	nopFlow
	nopSync
	stored, charges, reductions, facts atomic.Int64
}

var (
	_ journal.Metrics = (*countMetrics)(nil)
	_ jstate.Metrics  = (*countMetrics)(nil)
)

func (m *countMetrics) EntriesStored(n int)          { m.stored.Add(int64(n)) }
func (*countMetrics) EntriesQuarantined(int)         {}
func (*countMetrics) EntriesDeferred(int)            {}
func (*countMetrics) EntriesRefused(string, int)     {}
func (m *countMetrics) ChargeDuration(time.Duration) { m.charges.Add(1) }
func (*countMetrics) ChargeRegistersSigned(int)      {}
func (m *countMetrics) ContextReduced()              { m.reductions.Add(1) }
func (m *countMetrics) Facts(n int)                  { m.facts.Add(int64(n)) }

// wire sets every package Metrics of c to m.
func (m *countMetrics) wire(c *Config) {
	c.JournalMetrics, c.StateMetrics, c.Flow.Metrics, c.Sync.Service.Metrics = m, m, m, m
}
