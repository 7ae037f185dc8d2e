package keyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Errs are the caller's sentinels that Read's refusals wrap.
type Errs struct {
	Missing, Permissions, Corrupt error
}

// Read returns the contents of the secret file at path, at most max
// bytes. Refusals wrap e's sentinels; other failures are wrapped os
// errors.
func Read(path string, max int, e Errs) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", e.Missing, path)
	}
	if err != nil {
		return nil, fmt.Errorf("keyfile: open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyfile: stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", e.Corrupt, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600", e.Permissions, path, st.Mode().Perm())
	}
	buf := make([]byte, max+1)
	n, err := io.ReadFull(f, buf)
	switch {
	case err == nil: // max+1 bytes read
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", e.Corrupt, path, max)
	case !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("keyfile: read %s: %w", path, err)
	}
	return buf[:n], nil
}

// WriteNew creates dir (0700) if needed and dir/name holding data with
// mode 0600, so that a crash leaves either no file or the complete file.
// It never replaces an existing file: the complete temp file is
// hard-linked into place, and an existing dir/name is an error matching
// fs.ErrExist (rename would let the last of two concurrent creators
// silently win).
func WriteNew(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keyfile: create dir of %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("keyfile: create %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // the linked copy stays (no-op after a fallback rename)
	if err := writeSyncClose(tmp, data); err != nil {
		return fmt.Errorf("keyfile: write %s: %w", name, err)
	}
	if err := installNoReplace(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("keyfile: install %s: %w", name, err)
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
	return err
}

// installNoReplace moves the complete file tmp to path unless path
// exists (fs.ErrExist). Filesystems without hard links fall back to a
// check-then-rename, which is racy there.
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

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keyfile: sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keyfile: sync %s: %w", dir, err)
	}
	return nil
}
