//go:build race

package riblt

// raceEnabled: the race detector slows this single-goroutine arithmetic
// ~20×, so full-set samples shrink (the difference-only runs, which give
// identical counts, keep their 100 seeds) and samples shrink.
const raceEnabled = true
