package budget

import (
	"slices"

	"github.com/aura-p2p/aura-p2p/journal"
)

// SlotTable is a device's frozen view of a split budget for one flow epoch
// (SPEC §6.2): the authority's N Device leaves ordered by LeafId, this
// device at index Slot, and the Limit the shares were computed from. It is
// frozen on the device's first charge in Epoch; only a rising Limit
// changes it (WithLimit). Per-device budgets use Single (N = 1).
type SlotTable struct {
	Epoch uint64
	Limit uint64
	N     uint16
	Slot  uint16
}

// Freeze builds the slot table for epoch from the Device leaves of the
// current TreeState (their LeafIds, any order) and this device's LeafId.
// limit must be a valid limit (≥ MinLimit); with n ≤ MaxDevices every
// share is then ≥ MaxFrameCost.
func Freeze(epoch, limit uint64, leaves []uint32, self uint32) (SlotTable, error) {
	if err := ValidLimit(limit); err != nil {
		return SlotTable{}, err
	}
	if len(leaves) == 0 || len(leaves) > MaxDevices {
		return SlotTable{}, ErrBadSlotTable
	}
	sorted := slices.Clone(leaves)
	slices.Sort(sorted)
	if len(slices.Compact(slices.Clone(sorted))) != len(sorted) {
		return SlotTable{}, ErrBadSlotTable
	}
	i, ok := slices.BinarySearch(sorted, self)
	if !ok {
		return SlotTable{}, ErrBadSlotTable
	}
	return SlotTable{Epoch: epoch, Limit: limit, N: uint16(len(sorted)), Slot: uint16(i)}, nil
}

// Single is the unsplit table of a per-device budget (authority scope,
// topics, peers without an authority): Share = limit, slot 0. Per-device
// limits are Config values and need not reach MinLimit.
func Single(epoch, limit uint64) SlotTable {
	return SlotTable{Epoch: epoch, Limit: limit, N: 1, Slot: 0}
}

// Valid reports whether t was built by Freeze or Single.
func (t SlotTable) Valid() bool { return t.N >= 1 && t.N <= MaxDevices && t.Slot < t.N }

// ShareOf is ⌊Limit/N⌋ for slot, plus Limit mod N for slot 0; 0 for a slot
// outside the table.
func (t SlotTable) ShareOf(slot uint16) uint64 {
	if !t.Valid() || slot >= t.N {
		return 0
	}
	s := t.Limit / uint64(t.N)
	if slot == 0 {
		s += t.Limit % uint64(t.N)
	}
	return s
}

// Share is this device's share.
func (t SlotTable) Share() uint64 { return t.ShareOf(t.Slot) }

// WithLimit returns the table recomputed for limit if limit rises above
// t.Limit, else t unchanged (shares never shrink within an epoch, SPEC
// §6.2; receivers still enforce the granted Limit).
func (t SlotTable) WithLimit(limit uint64) SlotTable {
	if limit > t.Limit {
		t.Limit = limit
	}
	return t
}

// Key is this device's budget key for (ctx, dst) under t.
func (t SlotTable) Key(ctx journal.ContextID, dst journal.AuthorityID) Key {
	return Key{Ctx: ctx, Dst: dst, Epoch: t.Epoch, Slot: t.Slot}
}
