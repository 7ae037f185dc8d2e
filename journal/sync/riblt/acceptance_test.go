package riblt

import (
	"os"
	"testing"
)

// longRun reports whether the long acceptance runs are enabled.
func longRun() bool { return os.Getenv("AURA_LONG") == "1" }

// diffOnly draws the same sets as makeSets but keeps only their
// symmetric difference. Elements common to both sets add identically to
// C_R[i] and C_I[i], so D[i] = C_R[i] ⊖ C_I[i] — and with it every peeling
// step and the symbol count — is bit-for-bit the same as for the full sets
// (TestDiffOnlyEquivalence checks this at |E| = 10^4).
func diffOnly(seed uint64, n, d int) testSets { return makeSetsMode(seed, n, d, false) }

// symbolsNeeded decodes ts and returns the symbol count at which decoding
// succeeded, after checking the exact difference.
func symbolsNeeded(t *testing.T, ts testSets) uint64 {
	t.Helper()
	dec := reconcile(t, ts, 1<<20)
	checkDiff(t, ts, dec)
	return dec.DecodedAt()
}

// meanOverhead decodes seeds 0..seeds-1 with |E| = n and d differences and
// returns the mean symbol count divided by d. Every run must yield the
// exact difference. full=false decodes the difference-only sets.
func meanOverhead(t *testing.T, n, d, seeds int, full bool) float64 {
	t.Helper()
	total := uint64(0)
	for seed := range seeds {
		ts := makeSetsMode(uint64(seed), n, d, full)
		total += symbolsNeeded(t, ts)
	}
	return float64(total) / float64(seeds) / float64(d)
}

// TestDiffOnlyEquivalence: for |E| = 10^4, decoding the full sets and
// decoding only their difference need exactly the same number of symbols
// and recover the same elements. This licenses the fast path of
// TestAcceptanceSymbolOverhead.
func TestDiffOnlyEquivalence(t *testing.T) {
	for _, c := range []struct{ d, seeds int }{{50, 3}, {1000, 2}} {
		for seed := range c.seeds {
			ts := makeSets(uint64(seed), 10_000, c.d)
			full, diff := symbolsNeeded(t, ts), symbolsNeeded(t, diffOnly(uint64(seed), 10_000, c.d))
			if full != diff {
				t.Fatalf("d=%d seed=%d: full sets need %d symbols, difference-only %d", c.d, seed, full, diff)
			}
		}
	}
}

// TestAcceptanceSymbolOverhead is SPEC §16.34: over 100 fixed seeds with
// |E| = 10^4, decoding yields the exact symmetric difference with mean
// symbol count ≤ 1.55·d at d = 50 and ≤ 1.45·d at d = 1000.
//
// The 100 seeds of each d always decode the difference-only sets
// (identical symbol counts, TestDiffOnlyEquivalence). Without the race
// detector, 20 seeds of d = 1000 and 100 of d = 50 also decode the full
// 10^4-element sets, each sample asserting the same bound on its mean;
// under -race (CI) TestDiffOnlyEquivalence's full-set runs stand in for
// them. AURA_LONG=1 decodes all 100 seeds of both on the full sets.
func TestAcceptanceSymbolOverhead(t *testing.T) {
	cases := []struct {
		d, fullSeeds int
		bound        float64
	}{
		{d: 50, fullSeeds: 100, bound: 1.55},
		{d: 1000, fullSeeds: 20, bound: 1.45},
	}
	for _, c := range cases {
		check := func(seeds int, full bool) {
			got := meanOverhead(t, 10_000, c.d, seeds, full)
			t.Logf("|E|=10^4 d=%d seeds=%d full=%v: mean symbols = %.3f·d (bound %.2f·d)", c.d, seeds, full, got, c.bound)
			if got > c.bound {
				t.Errorf("d=%d full=%v: mean symbols %.3f·d > %.2f·d", c.d, full, got, c.bound)
			}
		}
		check(100, false)
		fullSeeds := c.fullSeeds
		if longRun() {
			fullSeeds = 100
		} else if raceEnabled {
			fullSeeds = 0
		}
		if fullSeeds > 0 {
			check(fullSeeds, true)
		}
	}
}
