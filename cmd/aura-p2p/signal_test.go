package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the aura-p2p binary when
// AURA_P2P_BE_MAIN=1, so TestSignalShutdown can signal a real process.
func TestMain(m *testing.M) {
	if os.Getenv("AURA_P2P_BE_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSignalShutdown runs `run` as a child process, sends SIGINT or
// SIGTERM once it is up, and expects a clean exit 0 after "shutting down".
func TestSignalShutdown(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			if code, _, errOut := cli(t, initArgs(dir)...); code != exitOK {
				t.Fatalf("init: %s", errOut)
			}
			cmd := exec.Command(os.Args[0], "run", "--data", dir, "--metrics-addr", "", "--log-level", "error")
			cmd.Env = append(os.Environ(), "AURA_P2P_BE_MAIN=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() }) // no-op once it exited
			lines := make(chan string, 16)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			waitLine(t, lines, "running")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waitLine(t, lines, "shutting down")
			for range lines { // drain until the child closes stdout
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("child exit after %s: %v", sig, err)
			}
		})
	}
}

func waitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("child stdout closed before %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no %q line", want)
		}
	}
}
