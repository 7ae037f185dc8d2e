package sync

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

// TestConfig: defaults are the §10 values and valid; Validate rejects bad
// values without mutating; Cap is min(MaxSymbols, ⌈SetSize/2⌉+64).
func TestConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil || c.Window != 256 || c.MaxSymbols != 65536 || c.MaxFactsPerSession != 1000 || c.AnnounceMax != 16 {
		t.Fatalf("defaults %+v: %v", c, err)
	}
	for _, bad := range []Config{{Window: 3, MaxSymbols: 10, MaxFactsPerSession: 1, AnnounceMax: 1}, {Window: 256, MaxSymbols: 10, MaxFactsPerSession: 1, AnnounceMax: 1}, {Window: 2, MaxSymbols: 2}} {
		before := bad
		if err := bad.Validate(); !errors.Is(err, ErrConfig) || bad != before {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	for _, tc := range []struct{ size, want uint64 }{{0, 64}, {1, 65}, {101, 115}, {1 << 20, 65536}} {
		if got := c.Cap(tc.size); got != tc.want {
			t.Fatalf("Cap(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
}

// TestResultLabel maps bad symbols to "bad_symbols", else the outcome.
func TestResultLabel(t *testing.T) {
	if got := ResultLabel(Aborted, fmt.Errorf("x: %w", riblt.ErrCountRange)); got != "bad_symbols" {
		t.Fatalf("got %q", got)
	}
	if got := ResultLabel(FellBack, nil); got != "fell_back" {
		t.Fatalf("got %q", got)
	}
	if got := ResultLabel(Aborted, ErrNotMember); got != "aborted" {
		t.Fatalf("got %q", got)
	}
}
