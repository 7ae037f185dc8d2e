package p2p

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"
	crypto_pb "github.com/libp2p/go-libp2p/core/crypto/pb"

	"github.com/aura-p2p/aura-p2p/internal/keyfile"
)

// IdentityFile is the host key's file name inside the data directory.
const IdentityFile = "identity.key"

// maxIdentitySize bounds the bytes read from an identity file; a marshalled
// Ed25519 key is 68 bytes.
const maxIdentitySize = 4096

// LoadOrCreateIdentity returns the Ed25519 host key in <dir>/identity.key,
// creating dir (0700) and a fresh key (0600, written atomically and never
// replacing a concurrent creator's key: keyfile.WriteNew) when the file
// does not exist.
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
	err = keyfile.WriteNew(dir, IdentityFile, raw)
	if errors.Is(err, fs.ErrExist) {
		// Another caller created it first: use that key, never replace it.
		return LoadIdentity(dir)
	}
	if err != nil {
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
	return keyfile.Read(path, maxIdentitySize, keyfile.Errs{Missing: ErrIdentityMissing,
		Permissions: ErrIdentityPermissions, Corrupt: ErrIdentityCorrupt})
}
