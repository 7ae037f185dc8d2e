package sync

import (
	"fmt"
	"testing"
)

// BenchmarkSession runs one whole in-memory session (both cores, key
// derivation, boxes, RIBLT, fetch and push) for |E| = 10^4.
func BenchmarkSession(b *testing.B) {
	for _, d := range []int{0, 10, 100, 1000} {
		b.Run(fmt.Sprintf("E=10000/d=%d", d), func(b *testing.B) {
			base := newWorld(200, 10_000-d/2, (d+1)/2, d/2)
			var res result
			for b.Loop() {
				w := *base
				w.iStore, w.rStore = base.iStore.clone(), base.rStore.clone()
				w.iCfg.Entries = w.iStore
				res = w.run(b)
				if res.iErr != nil || res.rErr != nil {
					b.Fatal(res)
				}
			}
			b.ReportMetric(float64(res.in.Stats().Symbols), "symbols")
			b.ReportMetric(float64(res.in.Stats().DecodedAt), "decoded-at")
		})
	}
}
