package promx

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/driver"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/p2p"
)

func touchAll(pm *P2P, nm *Node) {
	pm.Misbehaviour("/aura/sync/1.0.0", "bad_frame")
	pm.PeerGated()
	pm.GossipValidated("/aura/fb/1/x", p2p.Reject)
	pm.GossipDelivered("/aura/fb/1/x")
	pm.GossipDropped("rpc_queue_full")
	pm.StreamReset("/aura/sync/1.0.0", "oversize")
	nm.Up(true)
	nm.Joined(true)
	nm.Peers(3, 7)
	nm.ServicesRunning(2)
}

// touchServices calls every method of every package collector once, so
// each vector has at least one series.
func touchServices(s *Services) {
	s.Flow.ReceiptVerified("accepted")
	s.Flow.GuardDecision(flow.StageJournal, flow.Allowed)
	s.Flow.BudgetUtilization(0.5)
	s.Flow.ChargeDuration(2 * time.Millisecond)
	s.Flow.CapCacheHit()
	s.FlowState.ChargeRegistersSigned(2)
	s.FlowState.ContextReduced()
	s.Journal.EntriesStored(3)
	s.Journal.EntriesQuarantined(1)
	s.Journal.EntriesDeferred(1)
	s.Journal.EntriesRefused("not_member", 2)
	s.Sync.Round("reconciled")
	s.Sync.Symbols(10)
	s.Sync.Facts(4)
	s.Sync.FactsStored(3)
	s.Sync.Bytes("sent", 100)
	s.Sync.Reset("timeout")
	s.Sync.Duration(50 * time.Millisecond)
	s.Tree.ValidEvaluated(true)
	s.Tree.Reduced(1, 1, 0, 1)
	s.Consensus.InstancesActive(2)
	s.Consensus.CommitStored(consensus.PathFast1)
	s.Consensus.FallbackEntered(consensus.FallbackTimer)
	s.Consensus.Equivocation()
	s.Consensus.ConflictingCommit()
	s.Consensus.DeltaEstimate(150 * time.Millisecond)
	s.Consensus.CommitLatency(consensus.PathFast2, 30*time.Millisecond)
	s.Consensus.OldestInstanceAge(90 * time.Second)
	s.Consensus.FallbackEnvelope(driver.EnvelopeReject)
	s.Consensus.Misbehaviour("bad_frame")
	s.Consensus.SendFailed()
	s.DKG.Misbehaviour("bad_frame")
	s.DKG.SendFailed()
	s.DKG.StartAccepted()
	s.DKG.StartRefused()
	s.DKG.Outcome("ok")
	s.Control.Call("status", "ok", time.Millisecond)
	s.Authority.Hints("sent")
	s.Authority.DevicePeerWritten()
}

// spec14 are the metric names SPEC §14 lists that this package binds
// (aura_rendezvous_* have no library hook yet).
var spec14 = []string{
	"aura_flow_receipts_verified_total", "aura_flow_guard_decisions_total",
	"aura_flow_budget_utilization_ratio", "aura_flow_charge_duration_seconds",
	"aura_consensus_instances_active", "aura_consensus_oldest_instance_age_seconds",
	"aura_consensus_commits_total",
	"aura_consensus_commit_latency_seconds", "aura_consensus_fallback_total",
	"aura_consensus_fallback_envelopes_total", "aura_consensus_equivocations_total",
	"aura_consensus_conflicting_commits_total", "aura_journal_sync_rounds_total",
	"aura_journal_sync_symbols_total", "aura_journal_sync_duration_seconds",
	"aura_journal_sync_facts_total", "aura_journal_sync_bytes_total",
	"aura_journal_entries_quarantined_total", "aura_flow_cap_cache_hits_total",
	"aura_consensus_delta_estimate_seconds", "aura_p2p_misbehaviour_total",
}

// unitSuffixes are the allowed <unit> endings of aura_<pkg>_<what>_<unit>
// (plus aura_node_up/joined, which are 0/1 gauges).
var unitSuffixes = []string{"_total", "_seconds", "_ratio", "_peers", "_running", "_active", "_up", "_joined"}

func TestNamesAndLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	pm, err := NewP2P(reg)
	if err != nil {
		t.Fatal(err)
	}
	nm, err := NewNode(reg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewServices(reg)
	if err != nil {
		t.Fatal(err)
	}
	touchAll(pm, nm)
	touchServices(svc)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 50 {
		t.Fatalf("gathered %d families, want 50", len(mfs))
	}
	forbidden := map[string]bool{"peer": true, "context": true, "authority": true, "ctx": true,
		"peer_id": true, "context_id": true, "authority_id": true, "device": true}
	got := map[string]bool{}
	for _, mf := range mfs {
		name := mf.GetName()
		got[name] = true
		checkName(t, name)
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if forbidden[l.GetName()] {
					t.Errorf("metric %s has forbidden label %s", name, l.GetName())
				}
			}
		}
	}
	for _, want := range spec14 {
		if !got[want] {
			t.Errorf("SPEC §14 metric %s not registered", want)
		}
	}
	if _, err := NewP2P(reg); err == nil {
		t.Fatal("second registration on the same registry succeeded")
	}
	if _, err := NewServices(reg); err == nil {
		t.Fatal("second NewServices on the same registry succeeded")
	}
}

func checkName(t *testing.T, name string) {
	t.Helper()
	parts := strings.Split(name, "_")
	if parts[0] != "aura" || len(parts) < 3 {
		t.Errorf("metric %s: want aura_<pkg>_<what>_<unit>", name)
		return
	}
	for _, u := range unitSuffixes {
		if strings.HasSuffix(name, u) {
			return
		}
	}
	t.Errorf("metric %s: no unit suffix", name)
}

// TestObservationsLand checks that each method reaches the series SPEC §14
// names, with the documented label values.
func TestObservationsLand(t *testing.T) {
	reg := prometheus.NewRegistry()
	svc, err := NewServices(reg)
	if err != nil {
		t.Fatal(err)
	}
	// Pre-created series: zero before any observation.
	for _, c := range []prometheus.Collector{svc.Sync.bytes.WithLabelValues("received"),
		svc.Consensus.envelopes.WithLabelValues(driver.EnvelopeAccept), svc.Consensus.equivocations,
		svc.Consensus.conflicting} {
		if v := value(t, c); v != 0 {
			t.Errorf("pre-created series = %v, want 0", v)
		}
	}
	touchServices(svc)
	touchServices(svc)
	cases := []struct {
		c    prometheus.Collector
		want float64
	}{
		{svc.Flow.receipts.WithLabelValues("accepted"), 2},
		{svc.Flow.decisions.WithLabelValues("journal", "allowed"), 2},
		{svc.Flow.capHits, 2},
		{svc.FlowState.signed, 4},
		{svc.Journal.stored, 6},
		{svc.Journal.quarantined, 2},
		{svc.Journal.refused.WithLabelValues("not_member"), 4},
		{svc.Sync.rounds.WithLabelValues("reconciled"), 2},
		{svc.Sync.symbols, 20},
		{svc.Sync.facts, 8},
		{svc.Sync.factsStored, 6},
		{svc.Sync.bytes.WithLabelValues("sent"), 200},
		{svc.Sync.resets.WithLabelValues("timeout"), 2},
		{svc.Tree.evaluations.WithLabelValues("true"), 2},
		{svc.Tree.commits.WithLabelValues("applied"), 2},
		{svc.Tree.commits.WithLabelValues("malformed"), 2},
		{svc.Consensus.active, 2},
		{svc.Consensus.oldest, 90},
		{svc.Consensus.commits.WithLabelValues("fast1"), 2},
		{svc.Consensus.fallback.WithLabelValues("timer"), 2},
		{svc.Consensus.envelopes.WithLabelValues("reject"), 2},
		{svc.Consensus.conflicting, 2},
		{svc.Consensus.delta, 0.15},
		{svc.DKG.starts.WithLabelValues("accepted"), 2},
		{svc.DKG.starts.WithLabelValues("refused"), 2},
		{svc.DKG.runs.WithLabelValues("ok"), 2},
		{svc.Control.calls.WithLabelValues("status", "ok"), 2},
	}
	for i, c := range cases {
		if v := value(t, c.c); v != c.want {
			t.Errorf("case %d: value %v, want %v", i, v, c.want)
		}
	}
	if n := len(collect(t, svc.Tree.commits)); n != 3 {
		t.Errorf("aura_tree_commits_total has %d series, want 3 (invalid=0 not created)", n)
	}
	for _, h := range []prometheus.Collector{svc.Flow.utilization, svc.Flow.charge, svc.Sync.duration,
		svc.Consensus.latency, svc.Control.duration} {
		if n := histCount(t, h); n != 2 {
			t.Errorf("histogram sample count %d, want 2", n)
		}
	}
}

func collect(t *testing.T, c prometheus.Collector) []*dto.Metric {
	t.Helper()
	ch := make(chan prometheus.Metric, 64)
	c.Collect(ch)
	close(ch)
	var out []*dto.Metric
	for m := range ch {
		pb := &dto.Metric{}
		if err := m.Write(pb); err != nil {
			t.Fatal(err)
		}
		out = append(out, pb)
	}
	return out
}

// value is the counter or gauge value of a single-series collector.
func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ms := collect(t, c)
	if len(ms) != 1 {
		t.Fatalf("collector has %d series, want 1", len(ms))
	}
	if g := ms[0].GetGauge(); g != nil {
		return g.GetValue()
	}
	return ms[0].GetCounter().GetValue()
}

func histCount(t *testing.T, c prometheus.Collector) uint64 {
	t.Helper()
	var n uint64
	for _, m := range collect(t, c) {
		n += m.GetHistogram().GetSampleCount()
	}
	return n
}

func TestLabels(t *testing.T) {
	paths := map[uint8]string{consensus.PathFast1: "fast1", consensus.PathFast2: "fast2",
		consensus.PathFallback: "fallback", 0: "unknown", 9: "unknown"}
	for p, want := range paths {
		if got := PathLabel(p); got != want {
			t.Errorf("PathLabel(%d) = %q, want %q", p, got, want)
		}
	}
	reasons := map[consensus.FallbackReason]string{consensus.FallbackTimer: "timer",
		consensus.FallbackMismatch: "mismatch", consensus.FallbackConflict: "conflict",
		consensus.FallbackGossip: "gossip", 0: "unknown"}
	for r, want := range reasons {
		if got := FallbackLabel(r); got != want {
			t.Errorf("FallbackLabel(%d) = %q, want %q", r, got, want)
		}
	}
}

func TestServeMetrics(t *testing.T) {
	reg := NewRegistry()
	pm, err := NewP2P(reg)
	if err != nil {
		t.Fatal(err)
	}
	nm, err := NewNode(reg)
	if err != nil {
		t.Fatal(err)
	}
	touchAll(pm, nm)
	s, err := Serve("127.0.0.1:0", reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`aura_p2p_misbehaviour_total{kind="bad_frame",protocol="/aura/sync/1.0.0"} 1`,
		"aura_node_up 1", "aura_node_routing_table_peers 7", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + s.Addr() + "/metrics"); err == nil {
		t.Fatal("server still answering after Close")
	}
	if _, err := Serve(s.Addr()+"x", reg, nil); err == nil {
		t.Fatal("Serve on a bad address succeeded")
	}
}
