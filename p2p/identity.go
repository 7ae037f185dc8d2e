package p2p

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"
	crypto_pb "github.com/libp2p/go-libp2p/core/crypto/pb"
)

// IdentityFile is the host key's file name inside the data directory.
const IdentityFile = "identity.key"

// maxIdentitySize bounds the bytes read from an identity file; a marshalled
// Ed25519 key is 68 bytes.
const maxIdentitySize = 4096

// LoadOrCreateIdentity returns the Ed25519 host key in <dir>/identity.key,
// creating dir (0700) and a fresh key (0600, written atomically: temp
// file, fsync, rename, directory fsync) when the file does not exist.
// Errors are those of LoadIdentity, or wrapped os errors.
func LoadOrCreateIdentity(dir string) (crypto.PrivKey, error) {
	k, err := LoadIdentity(dir)
	if !errors.Is(err, ErrIdentityMissing) {
		return k, err
	}
	k, _, err = crypto.GenerateEd25519Key(nil)
	if err != nil {
		return nil, fmt.Errorf("p2p: generate identity: %w", err)
	}
	raw, err := crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("p2p: marshal identity: %w", err)
	}
	if err := writeFileAtomic(dir, IdentityFile, raw); err != nil {
		return nil, err
	}
	return k, nil
}

// LoadIdentity reads <dir>/identity.key. It returns ErrIdentityMissing if
// the file does not exist, ErrIdentityPermissions if it is accessible by
// group or others, ErrIdentityCorrupt if it is not a marshalled Ed25519
// private key, and wrapped os errors otherwise.
func LoadIdentity(dir string) (crypto.PrivKey, error) {
	path := filepath.Join(dir, IdentityFile)
	raw, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	k, err := decodeIdentity(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// decodeIdentity decodes a marshalled libp2p private key and insists on
// Ed25519; every failure is ErrIdentityCorrupt.
func decodeIdentity(raw []byte) (crypto.PrivKey, error) {
	k, err := crypto.UnmarshalPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIdentityCorrupt, err)
	}
	if k.Type() != crypto_pb.KeyType_Ed25519 {
		return nil, fmt.Errorf("%w: key type %s, want Ed25519", ErrIdentityCorrupt, k.Type())
	}
	return k, nil
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrIdentityMissing, path)
	}
	if err != nil {
		return nil, fmt.Errorf("p2p: open identity: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("p2p: stat identity: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrIdentityCorrupt, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600", ErrIdentityPermissions, path, st.Mode().Perm())
	}
	buf := make([]byte, maxIdentitySize+1)
	n, err := readFull(f, buf)
	if err != nil {
		return nil, fmt.Errorf("p2p: read identity: %w", err)
	}
	if n > maxIdentitySize {
		return nil, fmt.Errorf("%w: %s larger than %d bytes", ErrIdentityCorrupt, path, maxIdentitySize)
	}
	return buf[:n], nil
}

// readFull reads until buf is full or EOF, returning the count.
func readFull(f *os.File, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
	}
	return n, nil
}

// writeFileAtomic writes data to dir/name with mode 0600 so that a crash
// leaves either no file or the complete file.
func writeFileAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("p2p: create identity dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("p2p: create identity temp file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := writeSyncClose(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("p2p: install identity: %w", err)
	}
	return syncDir(dir)
}

func writeSyncClose(f *os.File, data []byte) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("p2p: write identity: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("p2p: open identity dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("p2p: sync identity dir: %w", err)
	}
	return nil
}
