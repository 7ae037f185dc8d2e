//go:build !race

package riblt

const raceEnabled = false
