package node

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
)

// TestDeviceKeyLifecycle: Init writes device.key (0600, 32 bytes); the
// device is a pure function of it across loads and Open; an old data dir
// without it gets one on Open.
func TestDeviceKeyLifecycle(t *testing.T) {
	dir := initDir(t)
	path := filepath.Join(dir, DeviceKeyFile)
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() != 32 {
		t.Fatalf("device.key: %v mode %v size %d", err, st.Mode().Perm(), st.Size())
	}
	a, err := LoadDevice(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateDevice(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Key.Equal(b.Key) || !bytes.Equal(a.DH.Bytes(), b.DH.Bytes()) || a.ID != b.ID {
		t.Fatal("device keys differ between loads")
	}
	if a.ID != journal.DeviceIDOf(a.Pub()) {
		t.Fatal("ID is not DeviceIDOf(DeviceKey)")
	}
	// An old data dir: no device.key until Open creates one.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	n, err := Open(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.Device() == nil || n.Device().ID == a.ID {
		t.Fatal("Open did not create a fresh device key")
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("device.key after Open: %v", err)
	}
}

// TestDeviceFromSeed: DeviceKey is ed25519.NewKeyFromSeed(seed) and the
// DH key is derived from the seed, distinct per seed.
func TestDeviceFromSeed(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	d, err := DeviceFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Key.Equal(ed25519.NewKeyFromSeed(seed)) {
		t.Fatal("DeviceKey is not NewKeyFromSeed(seed)")
	}
	e, _ := DeviceFromSeed(bytes.Repeat([]byte{8}, 32))
	if d.DHPub() == e.DHPub() || d.DHPub() == d.Pub() {
		t.Fatal("DH key not derived per seed")
	}
	if _, err := DeviceFromSeed(seed[:31]); !errors.Is(err, ErrDeviceKeyCorrupt) {
		t.Fatalf("short seed: %v", err)
	}
}

// TestDeviceKeyRefused: a missing, exposed, short, long or non-regular
// device.key is a typed error and LoadOrCreateDevice never replaces an
// existing bad one.
func TestDeviceKeyRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DeviceKeyFile)
	if _, err := LoadDevice(dir); !errors.Is(err, ErrDeviceKeyMissing) {
		t.Fatalf("missing: %v", err)
	}
	cases := []struct {
		name string
		data []byte
		mode os.FileMode
		want error
	}{
		{"group readable", make([]byte, 32), 0o640, ErrDeviceKeyPermissions},
		{"world readable", make([]byte, 32), 0o604, ErrDeviceKeyPermissions},
		{"short", make([]byte, 31), 0o600, ErrDeviceKeyCorrupt},
		{"empty", nil, 0o600, ErrDeviceKeyCorrupt},
		{"long", make([]byte, 33), 0o600, ErrDeviceKeyCorrupt},
	}
	for _, c := range cases {
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, c.mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateDevice(dir); !errors.Is(err, c.want) {
			t.Fatalf("%s: %v, want %v", c.name, err, c.want)
		}
		got, _ := os.ReadFile(path)
		if !bytes.Equal(got, c.data) {
			t.Fatalf("%s: file replaced", c.name)
		}
		_ = os.Remove(path)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDevice(dir); !errors.Is(err, ErrDeviceKeyCorrupt) {
		t.Fatalf("directory: %v", err)
	}
}

// FuzzLoadDevice: arbitrary device.key contents never panic; exactly the
// 32-byte files load (and deterministically), everything else is
// ErrDeviceKeyCorrupt.
func FuzzLoadDevice(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Add([]byte{1, 2, 3})
	f.Add(make([]byte, 33))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, DeviceKeyFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		d, err := LoadDevice(dir)
		if len(data) != 32 {
			if !errors.Is(err, ErrDeviceKeyCorrupt) {
				t.Fatalf("%d bytes: %v", len(data), err)
			}
			return
		}
		e, _ := DeviceFromSeed(data)
		if err != nil || !d.Key.Equal(e.Key) || d.ID != e.ID {
			t.Fatalf("32 bytes: %v", err)
		}
	})
}

// TestDeviceKeyCreateRace: processes (init, run) creating device.key at
// once all end up with the one key on disk: the loser of the creation
// race loads the winner's seed instead of replacing it, so no caller runs
// with a device that a restart would not reload.
func TestDeviceKeyCreateRace(t *testing.T) {
	for round := range 20 {
		dir := t.TempDir()
		const n = 8
		ids := make([]journal.DeviceID, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				d, err := LoadOrCreateDevice(dir)
				errs[i] = err
				if err == nil {
					ids[i] = d.ID
				}
			})
		}
		close(start)
		wg.Wait()
		disk, err := LoadDevice(dir)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d caller %d: %v", round, i, errs[i])
			}
			if ids[i] != disk.ID {
				t.Fatalf("round %d caller %d got device %s, device.key holds %s", round, i, ids[i], disk.ID)
			}
		}
	}
}
