package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// cli runs Main with args and returns exit code, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func initArgs(dir string, extra ...string) []string {
	return append([]string{"init", "--data", dir, "--listen", "/ip4/127.0.0.1/tcp/0", "--nat-port-map=false"}, extra...)
}

func TestHelpEveryCommand(t *testing.T) {
	for _, c := range commands() {
		for _, h := range []string{"--help", "-h"} {
			code, out, errOut := cli(t, c.name, h)
			if code != exitOK || !strings.Contains(out, "Usage: aura-p2p "+c.name) || errOut != "" {
				t.Errorf("%s %s: code %d, stdout %q, stderr %q", c.name, h, code, out, errOut)
			}
		}
	}
	code, out, _ := cli(t, "--help")
	if code != exitOK || !strings.Contains(out, "devnet") {
		t.Errorf("--help: code %d, out %q", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	cases := [][]string{
		{},
		{"frobnicate"},
		{"init"},
		{"init", "--data", dir, "--no-such-flag"},
		{"init", "--data", dir, "extra"},
		{"init", "--data", dir, "--listen", "/ip4/1.2.3.4/tcpx/1"},
		{"id"},
		{"run"},
		{"run", "--data", dir, "--log-level", "loud"},
		{"bootstrap"},
		{"devnet", "--nodes", "0"},
		{"devnet", "--timeout", "-1s"},
		{"version", "x"},
	}
	for _, args := range cases {
		if code, _, errOut := cli(t, args...); code != exitUsage || errOut == "" {
			t.Errorf("%q: exit %d (stderr %q), want %d with a message", args, code, errOut, exitUsage)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a usage error created %s", dir)
	}
}

func TestInitBadBootstrapNamesIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	for _, bad := range []string{"/ip4/10.0.0.1/tcp/4001", "/dns4/x/tcp/notaport/p2p/12D3KooW", "garbage"} {
		code, _, errOut := cli(t, initArgs(dir, "--bootstrap", bad)...)
		if code != exitUsage || !strings.Contains(errOut, "--bootstrap") || !strings.Contains(errOut, bad) {
			t.Errorf("--bootstrap %q: exit %d, stderr %q", bad, code, errOut)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("bad --bootstrap created %s", dir)
	}
}

var peerIDRe = regexp.MustCompile(`peer id: (12D3Koo\w+)`)

func TestInitIDStable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	code, out, errOut := cli(t, initArgs(dir)...)
	if code != exitOK {
		t.Fatalf("init: %d %s", code, errOut)
	}
	m := peerIDRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("init printed no peer id: %q", out)
	}
	var first string
	for i := range 2 {
		code, out, errOut := cli(t, "id", "--data", dir)
		if code != exitOK || !strings.Contains(out, "peer id: "+m[1]) ||
			!strings.Contains(out, "/ip4/127.0.0.1/tcp/0/p2p/"+m[1]) {
			t.Fatalf("id run %d: %d %q %q", i, code, out, errOut)
		}
		if i == 0 {
			first = out
		} else if out != first {
			t.Fatalf("id output changed: %q then %q", first, out)
		}
	}
}

func TestInitRefusesExistingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, _, errOut := cli(t, initArgs(dir)...); code != exitOK {
		t.Fatalf("init: %s", errOut)
	}
	_, idOut, _ := cli(t, "id", "--data", dir)
	code, _, errOut := cli(t, initArgs(dir)...)
	if code != exitRuntime || !strings.Contains(errOut, "already exists") {
		t.Fatalf("second init: exit %d, stderr %q", code, errOut)
	}
	if _, after, _ := cli(t, "id", "--data", dir); after != idOut {
		t.Fatalf("identity changed: %q -> %q", idOut, after)
	}
}

func TestBadConfigFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, _, errOut := cli(t, initArgs(dir)...); code != exitOK {
		t.Fatalf("init: %s", errOut)
	}
	cfg := filepath.Join(dir, "config.json")
	for _, bad := range []string{`{"version":1,"listen_addrs":["nope"]}`, `{"version":1,"typo":true}`, `not json`} {
		if err := os.WriteFile(cfg, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"id", "run"} {
			code, _, errOut := cli(t, cmd, "--data", dir, "--metrics-addr", "")
			if cmd == "id" {
				code, _, errOut = cli(t, cmd, "--data", dir)
			}
			if code != exitRuntime || !strings.Contains(errOut, "bad config") || !strings.Contains(errOut, cfg) {
				t.Errorf("%s with %s: exit %d, stderr %q", cmd, bad, code, errOut)
			}
		}
	}
	if code, _, errOut := cli(t, "run", "--data", filepath.Join(dir, "missing"), "--metrics-addr", ""); code != exitRuntime ||
		!strings.Contains(errOut, "not initialised") {
		t.Errorf("run on a missing dir: exit %d, stderr %q", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := cli(t, "version")
	if code != exitOK || !strings.Contains(out, "aura-p2p") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("version: %d %q", code, out)
	}
}

// lineWaiter is an io.Writer that signals when a line matching re arrives.
type lineWaiter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	re    *regexp.Regexp
	match chan string
}

func newLineWaiter(re string) *lineWaiter {
	return &lineWaiter{re: regexp.MustCompile(re), match: make(chan string, 1)}
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.re == nil {
		return len(p), nil
	}
	if m := w.re.FindStringSubmatch(w.buf.String()); m != nil {
		w.re = nil
		w.match <- m[len(m)-1]
	}
	return len(p), nil
}

func (w *lineWaiter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRunCancelDrains runs `run` in-process, scrapes /metrics (libp2p's
// collectors and ours, aura_flow_* and aura_journal_sync_* included, on
// one registry), cancels the root ctx as SIGINT
// would, and checks Main returns 0 and the goroutines drain.
func TestRunCancelDrains(t *testing.T) {
	for _, role := range []string{"run", "bootstrap"} {
		t.Run(role, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			if code, _, errOut := cli(t, initArgs(dir)...); code != exitOK {
				t.Fatalf("init: %s", errOut)
			}
			base := runtime.NumGoroutine()
			out := newLineWaiter(`metrics on (http://\S+)`)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int, 1)
			go func() {
				done <- Main(ctx, []string{role, "--data", dir, "--metrics-addr", "127.0.0.1:0", "--log-level", "error"}, out, io.Discard)
			}()
			var url string
			select {
			case url = <-out.match:
			case code := <-done:
				t.Fatalf("exited early with %d: %s", code, out.String())
			case <-time.After(30 * time.Second):
				t.Fatalf("no metrics line: %s", out.String())
			}
			body := scrape(t, url)
			for _, want := range []string{"aura_node_up 1", "libp2p_", "go_goroutines",
				// Package collectors registered on the same registry (promx.NewServices).
				"aura_flow_charge_duration_seconds_count", "aura_flow_cap_cache_hits_total",
				"aura_flow_state_reductions_total", "aura_journal_entries_quarantined_total",
				`aura_journal_sync_bytes_total{dir="sent"}`, "aura_journal_sync_symbols_total",
				"aura_journal_sync_duration_seconds_count", "aura_consensus_conflicting_commits_total 0"} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics lacks %q", want)
				}
			}
			cancel()
			select {
			case code := <-done:
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, out.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Main did not return after cancel")
			}
			if !strings.Contains(out.String(), "shutting down") {
				t.Errorf("output: %s", out.String())
			}
			checkGoroutines(t, base)
		})
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkGoroutines waits (bounded) until the goroutine count is back to at
// most base plus a small allowance for process-wide library singletons.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	const slack = 3
	defer func() { t.Logf("goroutines: base %d, after close %d", base, runtime.NumGoroutine()) }()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+slack {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines %d > base %d + %d:\n%s", runtime.NumGoroutine(), base, slack, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDevnetCommand(t *testing.T) {
	var out bytes.Buffer
	code := Main(context.Background(), []string{"devnet", "--nodes", "3", "--dir", t.TempDir()}, &out, io.Discard)
	if code != exitOK || !strings.Contains(out.String(), "PASS") {
		t.Fatalf("devnet exit %d:\n%s", code, out.String())
	}
}
