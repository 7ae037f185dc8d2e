package node

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aura-p2p/aura-p2p/journal"
)

// DeviceKeyFile is the device seed's file name inside the data directory.
const DeviceKeyFile = "device.key"

// deviceSeedSize is the length of device.key: one Ed25519 seed.
const deviceSeedSize = ed25519.SeedSize

// deviceDHInfo is the HKDF info deriving the X25519 DH key from the seed.
const deviceDHInfo = "aura/device-dh/v1"

// Device is this device's long-term authority keys (SPEC §1): DeviceKey
// (Ed25519: tree leaf, votes, authority-namespace fact signatures) and
// DHKey (X25519: receives sealed authority secrets), both derived from
// the 32-byte seed in DIR/device.key.
type Device struct {
	// Key is the DeviceKey, ed25519.NewKeyFromSeed(seed).
	Key ed25519.PrivateKey
	// DH is the X25519 key HKDF-SHA256(seed, "aura/device-dh/v1").
	DH *ecdh.PrivateKey
	// ID is the DeviceId, Trunc16(H("aura/device-id/v1", DeviceKey pub)).
	ID journal.DeviceID
}

// Pub is the DeviceKey's public half.
func (d *Device) Pub() [32]byte {
	var p [32]byte
	copy(p[:], d.Key.Public().(ed25519.PublicKey))
	return p
}

// DHPub is the DHKey's public half.
func (d *Device) DHPub() [32]byte {
	var p [32]byte
	copy(p[:], d.DH.PublicKey().Bytes())
	return p
}

// DeviceFromSeed derives the device keys of a 32-byte seed.
func DeviceFromSeed(seed []byte) (*Device, error) {
	if len(seed) != deviceSeedSize {
		return nil, fmt.Errorf("%w: seed is %d bytes, want %d", ErrDeviceKeyCorrupt, len(seed), deviceSeedSize)
	}
	key := ed25519.NewKeyFromSeed(seed)
	dhSeed, err := hkdf.Key(sha256.New, seed, nil, deviceDHInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("node: device dh: %w", err)
	}
	dh, err := ecdh.X25519().NewPrivateKey(dhSeed)
	if err != nil {
		return nil, fmt.Errorf("node: device dh: %w", err)
	}
	d := &Device{Key: key, DH: dh}
	d.ID = journal.DeviceIDOf(d.Pub())
	return d, nil
}

// LoadDevice reads DIR/device.key. It returns ErrDeviceKeyMissing if the
// file does not exist, ErrDeviceKeyPermissions if group or others can
// access it, ErrDeviceKeyCorrupt if it is not a regular file of exactly
// 32 bytes, and wrapped os errors otherwise.
func LoadDevice(dir string) (*Device, error) {
	path := filepath.Join(dir, DeviceKeyFile)
	seed, err := readDeviceSeed(path)
	if err != nil {
		return nil, err
	}
	d, err := DeviceFromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// LoadOrCreateDevice returns the device of DIR/device.key, creating a
// fresh seed (0600, written atomically: temp file, fsync, rename,
// directory fsync) when the file does not exist. Any other LoadDevice
// error is returned as is: an unreadable, corrupt or exposed key is never
// replaced.
func LoadOrCreateDevice(dir string) (*Device, error) {
	d, err := LoadDevice(dir)
	if !errors.Is(err, ErrDeviceKeyMissing) {
		return d, err
	}
	seed := make([]byte, deviceSeedSize)
	if _, err := io.ReadFull(rand.Reader, seed); err != nil {
		return nil, fmt.Errorf("node: device seed: %w", err)
	}
	err = writeSecretFile(dir, DeviceKeyFile, seed)
	if errors.Is(err, fs.ErrExist) {
		// Another caller (init and run at once) created it first: use
		// its seed, never replace it.
		return LoadDevice(dir)
	}
	if err != nil {
		return nil, err
	}
	return DeviceFromSeed(seed)
}

func readDeviceSeed(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrDeviceKeyMissing, path)
	}
	if err != nil {
		return nil, fmt.Errorf("node: open device key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("node: stat device key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrDeviceKeyCorrupt, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600", ErrDeviceKeyPermissions, path, st.Mode().Perm())
	}
	buf := make([]byte, deviceSeedSize+1)
	n, err := io.ReadFull(f, buf)
	switch {
	case err == nil: // deviceSeedSize+1 bytes read: too long
		return nil, fmt.Errorf("%w: %s is longer than %d bytes", ErrDeviceKeyCorrupt, path, deviceSeedSize)
	case !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("node: read device key: %w", err)
	case n != deviceSeedSize:
		return nil, fmt.Errorf("%w: %s is %d bytes, want %d", ErrDeviceKeyCorrupt, path, n, deviceSeedSize)
	}
	return buf[:n], nil
}

// writeSecretFile creates dir/name holding data with mode 0600 so that a
// crash leaves either no file or the complete file. It never replaces an
// existing file: the complete temp file is hard-linked into place, and an
// existing dir/name is an error matching fs.ErrExist (rename would let
// the last of two concurrent creators silently win).
func writeSecretFile(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("node: create %s dir: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("node: create %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // the linked copy stays (no-op after a fallback rename)
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("node: write %s: %w", name, err)
	}
	if err := installNoReplace(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("node: install %s: %w", name, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("node: sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("node: sync %s: %w", dir, err)
	}
	return nil
}

// installNoReplace moves the complete file tmp to path unless path
// exists (fs.ErrExist). Filesystems without hard links fall back to an
// existence check and rename (racy only there).
func installNoReplace(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(path); serr == nil {
		return fs.ErrExist
	}
	return os.Rename(tmp, path)
}
