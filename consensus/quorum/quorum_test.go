package quorum

import (
	"errors"
	"slices"
	"testing"
)

func TestValidConfig(t *testing.T) {
	for _, tc := range []struct {
		t, n uint16
		ok   bool
	}{
		{1, 1, true}, {2, 2, true}, {2, 3, true}, {3, 5, true}, {5, 5, true},
		{0, 0, false}, {0, 3, false}, {1, 2, false}, {1, 5, false}, {3, 2, false}, {2, 1, false},
	} {
		err := ValidConfig(tc.t, tc.n)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("ValidConfig(%d,%d) = %v", tc.t, tc.n, err)
		}
	}
}

func TestCheckSigners(t *testing.T) {
	for _, tc := range []struct {
		name    string
		signers []uint16
		t, n    uint16
		ok      bool
	}{
		{"exact t", []uint16{1, 3, 5}, 3, 5, true},
		{"all", []uint16{1, 2, 3, 4, 5}, 3, 5, true},
		{"single", []uint16{1}, 1, 1, true},
		{"too few", []uint16{1, 2}, 3, 5, false},
		{"empty", nil, 1, 1, false},
		{"unsorted", []uint16{1, 3, 2}, 3, 5, false},
		{"duplicate", []uint16{1, 2, 2}, 3, 5, false},
		{"zero id", []uint16{0, 1, 2}, 3, 5, false},
		{"id > n", []uint16{1, 2, 6}, 3, 5, false},
		{"t = 0", []uint16{1}, 0, 1, false},
	} {
		err := CheckSigners(tc.signers, tc.t, tc.n)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrSigners)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestDistinct(t *testing.T) {
	for _, tc := range []struct {
		ids  []uint16
		want int
	}{{nil, 0}, {[]uint16{1}, 1}, {[]uint16{3, 1, 3, 2, 1}, 3}, {[]uint16{7, 7, 7}, 1}} {
		in := slices.Clone(tc.ids)
		if got := Distinct(tc.ids); got != tc.want {
			t.Errorf("Distinct(%v) = %d, want %d", tc.ids, got, tc.want)
		}
		if !slices.Equal(in, tc.ids) {
			t.Errorf("Distinct mutated its input")
		}
	}
}

func TestTally(t *testing.T) {
	var ta Tally
	if ta.Reached(1) || ta.Len() != 0 {
		t.Fatal("empty tally reached")
	}
	adds := []struct {
		id  uint16
		new bool
	}{{4, true}, {2, true}, {4, false}, {5, true}, {2, false}}
	for _, a := range adds {
		if got := ta.Add(a.id); got != a.new {
			t.Fatalf("Add(%d) = %v", a.id, got)
		}
	}
	if ta.Len() != 3 || !ta.Reached(3) || ta.Reached(4) || Reached(3, 0) {
		t.Fatalf("Len %d", ta.Len())
	}
	if got := ta.Sorted(); !slices.Equal(got, []uint16{2, 4, 5}) || CheckSigners(got, 3, 5) != nil {
		t.Fatalf("Sorted = %v", got)
	}
}
