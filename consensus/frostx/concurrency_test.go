package frostx

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// TestConcurrentCommitSignVerify is SPEC §16.29: 8 goroutines run
// commit/sign/verify on 3 committees (≈2 s; 10 s with AURA_LONG=1) under
// -race: no race, every signature verifies, no commitment point repeats.
func TestConcurrentCommitSignVerify(t *testing.T) {
	dur := 2 * time.Second
	if os.Getenv("AURA_LONG") == "1" {
		dur = 10 * time.Second
	}
	rec := new(NonceRecorder)
	type com struct {
		c  *Committee
		ss []*Signer
		gk [32]byte
	}
	var coms []com
	for _, tn := range [][2]uint16{{2, 3}, {3, 5}, {2, 2}} {
		c, ss, cfg := dealer(t, tn[0], tn[1], rec)
		coms = append(coms, com{c, ss, cfg.GroupKey})
	}
	deadline := time.Now().Add(dur)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	var rounds [8]int
	for g := range 8 {
		wg.Go(func() {
			cm := coms[g%len(coms)]
			for i := 0; time.Now().Before(deadline); i++ {
				if err := oneRound(cm.c, cm.ss, cm.gk, g, i); err != nil {
					errs <- fmt.Errorf("goroutine %d round %d: %w", g, i, err)
					return
				}
				rounds[g]++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkNoRepeat(t, rec.Records())
	t.Logf("rounds per goroutine: %v", rounds)
}

// oneRound signs one T with a rotating t-subset of the committee.
func oneRound(c *Committee, ss []*Signer, gk [32]byte, g, i int) error {
	tt := int(c.Threshold())
	start := (g + i) % (len(ss) - tt + 1)
	signers := ss[start : start+tt]
	T := msg(fmt.Sprintf("%d/%d", g, i))
	pkg := make([]Commitment, tt)
	for k, s := range signers {
		cm, err := s.Commit()
		if err != nil {
			return err
		}
		pkg[k] = cm
	}
	shares := make([]Share, tt)
	for k, s := range signers {
		sh, err := s.Sign(T, pkg)
		if err != nil {
			return err
		}
		if err := c.VerifyShare(T, sh, pkg); err != nil {
			return err
		}
		shares[k] = sh
	}
	sig, err := c.Aggregate(T, shares, pkg)
	if err != nil {
		return err
	}
	return Verify(gk, T, sig)
}

func checkNoRepeat(t *testing.T, recs []NonceRecord) {
	t.Helper()
	seen := make(map[[32]byte]bool, 2*len(recs))
	for _, r := range recs {
		for _, p := range [][32]byte{r.HidingPoint, r.BindingPoint} {
			if seen[p] {
				t.Fatalf("commitment point repeated: signer %d id %d", r.Signer, r.ID)
			}
			seen[p] = true
		}
	}
	if len(recs) == 0 {
		t.Fatal("no commitments recorded")
	}
	t.Logf("%d commitments, no repeated point", len(recs))
}
