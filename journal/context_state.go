package journal

import (
	"math/bits"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// ContextState is the reduced state of a static context (SPEC §3, §7.1
// step 4′): no Policy, Committee or commits. Lists are in deterministic
// order (documented per field).
type ContextState struct {
	NS Namespace
	// HasGenesis is false until a valid Genesis is present; everything
	// else is then empty (all other facts are inert).
	HasGenesis bool
	// GenesisID is the EntryID of the chosen Genesis (smallest H(body)).
	GenesisID EntryID
	Genesis   *ContextGenesis
	// Members by ascending AuthorityID (from the Genesis).
	Members []Member
	// MemberKeys by ascending (AuthorityID, KeyEpoch): in a static context
	// exactly the Genesis members' keys at key epoch 0.
	MemberKeys []MemberKeys
	// FlowEpoch is the max valid FlowEpochAdvance epoch (0 if none).
	FlowEpoch uint64
	// Grants: valid CapGrant facts by ascending EntryID; tokens opaque.
	Grants []Grant
	// Peers: joined DevicePeer registers of members, by (Author, PeerID).
	Peers []Peer
	// Generic: valid Generic facts by ascending EntryID.
	Generic []GenericFact
	// Inert counts stored entries that reduction ignored (bad author key,
	// invalid epoch advance, unknown or not-yet-reduced types).
	Inert int
}

// MemberKeys are one member authority's context keys for one key epoch.
type MemberKeys struct {
	AuthorityID AuthorityID
	KeyEpoch    uint64
	SignKey     [32]byte
	DHKey       [32]byte
}

// Grant is a reduced CapGrant.
type Grant struct {
	Entry  EntryID
	Author AuthorityID
	Token  []byte
}

// GenericFact is a reduced Generic fact.
type GenericFact struct {
	Entry  EntryID
	Author AuthorityID
	Kind   uint16
	Data   []byte
}

// Member returns the member with id a.
func (s *ContextState) Member(a AuthorityID) (Member, bool) {
	for _, m := range s.Members {
		if m.AuthorityID == a {
			return m, true
		}
	}
	return Member{}, false
}

// Canonical encodes the whole state deterministically.
func (s *ContextState) Canonical() []byte {
	var e canon.Encoder
	e.Raw(s.NS.Bytes()).Bool(s.HasGenesis).Raw(s.GenesisID[:]).Count(len(s.Members))
	for _, m := range s.Members {
		e.Raw(m.AuthorityID[:]).Raw(m.SignKey[:]).Raw(m.DHKey[:])
	}
	e.Count(len(s.MemberKeys))
	for _, k := range s.MemberKeys {
		e.Raw(k.AuthorityID[:]).U64(k.KeyEpoch).Raw(k.SignKey[:]).Raw(k.DHKey[:])
	}
	e.U64(s.FlowEpoch).Count(len(s.Grants))
	for _, g := range s.Grants {
		e.Raw(g.Entry[:]).Raw(g.Author[:]).LP(g.Token)
	}
	e.Count(len(s.Peers))
	for i := range s.Peers {
		s.Peers[i].encode(&e)
	}
	e.Count(len(s.Generic))
	for _, g := range s.Generic {
		e.Raw(g.Entry[:]).Raw(g.Author[:]).U16(g.Kind).LP(g.Data)
	}
	e.U64(uint64(s.Inert))
	return e.Bytes()
}

// ContextReducer reduces static contexts. A fact signed by a SignerKey
// that is not its Author's member key in the Genesis is inert. MemberKey
// facts are inert: a static context never re-keys (§7.1 step 4′), so its
// member keys are the Genesis ones.
type ContextReducer struct{}

// Kind is KindContext.
func (ContextReducer) Kind() Kind { return KindContext }

// Reduce implements Reducer.
func (ContextReducer) Reduce(ns Namespace, entries []Entry) (State, error) {
	s := &ContextState{NS: ns}
	g, ok := smallestGenesis(entries, func(e Entry) bool {
		cg, ok := e.Body.(*ContextGenesis)
		return ok && [16]byte(cg.ContextID) == ns.ID
	})
	if !ok {
		s.Inert = len(entries)
		return s, nil
	}
	gen := g.Body.(*ContextGenesis)
	s.HasGenesis, s.GenesisID, s.Genesis, s.Members = true, g.ID, gen, gen.Members
	for _, m := range gen.Members {
		s.MemberKeys = append(s.MemberKeys, MemberKeys{AuthorityID: m.AuthorityID, SignKey: m.SignKey, DHKey: m.DHKey})
	}
	peers := registers{}
	for _, e := range entries {
		if e.ID == g.ID {
			continue
		}
		if !s.apply(e, gen, peers) {
			s.Inert++
		}
	}
	s.Peers = peersOf(peers)
	return s, nil
}

// apply folds one entry in; false means inert.
func (s *ContextState) apply(e Entry, gen *ContextGenesis, peers registers) bool {
	switch b := e.Body.(type) {
	case *FlowEpochAdvance:
		if !advanceValid(b, gen) {
			return false
		}
		s.FlowEpoch = max(s.FlowEpoch, b.Epoch)
	case *CapGrant:
		if !s.signedByMember(&b.Trailer) {
			return false
		}
		s.Grants = append(s.Grants, Grant{Entry: e.ID, Author: b.Author, Token: b.Token})
	case *Generic:
		if !s.signedByMember(&b.Trailer) {
			return false
		}
		s.Generic = append(s.Generic, GenericFact{Entry: e.ID, Author: b.Author, Kind: b.Kind, Data: b.Data})
	case *DevicePeer:
		if !s.signedByMember(&b.Trailer) {
			return false
		}
		peers.add(e)
	default:
		return false
	}
	return true
}

func (s *ContextState) signedByMember(t *Trailer) bool {
	m, ok := s.Member(t.Author)
	return ok && m.SignKey == t.SignerKey
}

// advanceValid: StartMs == GenesisTimeMs + epoch·FlowEpochMs, without
// overflow (SPEC §3 type 6).
func advanceValid(a *FlowEpochAdvance, g *ContextGenesis) bool {
	hi, lo := bits.Mul64(a.Epoch, g.FlowEpochMs)
	if hi != 0 {
		return false
	}
	sum, carry := bits.Add64(lo, g.GenesisTimeMs, 0)
	return carry == 0 && sum == a.StartMs
}
