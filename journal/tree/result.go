package tree

import (
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Status is what reduction did with one Commit entry (SPEC §5.10,
// §16.36).
type Status uint8

const (
	// StatusSuperseded: kept, not applied — valid but beaten at its
	// parent, off the chain, or a larger-H(body) variant of an applied
	// FactID. The tree service re-proposes superseded ops (SPEC §5.10).
	StatusSuperseded Status = iota + 1
	// StatusApplied: on the chain.
	StatusApplied
	// StatusInvalid: failed valid(c, S) at its parent on the chain (bad
	// signature, signers, binding, or op invalid there); inert.
	StatusInvalid
	// StatusMalformed: not a decodable v1 Commit carrying a TreeOp; inert.
	StatusMalformed
)

func (s Status) String() string {
	switch s {
	case StatusSuperseded:
		return "superseded"
	case StatusApplied:
		return "applied"
	case StatusInvalid:
		return "invalid"
	case StatusMalformed:
		return "malformed"
	}
	return "unknown"
}

// CommitReport is one Commit entry's outcome. CID, OpHash and
// ParentEpoch are zero for malformed entries.
type CommitReport struct {
	Entry       journal.EntryID
	CID         [32]byte
	OpHash      [32]byte
	ParentEpoch uint64
	Status      Status
}

// Result is a reduced authority namespace.
type Result struct {
	Authority journal.AuthorityID
	// Genesis is the EntryID of the valid Genesis with the smallest
	// H(body); zero, with State nil, if there is none.
	Genesis       journal.EntryID
	GenesisTimeMs uint64
	// State is the tree at the end of the chain walk (never modify it).
	State *TreeState
	// Applied lists the applied Commit entries in chain order.
	Applied []journal.EntryID
	// Commits reports every Commit entry, ascending EntryID.
	Commits []CommitReport
	// Registers are the DevicePeer and FlowCharge registers valid at
	// State's leaves (journal.ReduceAuthorityRegisters with MaxDevices
	// slots): those of removed devices are inert, and a FlowCharge counts
	// only for its signer's own slot (its index among State's device
	// leaves by LeafId, SPEC §6.2). Without a Genesis every register
	// entry is inert.
	Registers journal.AuthorityRegisters
}

var _ journal.AuthorityView = (*Result)(nil)

// Devices implements journal.AuthorityView: State's leaves by LeafId.
func (r *Result) Devices() []journal.AuthorityDevice {
	if r.State == nil {
		return nil
	}
	return devicesOf(r.State)
}

func devicesOf(s *TreeState) []journal.AuthorityDevice {
	out := make([]journal.AuthorityDevice, 0, len(s.Leaves))
	for _, l := range s.Leaves {
		if l.Role == RoleDevice {
			out = append(out, journal.AuthorityDevice{Leaf: uint32(l.ID), Device: l.Device, DeviceKey: l.DeviceKey, DHKey: l.DHKey})
		}
	}
	return out
}

// DevicePeers implements journal.AuthorityView.
func (r *Result) DevicePeers() []journal.Peer { return r.Registers.Peers }

// FlowCharges implements journal.AuthorityView.
func (r *Result) FlowCharges() []journal.FlowSpent { return r.Registers.FlowSpent }

// Spent is the reduced spend of budget key (ctx, dst, epoch, slot): the
// register of the device holding slot, never another device's charge
// for it (TestFlowChargeForeignSlotInert).
func (r *Result) Spent(ctx, dst [16]byte, epoch uint64, slot uint16) uint64 {
	return journal.Spent(r.Registers.FlowSpent, ctx, dst, epoch, slot)
}

// HasGenesis reports whether a valid Genesis founded the tree.
func (r *Result) HasGenesis() bool { return r.State != nil }

// Outcome is the instance outcome of cid (SPEC §5.10): StatusApplied if
// a commit of cid is on the chain, else StatusSuperseded if some commit
// of cid is stored and valid-or-unreached, StatusInvalid if all are
// invalid or malformed, and 0 if none is stored.
func (r *Result) Outcome(cid [32]byte) Status {
	var out Status
	for _, c := range r.Commits {
		if c.CID != cid || c.Status == StatusMalformed {
			continue
		}
		switch {
		case c.Status == StatusApplied:
			return StatusApplied
		case c.Status == StatusSuperseded:
			out = StatusSuperseded
		case out == 0:
			out = StatusInvalid
		}
	}
	return out
}

// Scope is the consensus scope at the reduced state (nil without a
// Genesis).
func (r *Result) Scope() *Scope {
	if r.State == nil {
		return nil
	}
	return NewScope(r.Authority, r.State)
}

// Canonical encodes the whole result deterministically (journal.State).
func (r *Result) Canonical() []byte {
	var e canon.Encoder
	e.Raw(r.Authority[:]).Raw(r.Genesis[:]).U64(r.GenesisTimeMs).Opt(r.State != nil)
	if r.State != nil {
		e.LP(r.State.Canonical())
	}
	e.Count(len(r.Applied))
	for _, id := range r.Applied {
		e.Raw(id[:])
	}
	e.Count(len(r.Commits))
	for _, c := range r.Commits {
		e.Raw(c.Entry[:]).Raw(c.CID[:]).Raw(c.OpHash[:]).U64(c.ParentEpoch).U8(uint8(c.Status))
	}
	r.Registers.Encode(&e)
	return e.Bytes()
}

// JournalReducer adapts a Reducer to journal.Reducer for authority
// namespaces, so a journal.Registry can delegate tree reduction here:
// journal.NewRegistry(tree.JournalReducer{R: r}, journal.ContextReducer{}).
type JournalReducer struct{ R *Reducer }

var _ journal.Reducer = JournalReducer{}

// Kind is journal.KindAuthority.
func (JournalReducer) Kind() journal.Kind { return journal.KindAuthority }

// Reduce returns a *Result.
func (j JournalReducer) Reduce(ns journal.Namespace, entries []journal.Entry) (journal.State, error) {
	res, err := j.R.Reduce(ns, entries)
	if err != nil {
		return nil, err
	}
	return res, nil
}
