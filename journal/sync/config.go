package sync

import (
	"fmt"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Protocol constants of SPEC §9/§10 that both ends must agree on.
const (
	// SymbolsPerFrame caps one Symbols frame.
	SymbolsPerFrame = 1024
	// IdsPerFrame caps one Ids frame.
	IdsPerFrame = 2048
	// WantPerFrame caps the ids of one Want frame.
	WantPerFrame = 128
	// FactsPerFrame caps the entries of one Facts frame.
	FactsPerFrame = 128
	// BoxSize is the sealed size of Box_I and Box_R (ciphertext + tag).
	BoxSize = 512
	// BoxSizeFullToken is Box_I's sealed size when it carries a full token.
	BoxSizeFullToken = 1536
	// FactsFrameBytes caps the summed protobuf size of a Facts frame's
	// entries (tag + length + bytes each). It leaves 1000 bytes of the
	// 65 KiB sync frame for the Receipt field and framing, and fits one
	// maximal 64 KiB fact.
	FactsFrameBytes = protocols.MaxSyncFrame - 1000
	// MaxGrantSymbols is the largest credit grant R can charge: the g
	// with 1 + ⌈42·g/1024⌉ ≤ MaxFrameCost (SPEC §6.2, §9 "Guards"),
	// 2413. A Window or a More increase above it could never be paid for.
	MaxGrantSymbols = (budget.MaxFrameCost - 1) * 1024 / budget.CreditSymbolBytes
)

// Config holds the §10 sync parameters a session uses. The zero value is
// invalid; start from DefaultConfig.
type Config struct {
	// Window is SyncSymbolWindow W, the credit step in symbols (256).
	// Even, ≥ 2, ≤ MaxGrantSymbols.
	Window uint32
	// MaxSymbols is SyncMaxSymbols (65 536); the fallback cap is
	// min(MaxSymbols, ⌈SetSize/2⌉ + 64).
	MaxSymbols uint32
	// MaxFactsPerSession is SyncMaxFactsPerSession (1000) each way.
	MaxFactsPerSession int
	// AnnounceMax is SyncAnnounceMax (16), the entries of a push session.
	AnnounceMax int
}

// DefaultConfig returns the §10 defaults.
func DefaultConfig() Config {
	return Config{Window: 256, MaxSymbols: 65536, MaxFactsPerSession: 1000, AnnounceMax: 16}
}

// Validate reports whether c is usable. It never mutates c.
func (c Config) Validate() error {
	switch {
	case c.Window < 2 || c.Window%2 != 0 || c.Window > MaxGrantSymbols:
		return fmt.Errorf("%w: Window %d must be even, ≥ 2 and ≤ %d", ErrConfig, c.Window, MaxGrantSymbols)
	case c.MaxSymbols < c.Window:
		return fmt.Errorf("%w: MaxSymbols %d < Window %d", ErrConfig, c.MaxSymbols, c.Window)
	case c.MaxFactsPerSession < 1:
		return fmt.Errorf("%w: MaxFactsPerSession %d", ErrConfig, c.MaxFactsPerSession)
	case c.AnnounceMax < 1:
		return fmt.Errorf("%w: AnnounceMax %d", ErrConfig, c.AnnounceMax)
	}
	return nil
}

// Cap is the symbol count past which the session falls back to the id
// exchange: min(MaxSymbols, ⌈setSize/2⌉ + 64).
func (c Config) Cap(setSize uint64) uint64 {
	return min(uint64(c.MaxSymbols), (setSize+1)/2+64)
}
