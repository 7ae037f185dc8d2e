package riblt

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// testSets builds, from seed, a remote set of n elements and a local set
// that differs from it by d elements: ⌈d/2⌉ remote-only and ⌊d/2⌋
// local-only. It returns the key, both sets and both one-sided
// differences, sorted.
type testSets struct {
	key                   Key
	remote, local         [][32]byte
	remoteOnly, localOnly [][32]byte
}

func makeSets(seed uint64, n, d int) testSets {
	return makeSetsMode(seed, n, d, true)
}

// makeSetsMode draws the key and the difference first, so withCommon=false
// yields exactly the difference of the full sets (remote = remote-only,
// local = local-only) without drawing the n common elements.
func makeSetsMode(seed uint64, n, d int, withCommon bool) testSets {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	elem := func() [32]byte {
		var x [32]byte
		for i := 0; i < 32; i += 8 {
			v := r.Uint64()
			for j := 0; j < 8; j++ {
				x[i+j] = byte(v >> (8 * j))
			}
		}
		return x
	}
	ro, lo := (d+1)/2, d/2
	ts := testSets{key: Key{K0: r.Uint64(), K1: r.Uint64()}}
	for range ro {
		ts.remoteOnly = append(ts.remoteOnly, elem())
	}
	for range lo {
		ts.localOnly = append(ts.localOnly, elem())
	}
	ts.remote = append([][32]byte(nil), ts.remoteOnly...)
	ts.local = append([][32]byte(nil), ts.localOnly...)
	if withCommon {
		for range n - ro {
			x := elem()
			ts.remote = append(ts.remote, x)
			ts.local = append(ts.local, x)
		}
		r.Shuffle(len(ts.local), func(i, j int) { ts.local[i], ts.local[j] = ts.local[j], ts.local[i] })
	}
	sortIDs(ts.remoteOnly)
	sortIDs(ts.localOnly)
	return ts
}

func sortIDs(s [][32]byte) {
	slices.SortFunc(s, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
}

// reconcile streams the remote encoder into a decoder until it decodes (or
// limit symbols) and returns the decoder.
func reconcile(t testing.TB, ts testSets, limit int) *Decoder {
	t.Helper()
	enc := NewEncoder(ts.key, ts.remote)
	dec := NewDecoder(ts.key, ts.local, uint64(len(ts.remote)))
	for !dec.Decoded() && int(dec.Received()) < limit {
		if err := dec.AddSymbol(enc.Next()); err != nil {
			t.Fatalf("AddSymbol %d: %v", dec.Received(), err)
		}
	}
	return dec
}

// checkDiff asserts the decoder recovered exactly the expected difference.
func checkDiff(t testing.TB, ts testSets, dec *Decoder) {
	t.Helper()
	if !dec.Decoded() {
		t.Fatalf("not decoded after %d symbols", dec.Received())
	}
	ro := slices.Clone(dec.RemoteOnly())
	lo := slices.Clone(dec.LocalOnly())
	sortIDs(ro)
	sortIDs(lo)
	if !slices.Equal(ro, ts.remoteOnly) || !slices.Equal(lo, ts.localOnly) {
		t.Fatalf("recovered %d/%d, want %d/%d", len(ro), len(lo), len(ts.remoteOnly), len(ts.localOnly))
	}
}
