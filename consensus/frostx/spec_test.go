package frostx_test

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/bytemare/ecc"
	"github.com/bytemare/frost"
	"github.com/bytemare/secret-sharing/keys"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/frostxtest"
)

// TestSpecCallSequence runs SPEC §5.4's "verified calls" literally against
// the pinned library, on key shares from our DKG, and checks every size and
// identity the spec states. (Single-goroutine test: the library is called
// directly here, which production code never does.)
func TestSpecCallSequence(t *testing.T) {
	cfg, shares, err := frostxtest.Keygen(3, 5, 42)
	if err != nil {
		t.Fatal(err)
	}
	kss := make([]*keys.KeyShare, len(shares))
	for i, b := range shares {
		ks := keys.NewKeyShareReceiver(ecc.Edwards25519Sha512)
		if err := ks.Decode(b); err != nil {
			t.Fatalf("load key share %d: %v", i+1, err)
		}
		kss[i] = ks
		if [32]byte(ks.VerificationKey().Encode()) != cfg.GroupKey || [32]byte(ks.PublicKey().Encode()) != cfg.VerShares[uint16(i+1)] {
			t.Fatalf("share %d: GroupKey/VerShare encodings differ from the DKG's", i+1)
		}
	}
	all := make([]*keys.PublicKeyShare, 0, 5)
	for id := uint16(1); id <= 5; id++ {
		v := cfg.VerShares[id]
		pks, err := frost.NewPublicKeyShare(frost.Ed25519, id, v[:])
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, pks)
	}
	gk := ecc.Edwards25519Sha512.NewElement()
	if err := gk.Decode(cfg.GroupKey[:]); err != nil {
		t.Fatal(err)
	}
	conf := &frost.Configuration{Ciphersuite: frost.Ed25519, Threshold: 3, MaxSigners: 5, VerificationKey: gk, SignerPublicKeyShares: all}
	if err := conf.Init(); err != nil {
		t.Fatal(err)
	}
	T := []byte("transcript T")
	var signers []*frost.Signer
	var list frost.CommitmentList
	for _, i := range []int{0, 2, 4} {
		s, err := conf.Signer(kss[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(s.NonceCommitments) != 0 {
			t.Fatal("fresh Signer has nonces")
		}
		c := s.Commit()
		if enc := c.Encode(); len(enc) != 75 || enc[0] != 6 {
			t.Fatalf("commitment encoding %d B, group %d", len(enc), enc[0])
		}
		signers = append(signers, s)
		list = append(list, c)
	}
	list.Sort()
	var shs []*frost.SignatureShare
	for _, s := range signers {
		sh, err := s.Sign(T, list)
		if err != nil {
			t.Fatal(err)
		}
		if len(sh.Encode()) != 35 {
			t.Fatalf("share encoding %d B", len(sh.Encode()))
		}
		if err := conf.VerifySignatureShare(sh, T, list); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Sign(T, list); err == nil {
			t.Fatal("library signed twice with one commitment")
		}
		shs = append(shs, sh)
	}
	sig, err := conf.AggregateSignatures(T, shs, list, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := frost.VerifySignature(frost.Ed25519, T, sig, gk); err != nil {
		t.Fatal(err)
	}
	enc := sig.Encode()
	if len(enc) != 65 || enc[0] != 0x06 {
		t.Fatalf("signature encoding %d B prefix %x", len(enc), enc[0])
	}
	sig64 := [64]byte(enc[1:])
	var s2 frost.Signature
	if err := s2.Decode(append([]byte{6}, sig64[:]...)); err != nil {
		t.Fatal(err)
	}
	if err := frost.VerifySignature(frost.Ed25519, T, &s2, gk); err != nil {
		t.Fatal(err)
	}
	if err := frostx.Verify(cfg.GroupKey, T, sig64); err != nil {
		t.Fatalf("frostx.Verify: %v", err)
	}
	if !ed25519.Verify(cfg.GroupKey[:], T, sig64[:]) {
		t.Fatal("crypto/ed25519.Verify rejects")
	}
	// A frostx Commitment is byte-identical to the library encoding.
	fc, err := frostx.DecodeCommitment(list[0].Encode())
	if err != nil || !bytes.Equal(fc.Bytes[:], list[0].Encode()) || fc.ID != list[0].CommitmentID {
		t.Fatalf("DecodeCommitment: %v", err)
	}
}
