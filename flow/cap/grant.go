package cap

import (
	"bytes"
	"math"
	"slices"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Default is a context Genesis's DefaultCaps and DefaultLimit, which apply
// when no grant is valid (SPEC §6.1).
type Default struct {
	Caps  []string // sorted; the Genesis default is AllNames()
	Limit uint64   // must be ≥ MinLimit (a lower one means an invalid Genesis)
}

// GenesisDefault is the SPEC §10 default Genesis: every capability name
// and DefaultLimit 10 000 (≥ MinLimit).
func GenesisDefault() Default {
	return Default{Caps: AllNames(), Limit: budget.DefaultContextLimit}
}

// SelectGrant picks the frontier for sending from self to the grantor in
// ctx at flowEpoch (SPEC §6.1): among grants (CapGrant token bytes) that
// authorize with presenter = self and issuer = issuerKey (the grantor's
// current member key), the largest Granted limit wins, tie → smaller
// TokenHash. Without a valid grant the Genesis default applies with a zero
// TokenHash and an unbounded window. Invalid grants are skipped (inert).
// The receiver uses the same call, with self as issuer and the sender as
// presenter, to find the Limit it granted. An invalid default (Limit <
// MinLimit) is ErrLimitTooLow: missing or invalid state denies.
func SelectGrant(a Authorizer, grants [][]byte, self journal.AuthorityID, ctx journal.ContextID,
	flowEpoch uint64, issuerKey [32]byte, p Policy, def Default) (Frontier, error) {
	var best Frontier
	found := false
	for _, g := range grants {
		f, err := a.Authorize(g, self, ctx, flowEpoch, issuerKey)
		if err != nil {
			continue
		}
		if !found || better(f, best) {
			best, found = f, true
		}
	}
	if found {
		return best, nil
	}
	return DefaultFrontier(def, p)
}

func better(f, than Frontier) bool {
	if f.Granted != than.Granted {
		return f.Granted > than.Granted
	}
	return bytes.Compare(f.TokenHash[:], than.TokenHash[:]) < 0
}

// DefaultFrontier is the Genesis default under policy p.
func DefaultFrontier(def Default, p Policy) (Frontier, error) {
	if budget.ValidLimit(def.Limit) != nil {
		return Frontier{}, ErrLimitTooLow
	}
	sorted := slices.Clone(def.Caps)
	slices.Sort(sorted)
	caps, limit := p.apply(slices.Compact(sorted), def.Limit)
	return Frontier{Caps: caps, Limit: limit, Granted: def.Limit, FromEpoch: 0, ToEpoch: math.MaxUint64}, nil
}
