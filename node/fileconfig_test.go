package node

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aura-p2p/aura-p2p/bootstrap"
	"github.com/aura-p2p/aura-p2p/p2p"
)

const testPeer = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"

func TestParseFileConfig(t *testing.T) {
	good := `{"version":1,"listen_addrs":["/ip4/127.0.0.1/tcp/0"],"bootstrap_peers":["/ip4/1.2.3.4/tcp/4001/p2p/` +
		testPeer + `"],"neighbourhood":"x","force_public":true,"conn_low":10,"conn_high":20,"conn_grace":"30s"}`
	cases := []struct {
		name, data string
		field      string // expected ConfigError.Field; "-" = parse OK
		cause      error
	}{
		{"good", good, "-", nil},
		{"minimal", `{"version":1}`, "-", nil},
		{"blank bootstrap entries", `{"version":1,"bootstrap_peers":[" "]}`, "-", nil},
		{"not json", `version=1`, "", nil},
		{"empty", ``, "", nil},
		{"trailing", `{"version":1}{}`, "", nil},
		{"unknown field", `{"version":1,"listen":["/ip4/1.2.3.4/tcp/1"]}`, "", nil},
		{"wrong type", `{"version":"1"}`, "", nil},
		{"version 0", `{}`, "version", nil},
		{"version 2", `{"version":2}`, "version", nil},
		{"bad listen", `{"version":1,"listen_addrs":["/ip4/999.1.1.1/tcp/1"]}`, "listen_addrs", nil},
		{"udp listen", `{"version":1,"listen_addrs":["/ip4/1.1.1.1/udp/1"]}`, "", nil},
		{"bad bootstrap", `{"version":1,"bootstrap_peers":["/ip4/1.2.3.4/tcp/x"]}`, "bootstrap_peers", bootstrap.ErrBadMultiaddr},
		{"bootstrap without id", `{"version":1,"bootstrap_peers":["/ip4/1.2.3.4/tcp/1"]}`, "bootstrap_peers", bootstrap.ErrMissingPeerID},
		{"bad grace", `{"version":1,"conn_grace":"soon"}`, "conn_grace", nil},
		{"negative grace", `{"version":1,"conn_grace":"-1s"}`, "conn_grace", nil},
		{"low above high", `{"version":1,"conn_low":30,"conn_high":20}`, "", nil},
		{"long neighbourhood", `{"version":1,"neighbourhood":"` + strings.Repeat("n", 65) + `"}`, "neighbourhood", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fc, err := ParseFileConfig("cfg.json", []byte(tc.data))
			if tc.field == "-" {
				if err != nil {
					t.Fatalf("ParseFileConfig: %v", err)
				}
				if fc.Version != 1 {
					t.Fatalf("version %d", fc.Version)
				}
				return
			}
			var ce *ConfigError
			if !errors.Is(err, ErrBadConfig) || !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *ConfigError matching ErrBadConfig", err)
			}
			if ce.Path != "cfg.json" || ce.Field != tc.field {
				t.Fatalf("ConfigError path %q field %q, want cfg.json %q (%v)", ce.Path, ce.Field, tc.field, err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Fatalf("err = %v, want it to match %v", err, tc.cause)
			}
		})
	}
}

func TestBadBootstrapNamesValue(t *testing.T) {
	bad := "/ip4/10.0.0.1/tcp/4001/p2p/notapeerid"
	_, err := ParseFileConfig("c.json", []byte(`{"version":1,"bootstrap_peers":["`+bad+`"]}`))
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "bootstrap_peers") {
		t.Fatalf("error %v does not name the field and value %q", err, bad)
	}
}

func TestFileConfigP2P(t *testing.T) {
	fc, err := ParseFileConfig("", []byte(`{"version":1,"listen_addrs":["/ip4/127.0.0.1/udp/0/quic-v1"],`+
		`"bootstrap_peers":["/ip4/1.2.3.4/tcp/4001/p2p/`+testPeer+`","/ip4/1.2.3.4/udp/4001/quic-v1/p2p/`+testPeer+`"],`+
		`"nat_port_map":true,"conn_grace":"2m"}`))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := fc.P2P(p2p.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(pc.ListenAddrs) != 1 || pc.ListenAddrs[0].String() != "/ip4/127.0.0.1/udp/0/quic-v1" {
		t.Fatalf("listen %v", pc.ListenAddrs)
	}
	if len(pc.BootstrapPeers) != 1 || len(pc.BootstrapPeers[0].Addrs) != 2 || pc.BootstrapPeers[0].ID.String() != testPeer {
		t.Fatalf("bootstrap %v", pc.BootstrapPeers)
	}
	if !pc.NATPortMap || pc.ConnGrace.String() != "2m0s" || pc.ConnLow != 0 {
		t.Fatalf("p2p config %+v", pc)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), ConfigFileName)
	want := DefaultFileConfig()
	want.BootstrapPeers = []string{"/ip4/1.2.3.4/tcp/4001/p2p/" + testPeer}
	if err := WriteFileConfig(path, want); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("stat %v mode %v", err, st.Mode())
	}
	got, err := ReadFileConfig(path)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read %+v, %v; want %+v", got, err, want)
	}
	if err := WriteFileConfig(path, want); err == nil {
		t.Fatal("WriteFileConfig overwrote an existing file")
	}
}

func TestReadFileConfigErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadFileConfig(filepath.Join(dir, "missing.json")); !errors.Is(err, ErrNotInitialised) {
		t.Fatalf("missing: %v", err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, maxConfigFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFileConfig(big); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("oversize: %v", err)
	}
}

func FuzzParseFileConfig(f *testing.F) {
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"listen_addrs":["/ip4/0.0.0.0/tcp/4001"],"bootstrap_peers":["/ip4/1.2.3.4/tcp/4001/p2p/` + testPeer + `"]}`))
	f.Add([]byte(`{"version":1,"conn_grace":"1m","conn_low":1,"conn_high":2,"neighbourhood":"aura"}`))
	f.Add([]byte(`{"version":1,"listen_addrs":["/ip6/::1/udp/1/quic-v1"]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fc, err := ParseFileConfig("fuzz", data)
		if err != nil {
			if !errors.Is(err, ErrBadConfig) {
				t.Fatalf("error %v does not match ErrBadConfig", err)
			}
			return
		}
		again, err := json.Marshal(fc)
		if err != nil {
			t.Fatal(err)
		}
		fc2, err := ParseFileConfig("fuzz", again)
		if err != nil || !reflect.DeepEqual(normal(fc), normal(fc2)) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, fc, fc2)
		}
	})
}

// normal maps empty slices to nil (omitempty drops them).
func normal(fc FileConfig) FileConfig {
	if len(fc.ListenAddrs) == 0 {
		fc.ListenAddrs = nil
	}
	if len(fc.BootstrapPeers) == 0 {
		fc.BootstrapPeers = nil
	}
	return fc
}
