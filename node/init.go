package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// Init creates a data directory at dir: the directory itself (0700), the
// host identity (p2p.IdentityFile, 0600), the config file fc
// (ConfigFileName, 0600), the device keys (DeviceKeyFile, 0600) and an
// empty go-ds-pebble datastore
// (DatastoreDirName). It refuses any existing path with ErrDataDirExists
// and validates fc before creating anything; on a later failure it removes
// what it created. It returns the new peer ID.
func Init(dir string, fc FileConfig) (peer.ID, error) {
	if err := fc.Validate(); err != nil {
		return "", withPath(err, filepath.Join(dir, ConfigFileName))
	}
	if err := makeDataDir(dir); err != nil {
		return "", err
	}
	id, err := populate(dir, fc)
	if err != nil {
		return "", errors.Join(err, os.RemoveAll(dir))
	}
	return id, nil
}

// makeDataDir creates dir with mode 0700; an existing path (even an empty
// directory) is ErrDataDirExists. Missing parents are created 0700.
func makeDataDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("node: init: empty data directory path")
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("node: init: %w", err)
	}
	err := os.Mkdir(dir, 0o700)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s (refusing to overwrite; choose another --data)", ErrDataDirExists, dir)
	}
	if err != nil {
		return fmt.Errorf("node: init: %w", err)
	}
	// Mkdir's mode is filtered by the umask; 0700 is at most as open.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("node: init: %w", err)
	}
	return nil
}

func populate(dir string, fc FileConfig) (peer.ID, error) {
	key, err := p2p.LoadOrCreateIdentity(dir)
	if err != nil {
		return "", fmt.Errorf("node: init: %w", err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("node: init: %w", err)
	}
	if _, err := LoadOrCreateDevice(dir); err != nil {
		return "", fmt.Errorf("node: init: %w", err)
	}
	if err := WriteFileConfig(filepath.Join(dir, ConfigFileName), fc); err != nil {
		return "", err
	}
	store, err := journal.OpenPebble(filepath.Join(dir, DatastoreDirName))
	if err != nil {
		return "", fmt.Errorf("node: init: %w", err)
	}
	if err := store.Close(); err != nil {
		return "", fmt.Errorf("node: init: close datastore: %w", err)
	}
	return id, nil
}

// Info is what a data directory says about its node without opening the
// datastore (so it works while the node runs).
type Info struct {
	// ID is the peer ID of the stored identity.
	ID peer.ID
	// Config is the validated config file.
	Config FileConfig
}

// Inspect reads the identity and config file of dir.
func Inspect(dir string) (Info, error) {
	if err := checkDataDir(dir); err != nil {
		return Info{}, err
	}
	fc, err := ReadFileConfig(filepath.Join(dir, ConfigFileName))
	if err != nil {
		return Info{}, err
	}
	key, err := p2p.LoadIdentity(dir)
	if err != nil {
		return Info{}, fmt.Errorf("node: %w", err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return Info{}, fmt.Errorf("node: %w", err)
	}
	return Info{ID: id, Config: fc}, nil
}

// ListenAddrs returns the configured listen multiaddrs with /p2p/<ID>
// appended: what other machines put in bootstrap_peers once the wildcard
// address is replaced by a reachable one.
func (i Info) ListenAddrs() []string {
	addrs := i.Config.ListenAddrs
	if len(addrs) == 0 {
		for _, a := range p2p.DefaultConfig().ListenAddrs {
			addrs = append(addrs, a.String())
		}
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a+"/p2p/"+i.ID.String())
	}
	return out
}

func checkDataDir(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist (run `aura-p2p init --data %s`)", ErrNotInitialised, dir, dir)
	}
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrNotInitialised, dir)
	}
	return nil
}
