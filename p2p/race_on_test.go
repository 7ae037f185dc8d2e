//go:build race

package p2p

// raceEnabled is true under -race: the always-run burst sample shrinks
// because the detector slows GossipSub's per-message path ~10x.
const raceEnabled = true
