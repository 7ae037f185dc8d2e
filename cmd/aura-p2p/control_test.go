package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/control"
)

// TestHelpOnceEverySubcommand: every command and group subcommand answers
// --help on stdout, exactly once, with exit 0.
func TestHelpOnceEverySubcommand(t *testing.T) {
	var cases [][]string
	for _, c := range commands() {
		cases = append(cases, []string{c.name})
	}
	for group, subs := range map[string][]subcommand{"authority": authoritySubs(), "device": deviceSubs()} {
		for _, s := range subs {
			cases = append(cases, []string{group, s.name})
		}
	}
	for _, args := range cases {
		code, out, errOut := cli(t, append(args, "--help")...)
		want := "Usage: aura-p2p " + strings.Join(args, " ")
		if code != exitOK || !strings.Contains(out, want) || strings.Count(out, "Usage:") != 1 || errOut != "" {
			t.Errorf("%q --help: code %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestControlUsageErrors(t *testing.T) {
	d := t.TempDir()
	id := strings.Repeat("ab", 16)
	for _, args := range [][]string{
		{"status"},
		{"status", "--data", d, "--timeout", "0s"},
		{"status", "--data", d, "extra"},
		{"authority"},
		{"authority", "frob"},
		{"authority", "show", "--data", d, "--authority", "xyz"},
		{"authority", "policy", "--data", d},
		{"authority", "policy", "--data", d, "--threshold", "70000"},
		{"device"},
		{"device", "invite", "--data", d, "--expiry", "-1h"},
		{"device", "join", "--data", d},
		{"device", "remove", "--data", d},
		{"device", "remove", "--data", d, "--device", id[:30]},
		{"device", "remove", "--device", id},
	} {
		if code, _, errOut := cli(t, args...); code != exitUsage || errOut == "" {
			t.Errorf("%q: exit %d (stderr %q), want %d with a message", args, code, errOut, exitUsage)
		}
	}
}

func TestStatusNoDaemon(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, _, errOut := cli(t, initArgs(dir)...); code != exitOK {
		t.Fatalf("init: %s", errOut)
	}
	code, _, errOut := cli(t, "status", "--data", dir)
	if code != exitRuntime || !strings.Contains(errOut, "no daemon is running") || !strings.Contains(errOut, "aura-p2p run --data "+dir) {
		t.Fatalf("status without daemon: exit %d, stderr %q", code, errOut)
	}
}

// TestCLIAgainstDaemon runs `run` in-process, then status (text and JSON)
// and the authority/device commands against it: the daemon serves
// node.status and, through its authority service, every authority and
// device method: refusals come back typed (bad request, not a member)
// with exit 1, and create/show/invite succeed.
func TestCLIAgainstDaemon(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, _, errOut := cli(t, initArgs(dir)...); code != exitOK {
		t.Fatalf("init: %s", errOut)
	}
	_, idOut, _ := cli(t, "id", "--data", dir)
	peerID := peerIDRe.FindStringSubmatch(idOut)[1]
	stop := startDaemon(t, dir)
	code, out, errOut := cli(t, "status", "--data", dir)
	if code != exitOK || !strings.Contains(out, "peer id:       "+peerID) || !strings.Contains(out, "listen:        /ip4/127.0.0.1/tcp/") ||
		!strings.Contains(out, "joined:        no") {
		t.Fatalf("status: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = cli(t, "status", "--data", dir, "--json")
	var st control.Status
	if err := json.Unmarshal([]byte(out), &st); code != exitOK || err != nil || st.PeerID != peerID || st.UptimeMs < 0 {
		t.Fatalf("status --json: exit %d, %v, %q", code, err, out)
	}
	id := strings.Repeat("0f", 16)
	// Before any authority: refusals, each explained on stderr.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"authority", "show"}, "this device is not a member"}, // it belongs to no authority yet
		{[]string{"authority", "show", "--authority", id}, "this device is not a member of that authority"},
		{[]string{"authority", "policy", "--threshold", "2", "--authority", id}, "this device is not a member"},
		{[]string{"authority", "rotate", "--authority", id}, "this device is not a member"},
		{[]string{"device", "invite", "--expiry", "1h", "--authority", id}, "this device is not a member"},
		{[]string{"device", "join", "--code", "aura-invite-x"}, "the daemon rejected the request"},
		{[]string{"device", "remove", "--device", id, "--authority", id}, "this device is not a member"},
	} {
		code, out, errOut := cli(t, append(tc.args, "--data", dir)...)
		if code != exitRuntime || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
	}
	code, out, errOut = cli(t, "authority", "create", "--data", dir)
	var cr control.AuthorityCreateResult
	if err := json.Unmarshal([]byte(out), &cr); code != exitOK || err != nil || len(cr.AuthorityID) != 32 || len(cr.DeviceID) != 32 {
		t.Fatalf("authority create: exit %d, %v, stdout %q, stderr %q", code, err, out, errOut)
	}
	code, out, errOut = cli(t, "authority", "show", "--data", dir)
	if code != exitOK || !strings.Contains(out, cr.AuthorityID) || !strings.Contains(out, cr.DeviceID) {
		t.Fatalf("authority show: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = cli(t, "device", "invite", "--data", dir, "--expiry", "1h")
	var inv control.DeviceInviteResult
	if err := json.Unmarshal([]byte(out), &inv); code != exitOK || err != nil || !strings.HasPrefix(inv.Code, "aura-invite-1:") ||
		inv.ExpiresAtMs <= time.Now().UnixMilli() {
		t.Fatalf("device invite: exit %d, %v, stdout %q, stderr %q", code, err, out, errOut)
	}
	// The only device cannot be removed (bad request).
	code, _, errOut = cli(t, "device", "remove", "--data", dir, "--device", cr.DeviceID)
	if code != exitRuntime || !strings.Contains(errOut, "the daemon rejected the request") {
		t.Fatalf("remove the last device: exit %d, stderr %q", code, errOut)
	}
	stop()
	if code, _, errOut := cli(t, "status", "--data", dir); code != exitRuntime || !strings.Contains(errOut, "no daemon is running") {
		t.Fatalf("status after shutdown: exit %d, stderr %q", code, errOut)
	}
}

// startDaemon runs `aura-p2p run` on dir in-process until the returned
// stop is called (which waits for exit 0).
func startDaemon(t *testing.T, dir string) (stop func()) {
	t.Helper()
	out := newLineWaiter(`peer (\S+) running`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"run", "--data", dir, "--metrics-addr", "", "--log-level", "error"}, out, io.Discard)
	}()
	select {
	case <-out.match:
	case code := <-done:
		cancel()
		t.Fatalf("daemon exited early with %d: %s", code, out.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("daemon did not start: %s", out.String())
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("daemon exit %d: %s", code, out.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("daemon did not stop")
		}
	}
	t.Cleanup(stop)
	return stop
}
