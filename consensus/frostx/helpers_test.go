package frostx

import (
	"crypto/sha256"
	"testing"

	"github.com/bytemare/ecc"
	"github.com/bytemare/frost"
	"github.com/bytemare/frost/debug"
	"github.com/bytemare/secret-sharing/keys"
)

// dealer builds a t-of-n committee with the library's trusted-dealer
// keygen (tests only) and one Signer per member, index FrostID−1.
func dealer(tb testing.TB, t, n uint16, rec *NonceRecorder) (*Committee, []*Signer, Config) {
	tb.Helper()
	libMu.Lock()
	shares, gk, _ := debug.TrustedDealerKeygen(frost.Ed25519, nil, t, n)
	libMu.Unlock()
	cfg := Config{Threshold: t, MaxSigners: n, GroupKey: [32]byte(gk.Encode()), VerShares: map[uint16][32]byte{}, Recorder: rec}
	for _, ks := range shares {
		cfg.VerShares[ks.Identifier()] = [32]byte(ks.PublicKey().Encode())
	}
	c, err := NewCommittee(cfg)
	if err != nil {
		tb.Fatalf("NewCommittee: %v", err)
	}
	signers := make([]*Signer, n)
	for i, ks := range shares {
		if signers[i], err = NewSigner(c, ks.Encode()); err != nil {
			tb.Fatalf("NewSigner %d: %v", i+1, err)
		}
	}
	return c, signers, cfg
}

// commitAll has each of ss commit once and returns the package (sorted by
// FrostID as ss must be).
func commitAll(tb testing.TB, ss []*Signer) []Commitment {
	tb.Helper()
	pkg := make([]Commitment, len(ss))
	for i, s := range ss {
		c, err := s.Commit()
		if err != nil {
			tb.Fatalf("Commit: %v", err)
		}
		pkg[i] = c
	}
	return pkg
}

func signAll(tb testing.TB, T []byte, ss []*Signer, pkg []Commitment) []Share {
	tb.Helper()
	out := make([]Share, len(ss))
	for i, s := range ss {
		sh, err := s.Sign(T, pkg)
		if err != nil {
			tb.Fatalf("Sign %d: %v", s.ID(), err)
		}
		out[i] = sh
	}
	return out
}

func msg(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// order2 is the encoding of (0, −1), a point of order 2.
var order2 = func() [32]byte {
	var b [32]byte
	b[0] = 0xec
	for i := 1; i < 31; i++ {
		b[i] = 0xff
	}
	b[31] = 0x7f
	return b
}()

// withTorsion returns p + (0,−1): a valid curve point with a torsion
// component.
func withTorsion(tb testing.TB, p [32]byte) [32]byte {
	tb.Helper()
	a, b := ecc.Edwards25519Sha512.NewElement(), ecc.Edwards25519Sha512.NewElement()
	if err := a.Decode(p[:]); err != nil {
		tb.Fatal(err)
	}
	if err := b.Decode(order2[:]); err != nil {
		tb.Fatal(err)
	}
	return [32]byte(a.Add(b).Encode())
}

func dealerShares(t, n uint16) (gk []byte, shares []*keys.KeyShare, err error) {
	ks, g, _ := debug.TrustedDealerKeygen(frost.Ed25519, nil, t, n)
	return g.Encode(), ks, nil
}
