package seal

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
)

func key(tb testing.TB, salt string) *ecdh.PrivateKey {
	tb.Helper()
	s := canon.H("aura/seal-test/v1", []byte(salt))
	k, err := ecdh.X25519().NewPrivateKey(s[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func pub(k *ecdh.PrivateKey) [32]byte { return [32]byte(k.PublicKey().Bytes()) }

func TestRoundTrip(t *testing.T) {
	k := key(t, "r")
	for _, n := range []int{0, 1, 32, 1000} {
		m := bytes.Repeat([]byte{7}, n)
		s, err := Seal(rand.Reader, pub(k), m)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != n+Overhead {
			t.Fatalf("len %d, want %d", len(s), n+Overhead)
		}
		got, err := Open(k, s)
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("Open = %x, %v", got, err)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	k, other := key(t, "r"), key(t, "o")
	s, err := Seal(rand.Reader, pub(k), []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(other, s); !errors.Is(err, ErrOpen) {
		t.Fatalf("other key: %v", err)
	}
	for i := range s {
		c := bytes.Clone(s)
		c[i] ^= 1
		if _, err := Open(k, c); !errors.Is(err, ErrOpen) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	if _, err := Open(k, s[:Overhead-1]); !errors.Is(err, ErrOpen) {
		t.Fatalf("short: %v", err)
	}
	zero := make([]byte, Overhead+4) // all-zero ephPub: low order
	if _, err := Open(k, zero); !errors.Is(err, ErrOpen) {
		t.Fatalf("low-order eph: %v", err)
	}
	if _, err := Open(nil, s); !errors.Is(err, ErrOpen) {
		t.Fatalf("nil key: %v", err)
	}
}

func TestSealLowOrder(t *testing.T) {
	if _, err := Seal(rand.Reader, [32]byte{}, []byte("x")); !errors.Is(err, ErrBadKey) {
		t.Fatalf("zero key: %v", err)
	}
}

func TestMatchesFixture(t *testing.T) {
	k := key(t, "r")
	ephSeed := canon.H("aura/seal-test/v1", []byte("eph"))
	eph, err := ecdh.X25519().NewPrivateKey(ephSeed[:])
	if err != nil {
		t.Fatal(err)
	}
	got, err := SealWith(eph, pub(k), []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	if want := journaltest.Seal(pub(k), []byte("m"), ephSeed); !bytes.Equal(got, want) {
		t.Fatalf("differs from the journaltest fixture")
	}
}

func FuzzOpen(f *testing.F) {
	k := key(f, "r")
	s, _ := Seal(rand.Reader, pub(k), []byte("secret"))
	f.Add(s)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Open(k, b)
		if err != nil {
			if !errors.Is(err, ErrOpen) {
				t.Fatalf("untyped %v", err)
			}
			return
		}
		if len(m) != len(b)-Overhead {
			t.Fatalf("opened length %d from %d", len(m), len(b))
		}
	})
}
