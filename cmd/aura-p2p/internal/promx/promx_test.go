package promx

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

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
	touchAll(pm, nm)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 11 {
		t.Fatalf("gathered %d families, want 11", len(mfs))
	}
	forbidden := map[string]bool{"peer": true, "context": true, "authority": true, "ctx": true}
	for _, mf := range mfs {
		name := mf.GetName()
		if !strings.HasPrefix(name, "aura_p2p_") && !strings.HasPrefix(name, "aura_node_") {
			t.Errorf("metric %s: want aura_<pkg>_ prefix", name)
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if forbidden[l.GetName()] {
					t.Errorf("metric %s has forbidden label %s", name, l.GetName())
				}
			}
		}
	}
	if _, err := NewP2P(reg); err == nil {
		t.Fatal("second registration on the same registry succeeded")
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
