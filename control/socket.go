package control

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// SocketName is the control socket's file name inside the data directory.
const SocketName = "control.sock"

// maxSocketPath is the longest socket path bind(2) takes portably
// (sun_path is 108 bytes on Linux, 104 on the BSDs, NUL included).
const maxSocketPath = 103

// probeTimeout bounds the connect that tells a live socket from a stale one.
const probeTimeout = 2 * time.Second

// SocketPath is the control socket of a data directory.
func SocketPath(dataDir string) string { return filepath.Join(dataDir, SocketName) }

// umaskMu serialises this package's umask changes (the umask is per process).
var umaskMu sync.Mutex

// listen opens <dataDir>/control.sock with mode 0600 from the start.
// It refuses a group/world-writable data directory, a live socket
// (ErrAlreadyRunning) and a non-socket at the path; it removes a stale
// socket nobody answers on.
func listen(dataDir string) (*net.UnixListener, error) {
	if err := checkDataDir(dataDir); err != nil {
		return nil, err
	}
	path := SocketPath(dataDir)
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("control: socket path %s is %d bytes, longer than the %d bind(2) allows; use a shorter --data path",
			path, len(path), maxSocketPath)
	}
	if err := clearStale(path); err != nil {
		return nil, err
	}
	ln, err := listenUmask(path)
	if err != nil {
		return nil, fmt.Errorf("control: listen on %s: %w", path, err)
	}
	if err := checkSocketMode(path); err != nil {
		return nil, errors.Join(err, ln.Close())
	}
	return ln, nil
}

// checkDataDir refuses a missing, non-directory or group/world-writable
// data directory: anyone who can write it could replace the socket.
func checkDataDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("control: data directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrUnsafeDataDir, dir)
	}
	if perm := st.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w: %s has mode %#o, writable by group or others (chmod 700 %s)", ErrUnsafeDataDir, dir, perm, dir)
	}
	return nil
}

// clearStale removes a socket at path that no server answers on.
func clearStale(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if st.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%w: %s exists and is not a socket (remove it)", ErrUnsafeDataDir, path)
	}
	c, err := net.DialTimeout("unix", path, probeTimeout)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w: a server answers on %s", ErrAlreadyRunning, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("control: probe %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control: remove stale socket: %w", err)
	}
	return nil
}

// listenUmask binds path with umask 0177 so the socket is created 0600
// (never briefly wider). The umask is restored before returning.
func listenUmask(path string) (*net.UnixListener, error) {
	umaskMu.Lock()
	defer umaskMu.Unlock()
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	return ln, err
}

func checkSocketMode(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		return fmt.Errorf("%w: socket %s has mode %#o, want 0600", ErrUnsafeDataDir, path, perm)
	}
	return nil
}
