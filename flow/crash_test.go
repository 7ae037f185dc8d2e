package flow

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
)

const crashEnv = "AURA_FLOW_CRASH_DIR"

// TestCrashChargeRecordCoversWrites is the kill -9 half of SPEC §16.17: a
// child process sends on one budget key from 4 goroutines over synced
// Pebble, its transport printing every written frame's receipt nonce to
// stdout; the parent SIGKILLs it mid-run, then reopens the store: the
// charge record is ≥ the Spent' of every frame that reached the wire.
func TestCrashChargeRecordCoversWrites(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChargeRecordCoversWrites$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bk := aliceKey(bob.Authority, testEpoch)
	spentOf := map[uint64]uint64{}
	for i := uint64(1); i <= 2000; i++ {
		spentOf[receipt.Nonce(alice.AuthoritySecret[:], bk, alice.Device, 50*i)] = 50 * i
	}
	sc := bufio.NewScanner(out)
	var maxSent uint64
	lines := 0
	for sc.Scan() {
		n, err := strconv.ParseUint(sc.Text(), 16, 64)
		if err != nil {
			continue // test framework output
		}
		sp, ok := spentOf[n]
		if !ok {
			t.Fatalf("written nonce %x matches no Spent'", n)
		}
		maxSent = max(maxSent, sp)
		if lines++; lines == 150 {
			_ = cmd.Process.Kill() // SIGKILL
		}
	}
	_ = cmd.Wait()
	if lines < 150 {
		t.Fatalf("child wrote only %d frames", lines)
	}
	d, err := journal.OpenPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	v, err := d.Get(bg, SpentKey(bk))
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := DecodeSpent(v)
	if rec < maxSent {
		t.Fatalf("charge record %d < Spent' %d already written", rec, maxSent)
	}
	t.Logf("killed after ≥ %d frames; record %d, max written Spent' %d", lines, rec, maxSent)
}

func crashChild(t *testing.T, dir string) {
	d, err := journal.OpenPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := newNode(t, alice, 100_000, d)
	w := bufio.NewWriter(os.Stdout)
	n.tr.onWrite = func(frame []byte) {
		_, raw, _, err := splitFrame(frame)
		r, err2 := receipt.Decode(raw)
		if err != nil || err2 != nil {
			panic("bad frame")
		}
		fmt.Fprintf(w, "%016x\n", r.Nonce)
		_ = w.Flush()
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := n.open(t)
			for i := 0; i < 4000 && s.WriteFrame(bg, msg(budget.MsgNonceCommit, ctxA, bob.Authority, body(8, 0))) == nil; i++ {
			}
		}()
	}
	wg.Wait() // the parent kills us long before the 2000th frame
}
