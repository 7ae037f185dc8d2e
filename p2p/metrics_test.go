package p2p

import "sync"

// countingMetrics records every observation for assertions.
type countingMetrics struct {
	mu           sync.Mutex
	misbehaviour map[string]int // protocol/kind
	gated        int
	validated    map[ValidationResult]int
	delivered    int
	dropped      map[string]int
	resets       map[string]int
}

func newCountingMetrics() *countingMetrics {
	return &countingMetrics{
		misbehaviour: map[string]int{}, validated: map[ValidationResult]int{},
		dropped: map[string]int{}, resets: map[string]int{},
	}
}

func (m *countingMetrics) Misbehaviour(protocol, kind string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.misbehaviour[protocol+"/"+kind]++
}

func (m *countingMetrics) PeerGated() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gated++
}

func (m *countingMetrics) GossipValidated(_ string, r ValidationResult) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.validated[r]++
}

func (m *countingMetrics) GossipDelivered(string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delivered++
}

func (m *countingMetrics) GossipDropped(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropped[reason]++
}

func (m *countingMetrics) StreamReset(protocol, reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resets[protocol+"/"+reason]++
}

func (m *countingMetrics) snapshotDropped() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.dropped))
	for k, v := range m.dropped {
		out[k] = v
	}
	return out
}
