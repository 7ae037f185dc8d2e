package frostx

import "testing"

func benchSetup(b *testing.B) (*Committee, []*Signer, [32]byte) {
	c, ss, cfg := dealer(b, 3, 5, nil)
	return c, ss[:3], cfg.GroupKey
}

func BenchmarkCommit(b *testing.B) {
	_, ss, _ := benchSetup(b)
	for b.Loop() {
		c, err := ss[0].Commit()
		if err != nil {
			b.Fatal(err)
		}
		ss[0].ClearCommitment(c.ID)
	}
}

func BenchmarkSign(b *testing.B) {
	_, ss, _ := benchSetup(b)
	T := msg("T")
	pkg := commitAll(b, ss)
	for b.Loop() {
		b.StopTimer()
		c, _ := ss[0].Commit()
		pkg[0] = c
		b.StartTimer()
		if _, err := ss[0].Sign(T, pkg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyShare(b *testing.B) {
	c, ss, _ := benchSetup(b)
	T := msg("T")
	pkg := commitAll(b, ss)
	sh := signAll(b, T, ss, pkg)
	for b.Loop() {
		if err := c.VerifyShare(T, sh[0], pkg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAggregateVerify(b *testing.B) {
	c, ss, gk := benchSetup(b)
	T := msg("T")
	pkg := commitAll(b, ss)
	sh := signAll(b, T, ss, pkg)
	for b.Loop() {
		sig, err := c.Aggregate(T, sh, pkg)
		if err != nil {
			b.Fatal(err)
		}
		if err := Verify(gk, T, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	c, ss, gk := benchSetup(b)
	T := msg("T")
	pkg := commitAll(b, ss)
	sig, _ := c.Aggregate(T, signAll(b, T, ss, pkg), pkg)
	for b.Loop() {
		if err := Verify(gk, T, sig); err != nil {
			b.Fatal(err)
		}
	}
}
