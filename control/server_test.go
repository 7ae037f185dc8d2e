package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestSocketMode0600(t *testing.T) {
	// With a permissive process umask the socket must still be born 0600.
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	srv := newServer(t, Config{})
	st, err := os.Lstat(srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Type() != fs.ModeSocket || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want socket 0600", st.Mode())
	}
	if now := syscall.Umask(0); now != 0 {
		t.Fatalf("umask left at %#o", now)
	}
}

func TestUnsafeDataDirRefused(t *testing.T) {
	for _, mode := range []os.FileMode{0o770, 0o702, 0o777} {
		dir := shortDir(t)
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		srv, err := NewServer(Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(t.Context()); !errors.Is(err, ErrUnsafeDataDir) {
			t.Errorf("mode %#o: Start = %v, want ErrUnsafeDataDir", mode, err)
		}
		if _, err := os.Lstat(SocketPath(dir)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("mode %#o: socket created: %v", mode, err)
		}
	}
	if _, err := NewServer(Config{}); err == nil {
		t.Error("NewServer without DataDir succeeded")
	}
}

func TestSecondServerRefused(t *testing.T) {
	srv := newServer(t, Config{})
	if err := Register(srv, "echo", echo); err != nil {
		t.Fatal(err)
	}
	second, err := NewServer(Config{DataDir: srv.cfg.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Start(t.Context()); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Start = %v, want ErrAlreadyRunning", err)
	}
	var got echoResult
	if err := dial(t, srv.cfg.DataDir).Call(callCtx(t), "echo", echoParams{Text: "still"}, &got); err != nil || got.Text != "still" {
		t.Fatalf("first server after refused second: %v %+v", err, got)
	}
}

func TestStaleSocketRecovered(t *testing.T) {
	dir := shortDir(t)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: SocketPath(dir), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close() // leaves a socket file nobody answers on, as after a crash
	if _, err := os.Lstat(SocketPath(dir)); err != nil {
		t.Fatalf("stale socket missing: %v", err)
	}
	if err := dial(t, dir).Call(callCtx(t), MethodNodeStatus, nil, nil); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("call on stale socket = %v, want ErrNotRunning", err)
	}
	srv := newServer(t, Config{DataDir: dir})
	if err := Register(srv, "echo", echo); err != nil {
		t.Fatal(err)
	}
	if err := dial(t, dir).Call(callCtx(t), "echo", nil, nil); err != nil {
		t.Fatalf("call after recovery: %v", err)
	}
}

func TestNonSocketAtPathRefused(t *testing.T) {
	dir := shortDir(t)
	if err := os.WriteFile(SocketPath(dir), []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, _ := NewServer(Config{DataDir: dir})
	if err := srv.Start(t.Context()); !errors.Is(err, ErrUnsafeDataDir) {
		t.Fatalf("Start = %v, want ErrUnsafeDataDir", err)
	}
	if b, err := os.ReadFile(SocketPath(dir)); err != nil || string(b) != "keep me" {
		t.Fatalf("file at socket path touched: %q %v", b, err)
	}
	if _, err := Dial(dir); !errors.Is(err, ErrUnsafeDataDir) {
		t.Fatalf("Dial = %v", err)
	}
}

func TestCloseRemovesSocketAndIsIdempotent(t *testing.T) {
	dir := shortDir(t)
	srv, _ := NewServer(Config{DataDir: dir})
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start = %v", err)
	}
	if err := errors.Join(srv.Close(), srv.Close()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(SocketPath(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket left after Close: %v", err)
	}
	if err := srv.Start(t.Context()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close = %v", err)
	}
	if _, err := Dial(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Dial after Close = %v, want ErrNotRunning", err)
	}
}

func TestOversizedRequest(t *testing.T) {
	srv := newServer(t, Config{})
	if err := Register(srv, "echo", echo); err != nil {
		t.Fatal(err)
	}
	dir := srv.cfg.DataDir
	exact := padRequest(t, `{"method":"echo","params":{"n":7}}`, DefaultMaxRequestBytes)
	if resp := rawCall(t, dir, exact); resp.Error != nil || !strings.Contains(string(resp.Result), `"n":7`) {
		t.Fatalf("request of exactly the cap: %+v %s", resp.Error, resp.Result)
	}
	over := padRequest(t, `{"method":"echo","params":{"n":7}}`, DefaultMaxRequestBytes+1)
	if resp := rawCall(t, dir, over); resp.Error == nil || resp.Error.Code != CodeBadRequest {
		t.Fatalf("request over the cap: %+v", resp)
	}
	huge := make([]byte, 1<<20) // no newline at all, far past the cap
	if resp := rawCall(t, dir, huge); resp.Error == nil || resp.Error.Code != CodeBadRequest ||
		!strings.Contains(resp.Error.Message, "exceeds") {
		t.Fatalf("1 MiB request: %+v", resp.Error)
	}
	big := echoParams{Text: strings.Repeat("x", DefaultMaxRequestBytes)}
	if err := dial(t, dir).Call(callCtx(t), "echo", big, nil); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("client-side cap: %v", err)
	}
}

// padRequest pads a request object with spaces so the line (without its
// '\n') is n bytes long.
func padRequest(t *testing.T, obj string, n int) []byte {
	t.Helper()
	if len(obj) > n {
		t.Fatal("object longer than the pad target")
	}
	return []byte(obj + strings.Repeat(" ", n-len(obj)) + "\n")
}

func TestMalformedRequests(t *testing.T) {
	srv := newServer(t, Config{})
	if err := Register(srv, "echo", echo); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"\n", "not json\n", "[]\n", `{"method":"ECHO"}` + "\n", `{"method":""}` + "\n",
		`{"method":"echo","extra":1}` + "\n", `{"method":"echo"} {}` + "\n",
		`{"method":"echo","params":{"text":1}}` + "\n", `{"method":"echo","params":{"nope":1}}` + "\n",
		`{"method":"echo","params":[1]}` + "\n", `{"method":"echo"`,
	} {
		resp := rawCallEOF(t, srv.cfg.DataDir, []byte(line), true)
		if resp.Error == nil || resp.Error.Code != CodeBadRequest {
			t.Errorf("%q: %+v %s, want bad_request", line, resp.Error, resp.Result)
		}
	}
}

func TestReadDeadline(t *testing.T) {
	srv := newServer(t, Config{ReadTimeout: 50 * time.Millisecond})
	resp := rawCall(t, srv.cfg.DataDir, []byte(`{"method":"echo"`)) // no newline, no EOF
	if resp.Error == nil || resp.Error.Code != CodeBadRequest || !strings.Contains(resp.Error.Message, "within") {
		t.Fatalf("slow request: %+v", resp.Error)
	}
}

func TestUnknownMethod(t *testing.T) {
	srv := newServer(t, Config{})
	err := dial(t, srv.cfg.DataDir).Call(callCtx(t), MethodAuthorityCreate, AuthorityCreateParams{}, nil)
	var ce *Error
	if !errors.Is(err, ErrUnknownMethod) || !errors.As(err, &ce) || ce.Code != CodeUnknownMethod ||
		ce.Method != MethodAuthorityCreate || errors.Is(err, ErrInternal) {
		t.Fatalf("err = %v (%#v), want unknown_method", err, ce)
	}
	if !strings.Contains(err.Error(), MethodAuthorityCreate) {
		t.Fatalf("message does not name the method: %v", err)
	}
	if err := Register(srv, "late", echo); err != nil {
		t.Fatal(err)
	}
	if err := dial(t, srv.cfg.DataDir).Call(callCtx(t), "late", nil, nil); err != nil {
		t.Fatalf("method registered after Start: %v", err)
	}
	srv.Deregister("late")
	if err := dial(t, srv.cfg.DataDir).Call(callCtx(t), "late", nil, nil); !errors.Is(err, ErrUnknownMethod) {
		t.Fatalf("after Deregister: %v", err)
	}
}

var errServiceNotMember = errors.New("tree: device is not a member")

func TestTypedErrorsRoundTrip(t *testing.T) {
	srv := newServer(t, Config{})
	if err := srv.MapError(errServiceNotMember, ErrNotMember); err != nil {
		t.Fatal(err)
	}
	if err := srv.MapError(errServiceNotMember, errors.New("not a sentinel")); err == nil {
		t.Fatal("MapError accepted a non-sentinel")
	}
	cases := []struct {
		name string
		err  error
		want error
		code Code
	}{
		{"not_member", fmt.Errorf("authority 00ff: %w", ErrNotMember), ErrNotMember, CodeNotMember},
		{"mapped", fmt.Errorf("show: %w", errServiceNotMember), ErrNotMember, CodeNotMember},
		{"below", fmt.Errorf("2 of 3 online: %w", ErrBelowThreshold), ErrBelowThreshold, CodeBelowThreshold},
		{"offline", fmt.Errorf("dkg: device 1a silent 60s: %w", ErrDeviceOffline), ErrDeviceOffline, CodeDeviceOffline},
		{"bad", fmt.Errorf("threshold 9 > 3 devices: %w", ErrBadRequest), ErrBadRequest, CodeBadRequest},
		{"plain", errors.New("disk on fire"), ErrInternal, CodeInternal},
		{"panic", nil, ErrInternal, CodeInternal},
	}
	all := []error{ErrNotMember, ErrBelowThreshold, ErrDeviceOffline, ErrBadRequest, ErrUnknownMethod, ErrInternal}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "fail." + tc.name
			err := Register(srv, method, func(context.Context, struct{}) (int, error) {
				if tc.err == nil {
					panic("boom")
				}
				return 0, tc.err
			})
			if err != nil {
				t.Fatal(err)
			}
			got := dial(t, srv.cfg.DataDir).Call(callCtx(t), method, nil, nil)
			var ce *Error
			if !errors.As(got, &ce) || ce.Code != tc.code {
				t.Fatalf("err %v, want code %s", got, tc.code)
			}
			for _, s := range all {
				if errors.Is(got, s) != (s == tc.want) {
					t.Errorf("errors.Is(%v, %v) = %v", got, s, errors.Is(got, s))
				}
			}
			if tc.err != nil && got.Error() != tc.err.Error() {
				t.Errorf("message %q, want %q", got.Error(), tc.err.Error())
			}
		})
	}
}

func TestRegisterErrors(t *testing.T) {
	srv, _ := NewServer(Config{DataDir: shortDir(t)})
	if err := Register(srv, "a.b", echo); err != nil {
		t.Fatal(err)
	}
	if err := Register(srv, "a.b", echo); !errors.Is(err, ErrDuplicateMethod) {
		t.Fatalf("duplicate: %v", err)
	}
	for _, bad := range []string{"", "A", "a b", strings.Repeat("a", 65), "é"} {
		if err := Register(srv, bad, echo); !errors.Is(err, ErrBadMethodName) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if got := srv.Methods(); len(got) != 1 || got[0] != "a.b" {
		t.Fatalf("Methods = %v", got)
	}
}

func TestResultRoundTrip(t *testing.T) {
	srv := newServer(t, Config{MaxConns: 2})
	if err := Register(srv, "echo", echo); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.cfg.DataDir)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			var got echoResult
			want := echoResult{Text: fmt.Sprintf("call %d ✓", i), N: i}
			if err := c.Call(callCtx(t), "echo", echoParams(want), &got); err != nil || got != want {
				errs <- fmt.Errorf("call %d: %v %+v", i, err, got)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClientHangupCancelsHandler(t *testing.T) {
	srv := newServer(t, Config{})
	entered, cancelled := make(chan struct{}), make(chan error, 1)
	err := Register(srv, "block", func(ctx context.Context, _ struct{}) (int, error) {
		close(entered)
		<-ctx.Done()
		cancelled <- ctx.Err()
		return 0, ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(callCtx(t))
	done := make(chan error, 1)
	go func() { done <- dial(t, srv.cfg.DataDir).Call(ctx, "block", nil, nil) }()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Call = %v, want context.Canceled", err)
	}
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler ctx: %v", err)
	}
}

func TestCloseCancelsRunningHandler(t *testing.T) {
	dir := shortDir(t)
	srv, _ := NewServer(Config{DataDir: dir})
	entered := make(chan struct{})
	if err := Register(srv, "block", func(ctx context.Context, _ struct{}) (int, error) {
		close(entered)
		<-ctx.Done()
		return 0, ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- dial(t, dir).Call(callCtx(t), "block", nil, nil) }()
	<-entered
	if err := srv.Close(); err != nil { // returns only once the handler returned
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("call survived Close")
	}
}

func TestDialNotRunning(t *testing.T) {
	dir := shortDir(t)
	_, err := Dial(dir)
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "aura-p2p run --data "+dir) {
		t.Fatalf("Dial = %v", err)
	}
	if _, err := Dial(filepath.Join(dir, "missing")); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Dial on a missing dir = %v", err)
	}
}
