package journal

import (
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
	// devices, by (Ctx, Dst, FlowEpoch, Slot).
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
// valid iff its Author is the DeviceId of one of devices, its SignerKey
// that device's DeviceKey and, for FlowCharge, Slot < slots (the size a
// slot table can have: 1 for a single-device authority, MaxDevices for a
// tree). Other entry types are skipped. Pure: the result depends only on
// the entry set (entries de-duplicated, any order; each FactID keeps its
// join, a total order).
func ReduceAuthorityRegisters(devices []AuthorityDevice, slots int, entries []Entry) AuthorityRegisters {
	keys := make(map[DeviceID][32]byte, len(devices))
	for _, d := range devices {
		keys[d.Device] = d.DeviceKey
	}
	valid := func(t *Trailer) bool {
		k, ok := keys[DeviceID(t.Author)]
		return ok && t.SignerKey == k
	}
	var out AuthorityRegisters
	peers, charges := registers{}, registers{}
	for _, e := range entries {
		switch b := e.Body.(type) {
		case *FlowCharge:
			if !valid(&b.Trailer) || int(b.Slot) >= slots {
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
// fs (0 without a register).
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
