package frostxtest

import (
	"bytes"
	"testing"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
)

func TestCommitteeSigns(t *testing.T) {
	c, ss := Committee(t, 2, 3, 1, nil)
	T := []byte("T")
	pkg := []frostx.Commitment{}
	for _, s := range []*frostx.Signer{ss[0], ss[2]} {
		cm, err := s.Commit()
		if err != nil {
			t.Fatal(err)
		}
		pkg = append(pkg, cm)
	}
	var shares []frostx.Share
	for _, s := range []*frostx.Signer{ss[0], ss[2]} {
		sh, err := s.Sign(T, pkg)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, sh)
	}
	sig, err := c.Aggregate(T, shares, pkg)
	if err != nil {
		t.Fatal(err)
	}
	if err := frostx.Verify(c.GroupKey(), T, sig); err != nil {
		t.Fatal(err)
	}
}

func TestKeygenDeterministic(t *testing.T) {
	a, sa, err := Keygen(2, 3, 9)
	if err != nil {
		t.Fatal(err)
	}
	b, sb, _ := Keygen(2, 3, 9)
	c, _, _ := Keygen(2, 3, 10)
	if a.GroupKey != b.GroupKey || !bytes.Equal(sa[0], sb[0]) {
		t.Fatal("same seed, different keys")
	}
	if a.GroupKey == c.GroupKey {
		t.Fatal("different seeds, same key")
	}
}
