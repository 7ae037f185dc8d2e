package sync

import (
	stdhkdf "crypto/hkdf"
	"crypto/sha256"
	"testing"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

// TestDeriveSecretMatchesStdlibHKDF cross-checks S = HKDF(K,
// "aura/sync/v1") (x/crypto) against the standard library's crypto/hkdf.
func TestDeriveSecretMatchesStdlibHKDF(t *testing.T) {
	k := []byte("some key epoch secret")
	want, err := stdhkdf.Key(sha256.New, k, nil, "aura/sync/v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	if got := DeriveSecret(k); string(got[:]) != string(want) {
		t.Fatalf("DeriveSecret = %x, want %x", got, want)
	}
}

// TestDeriveKeys pins each derivation of SPEC §9 to its tag and argument
// order, and checks that direction and peer binding matter.
func TestDeriveKeys(t *testing.T) {
	s := DeriveSecret([]byte("k"))
	var n [16]byte
	n[0] = 7
	pI, pR := []byte("I-peer"), []byte("R-peer")
	k := DeriveKeys(s, n, pI, pR)
	if k.Ref != canon.Trunc16(canon.H("aura/sync-ref/v1", s[:], n[:], pI, pR)) {
		t.Error("Ref")
	}
	if k.Ack != canon.Trunc16(canon.H("aura/sync-ack/v1", s[:], n[:], pR, pI)) {
		t.Error("Ack (peer order reversed)")
	}
	if k.Sip != riblt.KeyFromBytes(canon.Trunc16(canon.H("aura/sync-sip/v1", s[:], n[:], pI, pR))) {
		t.Error("SipHash key")
	}
	if k.BoxI != canon.H("aura/sync-box/v1", s[:], n[:], []byte("I")) || k.BoxR == k.BoxI {
		t.Error("box keys")
	}
	if DeriveKeys(s, n, pR, pI).Ref == k.Ref {
		t.Error("Ref ignores direction")
	}
	n[15] = 1
	if DeriveKeys(s, n, pI, pR).Ref == k.Ref {
		t.Error("Ref ignores NonceI")
	}
}

// TestMatchRef finds the key epoch a Ref was made under, and none for a
// foreign secret.
func TestMatchRef(t *testing.T) {
	secrets := []Secret{DeriveSecret([]byte("e1")), DeriveSecret([]byte("e2")), DeriveSecret([]byte("e3"))}
	var n [16]byte
	for want, s := range secrets {
		ref := DeriveKeys(s, n, peerI, peerR).Ref
		if got, ok := MatchRef(secrets, n, ref, peerI, peerR); !ok || got != want {
			t.Fatalf("MatchRef = %d %v, want %d", got, ok, want)
		}
	}
	ref := DeriveKeys(DeriveSecret([]byte("other")), n, peerI, peerR).Ref
	if _, ok := MatchRef(secrets, n, ref, peerI, peerR); ok {
		t.Fatal("foreign Ref matched")
	}
}
