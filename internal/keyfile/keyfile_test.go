package keyfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	errMissing = errors.New("missing")
	errPerm    = errors.New("perm")
	errCorrupt = errors.New("corrupt")
	errs       = Errs{Missing: errMissing, Permissions: errPerm, Corrupt: errCorrupt}
)

func TestReadRefuses(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "k")
	if _, err := Read(p, 4, errs); !errors.Is(err, errMissing) {
		t.Fatalf("missing: %v", err)
	}
	if err := WriteNew(dir, "k", []byte("abcd")); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(p, 4, errs); err != nil || !bytes.Equal(b, []byte("abcd")) {
		t.Fatalf("Read = %q, %v", b, err)
	}
	if _, err := Read(p, 3, errs); !errors.Is(err, errCorrupt) {
		t.Fatalf("larger than max: %v", err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(p, 4, errs); !errors.Is(err, errPerm) {
		t.Fatalf("group-readable: %v", err)
	}
	if _, err := Read(dir, 4, errs); !errors.Is(err, errCorrupt) {
		t.Fatalf("directory: %v", err)
	}
}

func TestWriteNewNoReplace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	if err := WriteNew(dir, "k", []byte("one")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "k"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode().Perm(), err)
	}
	if err := WriteNew(dir, "k", []byte("two")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteNew: %v, want fs.ErrExist", err)
	}
	if b, _ := Read(filepath.Join(dir, "k"), 8, errs); string(b) != "one" {
		t.Fatalf("file holds %q after a refused replace", b)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".k.tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func TestWriteNewRace(t *testing.T) {
	for round := range 20 {
		dir := t.TempDir()
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := WriteNew(dir, "k", []byte{byte(i)})
				if err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				} else if !errors.Is(err, fs.ErrExist) {
					t.Errorf("creator %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("round %d: %d creators won, want 1", round, won)
		}
	}
}
