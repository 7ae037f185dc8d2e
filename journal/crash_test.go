package journal_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/journal"
	jt "github.com/aura-p2p/aura-p2p/journal/journaltest"
)

const crashDirEnv = "AURA_JOURNAL_CRASH_DIR"

// TestHelperWriter is the child of TestCrashAcknowledgedDurable: it
// writes one fact per batch forever and prints "ACK <EntryID>" after each
// Put returns (= acknowledged).
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashAcknowledgedDurable (needs " + crashDirEnv + ")")
	}
	ctx := context.Background()
	d, err := journal.OpenPebble(dir)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	c := jt.NewStaticContext("crash", 2)
	j, err := journal.Open(ctx, d, journal.Config{})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	j.Join(c.NS())
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		e := jt.MustEntry(c.Generic(i%2, 1, []byte(fmt.Sprintf("fact %d", i))))
		if err := j.Put(ctx, c.NS(), e); err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		fmt.Fprintf(out, "ACK %s\n", e.ID)
		out.Flush()
	}
}

// TestCrashAcknowledgedDurable SIGKILLs a writer after N acknowledgements
// and checks every acknowledged entry survives and verifies.
func TestCrashAcknowledgedDurable(t *testing.T) {
	const n = 150
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := make(chan []string, 1)
	go func() {
		var ids []string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() && len(ids) < n {
			if id, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
				ids = append(ids, id)
			} else if strings.HasPrefix(sc.Text(), "ERR") {
				break
			}
		}
		acked <- ids
	}()
	var ids []string
	select {
	case ids = <-acked:
	case <-time.After(60 * time.Second):
		t.Error("writer too slow")
	}
	_ = cmd.Process.Kill() // SIGKILL on Unix
	_ = cmd.Wait()
	if len(ids) < n {
		t.Fatalf("got %d acknowledgements, want %d", len(ids), n)
	}
	verifyAcked(t, dir, ids)
}

func verifyAcked(t *testing.T, dir string, ids []string) {
	ctx := context.Background()
	d, err := journal.OpenPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := jt.NewStaticContext("crash", 2)
	j, err := journal.Open(ctx, d, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	j.Join(c.NS())
	stored, err := j.EntryIDs(ctx, c.NS())
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, id := range stored {
		have[id.String()] = true
	}
	for _, id := range ids {
		if !have[id] {
			t.Fatalf("acknowledged entry %s lost", id)
		}
	}
	es, err := j.Store().Entries(ctx, c.NS())
	if err != nil {
		t.Fatalf("stored entries fail verification: %v", err)
	}
	if len(es) < len(ids) {
		t.Fatalf("%d valid entries < %d acknowledged", len(es), len(ids))
	}
}
