package node

import (
	"errors"
	"fmt"
)

var (
	// ErrDataDirExists is returned by Init when the data directory already
	// exists: Init never overwrites an identity, config or datastore.
	ErrDataDirExists = errors.New("node: data directory already exists")
	// ErrNotInitialised is returned by Open when the data directory or its
	// config file is missing (run `aura-p2p init` first).
	ErrNotInitialised = errors.New("node: data directory not initialised")
	// ErrBadConfig is matched by every config-file problem; the concrete
	// error is a *ConfigError naming the file and field.
	ErrBadConfig = errors.New("node: bad config")
	// ErrStarted is returned by Start on a node that was already started.
	ErrStarted = errors.New("node: already started")
	// ErrClosed is returned by Start after Close.
	ErrClosed = errors.New("node: closed")
)

// ConfigError reports one bad field of a config file. It matches
// ErrBadConfig and, when set, the underlying cause (for example a
// multiaddr parse error) with errors.Is.
type ConfigError struct {
	// Path is the config file ("" for values not read from a file).
	Path string
	// Field is the JSON field name, "" when the whole file is bad.
	Field string
	// Value is the offending value, if any.
	Value string
	// Err is the cause.
	Err error
}

func (e *ConfigError) Error() string {
	where := e.Path
	if where == "" {
		where = "config"
	}
	switch {
	case e.Field == "":
		return fmt.Sprintf("node: bad config %s: %v", where, e.Err)
	case e.Value == "":
		return fmt.Sprintf("node: bad config %s: field %q: %v", where, e.Field, e.Err)
	default:
		return fmt.Sprintf("node: bad config %s: field %q value %q: %v", where, e.Field, e.Value, e.Err)
	}
}

// Unwrap exposes both ErrBadConfig and the cause to errors.Is/As.
func (e *ConfigError) Unwrap() []error { return []error{ErrBadConfig, e.Err} }

// Device key errors (DIR/device.key, SPEC §1): an unreadable, corrupt or
// exposed key is refused, never replaced.
var (
	// ErrDeviceKeyMissing: device.key does not exist.
	ErrDeviceKeyMissing = errors.New("node: device key missing")
	// ErrDeviceKeyPermissions: device.key is accessible by group or others.
	ErrDeviceKeyPermissions = errors.New("node: device key has unsafe permissions")
	// ErrDeviceKeyCorrupt: device.key is not a regular file of 32 bytes.
	ErrDeviceKeyCorrupt = errors.New("node: device key corrupt")
)
