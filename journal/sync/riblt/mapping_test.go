package riblt

import (
	"slices"
	"testing"
)

// TestMappingVectors checks both index-mapping vectors of SPEC §9.
func TestMappingVectors(t *testing.T) {
	cases := []struct {
		chk  uint64
		want []uint64
	}{
		{0x0123456789abcdef, []uint64{0, 1, 2, 4, 6, 8, 20, 24, 34, 36, 126, 153, 155}},
		{1, []uint64{0, 1, 2, 3, 6, 11, 19, 44, 116, 122, 341, 972, 3263}},
	}
	for _, c := range cases {
		if got := Indices(c.chk, len(c.want)); !slices.Equal(got, c.want) {
			t.Errorf("chk %#x: got %v, want %v", c.chk, got, c.want)
		}
	}
}

// TestMappingStrictlyIncreasingAndBounded walks many mappings to the end:
// indices strictly increase, stay below 2^32, and the walk terminates.
func TestMappingStrictlyIncreasingAndBounded(t *testing.T) {
	for _, chk := range []uint64{0, 1, 2, 0xffffffffffffffff, 0x8000000000000000, 0xdeadbeef} {
		m := NewMapping(chk)
		prev, steps := m.Index(), 0
		for m.Next() {
			if m.Index() <= prev || m.Index() >= indexLimit {
				t.Fatalf("chk %#x: index %d after %d", chk, m.Index(), prev)
			}
			prev = m.Index()
			if steps++; steps > 1<<20 {
				t.Fatalf("chk %#x: walk does not end", chk)
			}
		}
		if m.Next() {
			t.Fatalf("chk %#x: Next true after end", chk)
		}
	}
}
