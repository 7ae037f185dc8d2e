package journal

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// AuthorityDevice is one current device (Device leaf) of an authority's
// reduced state: its DeviceId and keys. A reducer lists them by
// ascending LeafId.
type AuthorityDevice struct {
	// Leaf is the device's LeafId (its slot-table entry, SPEC §6.2).
	Leaf      uint32
	Device    DeviceID
	DeviceKey [32]byte
	DHKey     [32]byte
}

// AuthorityView is what every reduced authority state exposes to sync
// (journal/sync: members and peers, SPEC §9) and to the flow layer
// (FlowSpent, SPEC §6.2): *AuthorityState (single-device stand-in) and
// journal/tree's *Result implement it.
type AuthorityView interface {
	State
	// Devices are the current devices by ascending LeafId (empty
	// without a valid Genesis).
	Devices() []AuthorityDevice
	// DevicePeers are the joined DevicePeer registers of current devices,
	// by (Author, PeerID, SignerKey).
	DevicePeers() []Peer
	// FlowCharges are the joined FlowCharge registers of current
	// devices, each for its signer's own slot, by (Ctx, Dst, FlowEpoch,
	// Slot) — at most one per budget key.
	FlowCharges() []FlowSpent
}

// AuthorityRegisters are an authority namespace's DevicePeer and
// FlowCharge registers validated against its current devices (SPEC §3:
// a register is inert unless its SignerKey is its Author's DeviceKey in
// reduced state).
//
// Registers of removed devices are inert, like every other fact whose
// Author is not a current leaf: a removed device is not a sync peer
// (SPEC §9 step 2 refuses it) and its FlowCharge registers gate nothing
// — slots are disjoint, each device charges only its own records, and
// the next flow epoch's slot tables no longer hold it (SPEC §6.2), so
// dropping its registers loses no safety. A re-added device gets a new
// leaf but the same DeviceId, and its registers count again.
type AuthorityRegisters struct {
	Peers     []Peer
	FlowSpent []FlowSpent
	// Applied counts the valid register entries (before the join);
	// Inert the DevicePeer and FlowCharge entries that were not valid.
	Applied, Inert int
}

// ReduceAuthorityRegisters folds the DevicePeer and FlowCharge entries
// of one authority namespace against its current devices. A register is
// valid iff its Author is the DeviceId of one of devices and its
// SignerKey that device's DeviceKey; a FlowCharge must moreover charge
// the signer's own slot (SPEC §6.2: each device charges only its own
// slot): Slot == the signer's index among devices by ascending LeafId —
// the slot table a device freezes from this state — and Slot < slots (1
// for a single-device authority, MaxDevices for a tree). So every
// (Ctx, Dst, FlowEpoch, Slot) has at most one valid signer, and a
// device that writes a charge for another device's slot (or any slot it
// does not hold) writes an inert fact that can neither raise nor shadow
// the owner's register. [GO-DECISION] The rule reads the reduced state,
// never arrival order or the writer's clock: a charge written under a
// slot table frozen before a RemoveLeaf shifted the signer's index
// becomes inert in the new state, like a removed device's (it gated
// nothing: each device enforces its own local records; receivers
// enforce Limit, §6.6). Other entry types are skipped. Pure: the result
// depends only on the entry set (entries de-duplicated, any order; each
// FactID keeps its join, a total order).
func ReduceAuthorityRegisters(devices []AuthorityDevice, slots int, entries []Entry) AuthorityRegisters {
	keys := make(map[DeviceID][32]byte, len(devices))
	for _, d := range devices {
		keys[d.Device] = d.DeviceKey
	}
	slotOf := ownSlots(devices)
	valid := func(t *Trailer) bool {
		k, ok := keys[DeviceID(t.Author)]
		return ok && t.SignerKey == k
	}
	var out AuthorityRegisters
	peers, charges := registers{}, registers{}
	for _, e := range entries {
		switch b := e.Body.(type) {
		case *FlowCharge:
			if !valid(&b.Trailer) || int(b.Slot) >= slots || slotOf[DeviceID(b.Author)] != b.Slot {
				out.Inert++
				continue
			}
			charges.add(e)
		case *DevicePeer:
			if !valid(&b.Trailer) {
				out.Inert++
				continue
			}
			peers.add(e)
		default:
			continue
		}
		out.Applied++
	}
	out.Peers, out.FlowSpent = peersOf(peers), spentOf(charges)
	return out
}

// ownSlots maps each device to its slot: its index among devices by
// ascending LeafId (SPEC §6.2 slot table; ties, which a reduced state
// never has, by DeviceId so the map stays a function of the set).
func ownSlots(devices []AuthorityDevice) map[DeviceID]uint16 {
	sorted := slices.Clone(devices)
	slices.SortFunc(sorted, func(a, b AuthorityDevice) int {
		if c := cmp.Compare(a.Leaf, b.Leaf); c != 0 {
			return c
		}
		return bytes.Compare(a.Device[:], b.Device[:])
	})
	out := make(map[DeviceID]uint16, len(sorted))
	for i, d := range sorted {
		if _, dup := out[d.Device]; !dup {
			out[d.Device] = uint16(i)
		}
	}
	return out
}

// Encode appends the registers' canonical encoding to e (the Applied
// and Inert counters included).
func (r *AuthorityRegisters) Encode(e *canon.Encoder) {
	e.Count(len(r.Peers))
	for i := range r.Peers {
		r.Peers[i].encode(e)
	}
	e.Count(len(r.FlowSpent))
	for _, f := range r.FlowSpent {
		e.Raw(f.Ctx[:]).Raw(f.Dst[:]).U64(f.FlowEpoch).U16(f.Slot).U64(f.Spent).Raw(f.Entry[:])
	}
	e.U64(uint64(r.Applied)).U64(uint64(r.Inert))
}

// Spent is the reduced spend of budget key (ctx, dst, epoch, slot) in
// fs (0 without a register). fs must come from ReduceAuthorityRegisters
// (or an AuthorityView), which keeps only registers signed by the
// slot's own device, so at most one entry matches: the signer is
// implied by the slot, and a register another device wrote for this
// slot was already dropped as inert.
func Spent(fs []FlowSpent, ctx, dst [16]byte, epoch uint64, slot uint16) uint64 {
	for _, f := range fs {
		if f.Ctx == ctx && f.Dst == dst && f.FlowEpoch == epoch && f.Slot == slot {
			return f.Spent
		}
	}
	return 0
}

// Devices implements AuthorityView: the Genesis device.
func (s *AuthorityState) Devices() []AuthorityDevice {
	if !s.HasGenesis {
		return nil
	}
	return []AuthorityDevice{{Leaf: s.Leaf, Device: s.Device, DeviceKey: s.DeviceKey, DHKey: s.DHKey}}
}

// DevicePeers implements AuthorityView.
func (s *AuthorityState) DevicePeers() []Peer { return s.Peers }

// FlowCharges implements AuthorityView.
func (s *AuthorityState) FlowCharges() []FlowSpent { return s.FlowSpent }

var _ AuthorityView = (*AuthorityState)(nil)
