package frostx

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"maps"
	"testing"
)

func TestSignAggregateVerify(t *testing.T) {
	c, ss, cfg := dealer(t, 3, 5, nil)
	T := msg("T")
	signers := []*Signer{ss[0], ss[2], ss[4]}
	pkg := commitAll(t, signers)
	shares := signAll(t, T, signers, pkg)
	for _, sh := range shares {
		if err := c.VerifyShare(T, sh, pkg); err != nil {
			t.Fatalf("VerifyShare %d: %v", sh.Signer, err)
		}
	}
	sig, err := c.Aggregate(T, shares, pkg)
	if err != nil {
		t.Fatalf("Aggregate: %v", err)
	}
	if err := Verify(cfg.GroupKey, T, sig); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !ed25519.Verify(cfg.GroupKey[:], T, sig[:]) {
		t.Fatal("crypto/ed25519.Verify rejects the aggregate")
	}
	if err := Verify(cfg.GroupKey, msg("other"), sig); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("Verify(other T) = %v", err)
	}
	bad := sig
	bad[40] ^= 1
	if err := Verify(cfg.GroupKey, T, bad); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("Verify(flipped) = %v", err)
	}
}

func TestSignConsumesCommitment(t *testing.T) {
	_, ss, _ := dealer(t, 2, 3, nil)
	signers := []*Signer{ss[0], ss[1]}
	pkg := commitAll(t, signers)
	if _, err := ss[0].Sign(msg("a"), pkg); err != nil {
		t.Fatal(err)
	}
	if ss[0].Outstanding() != 0 {
		t.Fatalf("outstanding %d after Sign", ss[0].Outstanding())
	}
	for _, T := range [][]byte{msg("a"), msg("b")} {
		if _, err := ss[0].Sign(T, pkg); !errors.Is(err, ErrCommitmentUsed) {
			t.Fatalf("second Sign = %v, want ErrCommitmentUsed", err)
		}
	}
	ss[1].ClearCommitment(pkg[1].ID)
	if _, err := ss[1].Sign(msg("a"), pkg); !errors.Is(err, ErrUnknownCommitment) {
		t.Fatalf("Sign after eviction = %v, want ErrUnknownCommitment", err)
	}
}

func TestSignRefusesForeignCommitment(t *testing.T) {
	_, ss, _ := dealer(t, 2, 3, nil)
	_, other, _ := dealer(t, 2, 3, nil)
	pkg := commitAll(t, []*Signer{ss[0], ss[1]})
	// Same signer id, commitment issued by another Signer.
	foreign := commitAll(t, []*Signer{other[0]})[0]
	if _, err := ss[0].Sign(msg("T"), []Commitment{foreign, pkg[1]}); !errors.Is(err, ErrUnknownCommitment) {
		t.Fatalf("foreign id: %v", err)
	}
	// Known id, substituted points.
	forged := foreign
	copy(forged.Bytes[1:9], pkg[0].Bytes[1:9])
	forged.ID = pkg[0].ID
	if _, err := ss[0].Sign(msg("T"), []Commitment{forged, pkg[1]}); !errors.Is(err, ErrUnknownCommitment) {
		t.Fatalf("forged points: %v", err)
	}
	// Not in package, unsorted, too small.
	if _, err := ss[2].Sign(msg("T"), pkg); !errors.Is(err, ErrBadPackage) {
		t.Fatalf("not in package: %v", err)
	}
	if _, err := ss[0].Sign(msg("T"), []Commitment{pkg[1], pkg[0]}); !errors.Is(err, ErrBadPackage) {
		t.Fatalf("unsorted: %v", err)
	}
	if _, err := ss[0].Sign(msg("T"), pkg[:1]); !errors.Is(err, ErrBadPackage) {
		t.Fatalf("t-1 package: %v", err)
	}
	if _, err := ss[0].Sign(msg("T"), pkg); err != nil {
		t.Fatalf("valid package after refusals: %v", err)
	}
}

func TestTMinusOneSharesNeverVerify(t *testing.T) {
	for _, tc := range []struct{ t, n uint16 }{{2, 3}, {3, 5}, {4, 7}} {
		c, ss, cfg := dealer(t, tc.t, tc.n, nil)
		T := msg("T")
		signers := ss[:tc.t]
		pkg := commitAll(t, signers)
		shares := signAll(t, T, signers, pkg)
		if _, err := c.Aggregate(T, shares[:tc.t-1], pkg); !errors.Is(err, ErrShareSet) {
			t.Fatalf("t=%d: Aggregate(t-1) = %v", tc.t, err)
		}
		list, err := c.pkgList(pkg)
		if err != nil {
			t.Fatal(err)
		}
		fss, err := shareSet(shares, list)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.aggregate(T, fss[:tc.t-1], list); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("t=%d: raw aggregate of t-1 shares = %v, want ErrInvalidSignature", tc.t, err)
		}
		// The t-1 signers' own package of t-1 commitments is refused.
		if _, err := c.pkgList(pkg[:tc.t-1]); !errors.Is(err, ErrBadPackage) {
			t.Fatalf("t-1 package accepted: %v", err)
		}
		sig, err := c.aggregate(T, fss, list)
		if err != nil || Verify(cfg.GroupKey, T, sig) != nil {
			t.Fatalf("t shares: %v", err)
		}
	}
}

func TestBadSharesRejected(t *testing.T) {
	c, ss, _ := dealer(t, 2, 3, nil)
	T := msg("T")
	signers := []*Signer{ss[0], ss[1]}
	pkgA := commitAll(t, signers)
	shA := signAll(t, T, signers, pkgA)
	pkgB := commitAll(t, signers)
	shB := signAll(t, T, signers, pkgB)
	// A share only combines inside its own package.
	if err := c.VerifyShare(T, shA[0], pkgB); !errors.Is(err, ErrInvalidShare) {
		t.Fatalf("cross-package share: %v", err)
	}
	if _, err := c.Aggregate(T, []Share{shA[0], shB[1]}, pkgB); !errors.Is(err, ErrInvalidShare) {
		t.Fatalf("mixed aggregate: %v", err)
	}
	if err := c.VerifyShare(msg("U"), shA[0], pkgA); !errors.Is(err, ErrInvalidShare) {
		t.Fatalf("share on other T: %v", err)
	}
	dup := []Share{shA[0], shA[0]}
	if _, err := c.Aggregate(T, dup, pkgA); !errors.Is(err, ErrShareSet) {
		t.Fatalf("duplicate shares: %v", err)
	}
	relabel := shA[0]
	relabel.Signer = 3
	if err := c.VerifyShare(T, relabel, pkgA); !errors.Is(err, ErrBadEncoding) {
		t.Fatalf("relabelled share: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	_, _, good := dealer(t, 3, 5, nil)
	mut := func(f func(*Config)) Config {
		c := good
		c.VerShares = maps.Clone(good.VerShares)
		f(&c)
		return c
	}
	cases := map[string]Config{
		"t=1 n=5":          mut(func(c *Config) { c.Threshold = 1 }),
		"t>n":              mut(func(c *Config) { c.Threshold = 6 }),
		"missing id":       mut(func(c *Config) { delete(c.VerShares, 5) }),
		"id out of range":  mut(func(c *Config) { c.VerShares[6] = c.VerShares[5]; delete(c.VerShares, 5) }),
		"torsion GroupKey": mut(func(c *Config) { c.GroupKey = withTorsion(t, c.GroupKey) }),
		"torsion VerShare": mut(func(c *Config) { c.VerShares[2] = withTorsion(t, c.VerShares[2]) }),
		"swapped shares":   mut(func(c *Config) { c.VerShares[1], c.VerShares[2] = c.VerShares[2], c.VerShares[1] }),
		"wrong GroupKey":   mut(func(c *Config) { c.GroupKey = c.VerShares[1] }),
		"small order":      mut(func(c *Config) { c.VerShares[3] = order2 }),
	}
	for name, cfg := range cases {
		if _, err := NewCommittee(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if _, err := NewCommittee(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
}

func TestNewSignerRejectsForeignShare(t *testing.T) {
	c, _, _ := dealer(t, 2, 3, nil)
	if _, err := NewSigner(c, []byte{1, 2, 3}); !errors.Is(err, ErrBadKeyShare) {
		t.Fatalf("garbage share: %v", err)
	}
	libMu.Lock()
	_, other, _ := dealerShares(2, 3)
	libMu.Unlock()
	if _, err := NewSigner(c, other[0].Encode()); !errors.Is(err, ErrBadKeyShare) {
		t.Fatalf("foreign share: %v", err)
	}
}

func TestVerifySingleSignerEd25519(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	T := msg("T")
	sig := [64]byte(ed25519.Sign(priv, T))
	gk := [32]byte(pub)
	if err := Verify(gk, T, sig); err != nil {
		t.Fatalf("t=1 commit: %v", err)
	}
	if _, err := NewCommittee(Config{Threshold: 1, MaxSigners: 1, GroupKey: gk, VerShares: map[uint16][32]byte{1: gk}}); err != nil {
		t.Fatalf("t=n=1 committee: %v", err)
	}
	cases := map[string][64]byte{}
	tr := sig
	copy(tr[:32], func() []byte { p := withTorsion(t, [32]byte(sig[:32])); return p[:] }())
	cases["torsion R"] = tr
	hi := sig
	hi[63] |= 0xf0 // z ≥ L
	cases["non-canonical z"] = hi
	id := sig
	id[0] = 1
	clear(id[1:32])
	cases["identity R"] = id
	for name, s := range cases {
		if err := Verify(gk, T, s); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := Verify(withTorsion(t, gk), T, sig); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("torsion key: %v", err)
	}
}

func TestCheckPoint(t *testing.T) {
	_, _, cfg := dealer(t, 2, 3, nil)
	if err := CheckPoint(cfg.GroupKey); err != nil {
		t.Fatalf("group key: %v", err)
	}
	var ident [32]byte
	ident[0] = 1
	nonCanon := ident
	nonCanon[0] = 0xf0 // p+3: decodes (to a torsion point) but is not canonical
	for i := 1; i < 31; i++ {
		nonCanon[i] = 0xff
	}
	nonCanon[31] = 0x7f
	for name, p := range map[string][32]byte{
		"identity": ident, "order 2": order2, "torsion": withTorsion(t, cfg.GroupKey),
		"non-canonical": nonCanon, "off curve": {2},
	} {
		if err := CheckPoint(p); !errors.Is(err, ErrBadEncoding) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNonceRecorder(t *testing.T) {
	rec := new(NonceRecorder)
	_, ss, _ := dealer(t, 2, 3, rec)
	pkg := commitAll(t, ss)
	recs := rec.Records()
	if len(recs) != len(pkg) {
		t.Fatalf("%d records for %d commits", len(recs), len(pkg))
	}
	for i, r := range recs {
		if r.ID != pkg[i].ID || r.HidingPoint != pkg[i].HidingPoint() || r.BindingPoint != pkg[i].BindingPoint() {
			t.Fatalf("record %d does not match its commitment", i)
		}
		if r.HidingNonce == ([32]byte{}) || r.BindingNonce == ([32]byte{}) {
			t.Fatalf("record %d lacks nonces", i)
		}
	}
}
