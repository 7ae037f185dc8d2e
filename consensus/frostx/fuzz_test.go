package frostx

import (
	"bytes"
	"testing"
)

func seedCommitments(f *testing.F) (Commitment, Share) {
	_, ss, _ := dealer(f, 2, 2, nil)
	pkg := commitAll(f, ss)
	shares := signAll(f, msg("T"), ss, pkg)
	return pkg[0], shares[0]
}

// FuzzDecodeCommitment: no panic; an accepted encoding round-trips and is
// usable in a package.
func FuzzDecodeCommitment(f *testing.F) {
	c, _ := seedCommitments(f)
	f.Add(c.Bytes[:])
	f.Add(make([]byte, CommitmentSize))
	f.Add([]byte{6})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeCommitment(b)
		if err != nil {
			return
		}
		if !bytes.Equal(got.Bytes[:], b) {
			t.Fatal("round trip")
		}
		if _, err := got.lib(); err != nil {
			t.Fatalf("accepted commitment not decodable by the library: %v", err)
		}
	})
}

// FuzzDecodeShare: no panic; an accepted encoding round-trips.
func FuzzDecodeShare(f *testing.F) {
	_, s := seedCommitments(f)
	f.Add(s.Bytes[:])
	f.Add(make([]byte, ShareSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeShare(b)
		if err != nil {
			return
		}
		if !bytes.Equal(got.Bytes[:], b) {
			t.Fatal("round trip")
		}
		if _, err := got.lib(); err != nil {
			t.Fatalf("accepted share not decodable by the library: %v", err)
		}
	})
}

// FuzzVerify: arbitrary key/signature bytes never panic and never verify
// under a key they were not made with.
func FuzzVerify(f *testing.F) {
	_, ss, cfg := dealer(f, 2, 2, nil)
	c := ss[0].Committee()
	pkg := commitAll(f, ss)
	sig, err := c.Aggregate(msg("T"), signAll(f, msg("T"), ss, pkg), pkg)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cfg.GroupKey[:], sig[:], []byte("T"))
	f.Fuzz(func(t *testing.T, gk, s, T []byte) {
		if len(gk) != 32 || len(s) != 64 {
			return
		}
		_ = Verify([32]byte(gk), T, [64]byte(s))
	})
}

// FuzzSignPackage: a package whose other commitment is arbitrary bytes
// never panics Sign, VerifyShare or Aggregate.
func FuzzSignPackage(f *testing.F) {
	c, ss, _ := dealer(f, 2, 3, nil)
	other := commitAll(f, []*Signer{ss[1]})[0]
	f.Add(other.Bytes[:], []byte("T"))
	f.Fuzz(func(t *testing.T, b, T []byte) {
		oc, err := DecodeCommitment(b)
		if err != nil || oc.Signer < 2 {
			return
		}
		own, err := ss[0].Commit()
		if err != nil {
			t.Fatal(err)
		}
		defer ss[0].ClearCommitment(own.ID)
		pkg := []Commitment{own, oc}
		sh, err := ss[0].Sign(T, pkg)
		if err != nil {
			return
		}
		_ = c.VerifyShare(T, sh, pkg)
		_, _ = c.Aggregate(T, []Share{sh, sh}, pkg)
	})
}

// FuzzNewSigner: arbitrary key-share bytes (e.g. a corrupted store) never
// panic; only a share of this committee is accepted.
func FuzzNewSigner(f *testing.F) {
	c, _, _ := dealer(f, 2, 3, nil)
	libMu.Lock()
	_, shares, _ := dealerShares(2, 3)
	libMu.Unlock()
	f.Add(shares[0].Encode())
	f.Add([]byte{6, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := NewSigner(c, b); err == nil {
			t.Fatal("foreign or garbage key share accepted")
		}
	})
}

// FuzzOpenShare: arbitrary sealed bytes never panic and never open under
// another key.
func FuzzOpenShare(f *testing.F) {
	// Fixed nonce source: fuzz workers rebuild the same sealed seed.
	s, _ := newShareSealer(bytes.Repeat([]byte{1}, 32), bytes.NewReader(make([]byte, 12)))
	sealed, _ := s.Seal([]byte("share"))
	f.Add(sealed)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := s.Open(b); err == nil && !bytes.Equal(b, sealed) {
			t.Fatal("forged sealed share opened")
		}
	})
}
