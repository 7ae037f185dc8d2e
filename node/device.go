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
	"path/filepath"

	"github.com/aura-p2p/aura-p2p/internal/keyfile"
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
	err = keyfile.WriteNew(dir, DeviceKeyFile, seed)
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
	seed, err := keyfile.Read(path, deviceSeedSize, keyfile.Errs{Missing: ErrDeviceKeyMissing,
		Permissions: ErrDeviceKeyPermissions, Corrupt: ErrDeviceKeyCorrupt})
	if err != nil {
		return nil, err
	}
	if len(seed) != deviceSeedSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, want %d", ErrDeviceKeyCorrupt, path, len(seed), deviceSeedSize)
	}
	return seed, nil
}
