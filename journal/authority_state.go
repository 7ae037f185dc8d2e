package journal

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// AuthorityState is the minimal reduced view of a single-device
// authority (SPEC §4.1 item 1), for nodes without tree ops (Keyring
// only): the Genesis device, its peers and its FlowCharge registers.
// Commits are inert here; journal/tree's Result is the multi-device
// view. Both implement AuthorityView.
type AuthorityState struct {
	NS          Namespace
	HasGenesis  bool
	GenesisID   EntryID
	AuthorityID AuthorityID
	// GenesisTimeMs, Device, DeviceKey, DHKey, GroupKey: from the Genesis.
	GenesisTimeMs uint64
	Device        DeviceID
	DeviceKey     [32]byte
	DHKey         [32]byte
	GroupKey      [32]byte
	// Leaf is the Genesis device's LeafId (0 in every valid Genesis;
	// not part of Canonical).
	Leaf uint32
	// Peers: joined DevicePeer registers of the device, by (Author, PeerID).
	Peers []Peer
	// FlowSpent: joined FlowCharge registers, by (Ctx, Dst, FlowEpoch, Slot).
	FlowSpent []FlowSpent
	// Inert counts entries reduction ignored.
	Inert int
}

// FlowSpent is one reduced FlowCharge register (§6.2 budget key).
type FlowSpent struct {
	Ctx       [16]byte
	Dst       [16]byte
	FlowEpoch uint64
	Slot      uint16
	Spent     uint64
	Entry     EntryID
}

// Spent returns the reduced spend of budget key (ctx, dst, epoch, slot).
func (s *AuthorityState) Spent(ctx, dst [16]byte, epoch uint64, slot uint16) uint64 {
	return Spent(s.FlowSpent, ctx, dst, epoch, slot)
}

// Canonical encodes the whole state deterministically.
func (s *AuthorityState) Canonical() []byte {
	var e canon.Encoder
	e.Raw(s.NS.Bytes()).Bool(s.HasGenesis).Raw(s.GenesisID[:]).Raw(s.AuthorityID[:]).
		U64(s.GenesisTimeMs).Raw(s.Device[:]).Raw(s.DeviceKey[:]).Raw(s.DHKey[:]).
		Raw(s.GroupKey[:]).Count(len(s.Peers))
	for i := range s.Peers {
		s.Peers[i].encode(&e)
	}
	e.Count(len(s.FlowSpent))
	for _, f := range s.FlowSpent {
		e.Raw(f.Ctx[:]).Raw(f.Dst[:]).U64(f.FlowEpoch).U16(f.Slot).U64(f.Spent).Raw(f.Entry[:])
	}
	e.U64(uint64(s.Inert))
	return e.Bytes()
}

// AuthorityReducer reduces single-device authority namespaces: the
// special case of ReduceAuthorityRegisters with the Genesis device as the
// only device and a one-slot table. A FlowCharge or DevicePeer is valid
// iff Author is the Genesis device, SignerKey its DeviceKey (and, for
// FlowCharge, Slot 0: the only slot of a one-device slot table, §6.2);
// otherwise it is inert (§16.32). Commits are inert here: nodes that run
// tree ops register journal/tree's JournalReducer instead.
type AuthorityReducer struct{}

// Kind is KindAuthority.
func (AuthorityReducer) Kind() Kind { return KindAuthority }

// Reduce implements Reducer.
func (AuthorityReducer) Reduce(ns Namespace, entries []Entry) (State, error) {
	s := &AuthorityState{NS: ns}
	g, ok := smallestGenesis(entries, func(e Entry) bool {
		ag, ok := e.Body.(*AuthorityGenesis)
		return ok && [16]byte(ag.AuthorityID) == ns.ID
	})
	if !ok {
		s.Inert = len(entries)
		return s, nil
	}
	s.setGenesis(g)
	regs := ReduceAuthorityRegisters(s.Devices(), 1, entries)
	s.Peers, s.FlowSpent = regs.Peers, regs.FlowSpent
	s.Inert = len(entries) - 1 - regs.Applied
	return s, nil
}

func (s *AuthorityState) setGenesis(g Entry) {
	gen := g.Body.(*AuthorityGenesis)
	s.HasGenesis, s.GenesisID, s.AuthorityID = true, g.ID, gen.AuthorityID
	s.GenesisTimeMs, s.Device, s.Leaf = gen.GenesisTimeMs, gen.Leaf.Device, gen.Leaf.ID
	s.DeviceKey, s.DHKey, s.GroupKey = gen.Leaf.DeviceKey, gen.Leaf.DHKey, gen.KeyRotation.GroupKey
}

func spentOf(r registers) []FlowSpent {
	var out []FlowSpent
	for _, e := range r.sorted() {
		b := e.Body.(*FlowCharge)
		out = append(out, FlowSpent{Ctx: b.Ctx, Dst: b.Dst, FlowEpoch: b.FlowEpoch,
			Slot: b.Slot, Spent: b.Spent, Entry: e.ID})
	}
	slices.SortFunc(out, func(a, b FlowSpent) int {
		if c := bytes.Compare(a.Ctx[:], b.Ctx[:]); c != 0 {
			return c
		}
		if c := bytes.Compare(a.Dst[:], b.Dst[:]); c != 0 {
			return c
		}
		if a.FlowEpoch != b.FlowEpoch {
			return cmp.Compare(a.FlowEpoch, b.FlowEpoch)
		}
		return int(a.Slot) - int(b.Slot)
	})
	return out
}
