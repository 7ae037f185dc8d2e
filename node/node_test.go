package node

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/p2p"
)

// localConfig listens on loopback only, without port mapping.
func localConfig() FileConfig {
	fc := DefaultFileConfig()
	fc.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	fc.NATPortMap = false
	fc.ForcePublic = true
	return fc
}

func initDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := Init(dir, localConfig()); err != nil {
		t.Fatalf("Init: %v", err)
	}
	return dir
}

func TestInitLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "data")
	id, err := Init(dir, localConfig())
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]os.FileMode{
		dir: 0o700, filepath.Join(dir, p2p.IdentityFile): 0o600, filepath.Join(dir, ConfigFileName): 0o600,
	}
	for path, want := range modes {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != want {
			t.Fatalf("%s: %v mode %v, want %v", path, err, st.Mode().Perm(), want)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, DatastoreDirName)); err != nil || !st.IsDir() {
		t.Fatalf("datastore: %v", err)
	}
	info, err := Inspect(dir)
	if err != nil || info.ID != id {
		t.Fatalf("Inspect = %v, %v; want ID %s", info.ID, err, id)
	}
	again, err := Inspect(dir)
	if err != nil || again.ID != id {
		t.Fatalf("second Inspect = %v, %v", again.ID, err)
	}
	want := []string{"/ip4/127.0.0.1/tcp/0/p2p/" + id.String()}
	if got := info.ListenAddrs(); !slices.Equal(got, want) {
		t.Fatalf("ListenAddrs %v, want %v", got, want)
	}
}

func TestInitRefusesExistingDir(t *testing.T) {
	dir := initDir(t)
	key, err := os.ReadFile(filepath.Join(dir, p2p.IdentityFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Init(dir, localConfig()); !errors.Is(err, ErrDataDirExists) {
		t.Fatalf("second Init: %v, want ErrDataDirExists", err)
	}
	after, err := os.ReadFile(filepath.Join(dir, p2p.IdentityFile))
	if err != nil || !bytes.Equal(key, after) {
		t.Fatalf("identity changed by a refused Init (%v)", err)
	}
	empty := t.TempDir()
	if _, err := Init(empty, localConfig()); !errors.Is(err, ErrDataDirExists) {
		t.Fatalf("Init on an empty existing dir: %v", err)
	}
}

func TestInitBadConfigCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	fc := localConfig()
	fc.BootstrapPeers = []string{"/ip4/1.2.3.4/tcp/4001"}
	if _, err := Init(dir, fc); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("Init: %v, want ErrBadConfig", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Init left %s behind: %v", dir, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(Config{DataDir: filepath.Join(t.TempDir(), "none")}); !errors.Is(err, ErrNotInitialised) {
		t.Fatalf("missing dir: %v", err)
	}
	dir := initDir(t)
	if err := os.WriteFile(filepath.Join(dir, ConfigFileName), []byte(`{"version":1,"conn_grace":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Config{DataDir: dir})
	var ce *ConfigError
	if !errors.Is(err, ErrBadConfig) || !errors.As(err, &ce) || ce.Path != filepath.Join(dir, ConfigFileName) {
		t.Fatalf("bad config: %v", err)
	}
	dir2 := initDir(t)
	if err := os.Chmod(filepath.Join(dir2, p2p.IdentityFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Config{DataDir: dir2}); !errors.Is(err, p2p.ErrIdentityPermissions) {
		t.Fatalf("open identity: %v", err)
	}
}

// recorder is a Service that logs its lifecycle into a shared list.
type recorder struct {
	name    string
	log     *eventLog
	failErr error
	host    HostInfo
}

type eventLog struct {
	mu  sync.Mutex
	evs []string
	up  chan struct{}
}

func (l *eventLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, s)
}

func (l *eventLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

func (r *recorder) Start(ctx context.Context) error {
	if r.failErr != nil {
		return r.failErr
	}
	if r.host == nil || r.host.ID() == "" {
		return errors.New("no host")
	}
	r.log.add("start " + r.name)
	if r.name == "b" && r.log.up != nil {
		close(r.log.up)
	}
	return nil
}

func (r *recorder) Close() error {
	r.log.add("close " + r.name)
	return nil
}

func services(l *eventLog, fail string, names ...string) []ServiceFunc {
	var fs []ServiceFunc
	for _, n := range names {
		fs = append(fs, func(env Env) (Service, error) {
			r := &recorder{name: n, log: l, host: env.Host}
			if n == fail {
				r.failErr = errors.New("boom")
			}
			return r, nil
		})
	}
	return fs
}

func TestRunLifecycle(t *testing.T) {
	base := runtime.NumGoroutine()
	dir := initDir(t)
	l := &eventLog{up: make(chan struct{})}
	n, err := Open(Config{DataDir: dir, Services: services(l, "", "a", "b")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	select {
	case <-l.up:
	case <-time.After(20 * time.Second):
		t.Fatal("services not started")
	}
	if h := n.Host(); h == nil || h.ID() != n.ID() {
		t.Fatalf("host %v, want ID %s", h, n.ID())
	}
	if err := n.Start(ctx); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got, want := l.list(), []string{"start a", "start b", "close b", "close a"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if err := n.Start(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
	checkGoroutines(t, base)
}

func TestStartFailureUnwinds(t *testing.T) {
	dir := initDir(t)
	l := &eventLog{}
	n, err := Open(Config{DataDir: dir, Services: services(l, "c", "a", "c", "d")})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Run(context.Background())
	if err == nil {
		t.Fatal("Run succeeded with a failing service")
	}
	if got, want := l.list(), []string{"start a", "close a"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if n.Host() != nil {
		t.Fatal("host still set after failed start")
	}
	// The datastore was closed: the directory can be opened again.
	n2, err := Open(Config{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if err := n2.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkGoroutines waits (bounded) for the goroutine count to come back to
// at most base plus a small allowance for runtime/library singletons.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	const slack = 3
	defer func() { t.Logf("goroutines: base %d, after close %d", base, runtime.NumGoroutine()) }()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+slack {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d, base %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}
