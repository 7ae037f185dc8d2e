package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/bootstrap"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// File names inside a data directory.
const (
	// ConfigFileName is the JSON config file (FileConfig), mode 0600.
	ConfigFileName = "config.json"
	// DatastoreDirName is the go-ds-pebble datastore directory.
	DatastoreDirName = "datastore"
	// FileConfigVersion is the only config file format version.
	FileConfigVersion = 1
	// maxConfigFile bounds the config file read (it is a few hundred bytes).
	maxConfigFile = 1 << 20
)

// FileConfig is the on-disk config file DATA/config.json. Every field is
// documented in README.md ("Config file reference"); zero values mean
// "default".
// Unknown fields are rejected so a typo never silently falls back to a
// default.
type FileConfig struct {
	// Version is the file format version; must be FileConfigVersion (1).
	Version int `json:"version"`
	// ListenAddrs are TCP or QUIC-v1 multiaddrs to listen on, e.g.
	// "/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1".
	// Empty: all IPv4 interfaces, ephemeral TCP and QUIC ports.
	ListenAddrs []string `json:"listen_addrs,omitempty"`
	// BootstrapPeers are full multiaddrs with /p2p/<peer ID> of bootstrap
	// nodes; SPEC §14 asks for at least two in deployments. Empty: none
	// (only sensible for the first bootstrap node).
	BootstrapPeers []string `json:"bootstrap_peers,omitempty"`
	// Neighbourhood names the two neighbourhood GossipSub topics (SPEC §1).
	// Empty: "aura". At most 64 bytes.
	Neighbourhood string `json:"neighbourhood,omitempty"`
	// ForcePublic forces public reachability and DHT server mode; set it on
	// hosts with a public address (bootstrap nodes, servers), never behind NAT.
	ForcePublic bool `json:"force_public,omitempty"`
	// NATPortMap asks the home router for a port mapping (UPnP/NAT-PMP).
	NATPortMap bool `json:"nat_port_map,omitempty"`
	// ConnLow / ConnHigh are the connection-manager watermarks. 0: 64/128,
	// or 512/1024 when running as a bootstrap node.
	ConnLow  int `json:"conn_low,omitempty"`
	ConnHigh int `json:"conn_high,omitempty"`
	// ConnGrace protects new connections from trimming, a Go duration such
	// as "1m" or "30s". Empty: 1m.
	ConnGrace string `json:"conn_grace,omitempty"`
}

// DefaultFileConfig is what `aura-p2p init` writes without flags.
func DefaultFileConfig() FileConfig {
	return FileConfig{
		Version:        FileConfigVersion,
		ListenAddrs:    []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"},
		BootstrapPeers: []string{},
		Neighbourhood:  p2p.DefaultNeighbourhood,
		NATPortMap:     true,
	}
}

// ReadFileConfig reads and validates the config file at path. A missing
// file is ErrNotInitialised; anything else wrong is a *ConfigError.
func ReadFileConfig(path string) (FileConfig, error) {
	data, err := readBounded(path)
	if errors.Is(err, fs.ErrNotExist) {
		return FileConfig{}, fmt.Errorf("%w: %s: %w", ErrNotInitialised, path, err)
	}
	if err != nil {
		return FileConfig{}, &ConfigError{Path: path, Err: err}
	}
	return ParseFileConfig(path, data)
}

// ParseFileConfig decodes and validates data; path only names the source
// in errors. It never panics on any input (FuzzParseFileConfig).
func ParseFileConfig(path string, data []byte) (FileConfig, error) {
	var fc FileConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return FileConfig{}, &ConfigError{Path: path, Err: err}
	}
	if dec.More() {
		return FileConfig{}, &ConfigError{Path: path, Err: errors.New("trailing data after JSON object")}
	}
	if err := fc.Validate(); err != nil {
		return FileConfig{}, withPath(err, path)
	}
	return fc, nil
}

// WriteFileConfig validates fc and writes it to path with mode 0600,
// failing if the file exists.
func WriteFileConfig(path string, fc FileConfig) error {
	if err := fc.Validate(); err != nil {
		return withPath(err, path)
	}
	data, err := json.MarshalIndent(fc, "", "  ")
	if err != nil {
		return fmt.Errorf("node: encode config: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("node: write config: %w", err)
	}
	_, err = f.Write(append(data, '\n'))
	return errors.Join(err, f.Sync(), f.Close())
}

// Validate checks every field without mutating fc; errors are *ConfigError.
func (fc FileConfig) Validate() error {
	if fc.Version != FileConfigVersion {
		return &ConfigError{Field: "version", Value: fmt.Sprint(fc.Version),
			Err: fmt.Errorf("unsupported version (want %d)", FileConfigVersion)}
	}
	if _, err := fc.P2P(p2p.Config{}); err != nil {
		return err
	}
	return nil
}

// P2P overlays fc on base (which supplies PrivKey, Logger, Metrics, role
// and other fields the file does not hold) and validates the result.
// Errors are *ConfigError naming the field and the offending value.
func (fc FileConfig) P2P(base p2p.Config) (p2p.Config, error) {
	c := base
	var err error
	if c.ListenAddrs, err = parseListen(fc.ListenAddrs); err != nil {
		return p2p.Config{}, err
	}
	if c.BootstrapPeers, err = parseBootstrap(fc.BootstrapPeers); err != nil {
		return p2p.Config{}, err
	}
	if err := checkNeighbourhood(fc.Neighbourhood); err != nil {
		return p2p.Config{}, err
	}
	c.Neighbourhood = fc.Neighbourhood
	c.ForcePublic = c.ForcePublic || fc.ForcePublic
	c.NATPortMap = fc.NATPortMap
	c.ConnLow, c.ConnHigh = fc.ConnLow, fc.ConnHigh
	if c.ConnGrace, err = parseGrace(fc.ConnGrace); err != nil {
		return p2p.Config{}, err
	}
	if err := c.Validate(); err != nil {
		return p2p.Config{}, &ConfigError{Err: err}
	}
	return c, nil
}

func parseListen(addrs []string) ([]ma.Multiaddr, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	out := make([]ma.Multiaddr, 0, len(addrs))
	for _, s := range addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, &ConfigError{Field: "listen_addrs", Value: s, Err: err}
		}
		out = append(out, a)
	}
	return out, nil
}

func parseBootstrap(addrs []string) ([]peer.AddrInfo, error) {
	var nonBlank []string
	for _, a := range addrs {
		if strings.TrimSpace(a) != "" {
			nonBlank = append(nonBlank, a)
		}
	}
	if len(nonBlank) == 0 {
		return nil, nil
	}
	infos, err := bootstrap.ParsePeers(nonBlank)
	if err != nil {
		return nil, &ConfigError{Field: "bootstrap_peers", Err: err}
	}
	return infos, nil
}

func checkNeighbourhood(n string) error {
	if len(n) > p2p.MaxNeighbourhoodLen || !utf8.ValidString(n) || strings.ContainsAny(n, "\x00\n") {
		return &ConfigError{Field: "neighbourhood", Value: n,
			Err: fmt.Errorf("must be at most %d bytes of UTF-8 without NUL/newline", p2p.MaxNeighbourhoodLen)}
	}
	return nil
}

func parseGrace(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		if err == nil {
			err = errors.New("must not be negative")
		}
		return 0, &ConfigError{Field: "conn_grace", Value: s, Err: err}
	}
	return d, nil
}

func withPath(err error, path string) error {
	var ce *ConfigError
	if errors.As(err, &ce) {
		c := *ce
		c.Path = path
		return &c
	}
	return err
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigFile {
		return nil, fmt.Errorf("larger than %d bytes", maxConfigFile)
	}
	return data, nil
}
