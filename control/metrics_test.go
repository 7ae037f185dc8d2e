package control

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type recordMetrics struct {
	mu    sync.Mutex
	calls []string
}

func (m *recordMetrics) Call(method, code string, _ time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, method+" "+code)
}

func (m *recordMetrics) list() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// TestMetricsLabelsBounded: each answered call is observed once; methods
// nobody registered are labelled "unknown" or "invalid", never echoed.
// A request cut by EOF instead of '\n' is still served.
func TestMetricsLabelsBounded(t *testing.T) {
	m := &recordMetrics{}
	srv := newServer(t, Config{Metrics: m})
	if err := Register(srv, "echo", echo); err != nil {
		t.Fatal(err)
	}
	dir := srv.cfg.DataDir
	if resp := rawCallEOF(t, dir, []byte(`{"method":"echo","params":{"n":3}}`), true); resp.Error != nil ||
		!strings.Contains(string(resp.Result), `"n":3`) {
		t.Fatalf("EOF-terminated request: %+v %s", resp.Error, resp.Result)
	}
	rawCall(t, dir, []byte(`{"method":"no.such.method.x1"}`+"\n"))
	rawCall(t, dir, []byte("garbage\n"))
	rawCall(t, dir, []byte(`{"method":"echo","params":{"zz":1}}`+"\n"))
	want := []string{"echo ok", "unknown unknown_method", "invalid bad_request", "echo bad_request"}
	if got := m.list(); !slices.Equal(got, want) {
		t.Fatalf("observations %v, want %v", got, want)
	}
}
