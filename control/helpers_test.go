package control

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// shortDir returns a fresh 0700 directory with a short path (unix socket
// paths are limited to ~104 bytes).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newServer returns a started server on a fresh dir, closed at cleanup.
func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = shortDir(t)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

func dial(t *testing.T, dataDir string) *Client {
	t.Helper()
	c, err := Dial(dataDir)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return c
}

func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawCall writes payload on a new connection (concurrently, so a server
// that stops reading cannot block the test) and returns the decoded
// response line.
func rawCall(t *testing.T, dataDir string, payload []byte) Response {
	return rawCallEOF(t, dataDir, payload, false)
}

// rawCallEOF is rawCall that, with eof, half-closes after the payload.
func rawCallEOF(t *testing.T, dataDir string, payload []byte, eof bool) Response {
	t.Helper()
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: filepath.Join(dataDir, SocketName), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		if _, err := conn.Write(payload); err == nil && eof {
			_ = conn.CloseWrite()
		}
	}()
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		t.Fatalf("read response: %v (got %q)", err, line)
	}
	resp, err := DecodeResponse(line)
	if err != nil {
		t.Fatalf("DecodeResponse(%q): %v", line, err)
	}
	return resp
}

type echoParams struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

type echoResult struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

func echo(_ context.Context, p echoParams) (echoResult, error) {
	return echoResult(p), nil
}
