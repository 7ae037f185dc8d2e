package journal

import (
	"encoding/hex"
	"fmt"
)

// Identifier types (SPEC §2). All are fixed-size arrays so they compare
// with == and sort bytewise; String() gives lower-case hex (never used in
// logs or metrics for ContextId/AuthorityId, SPEC §7.2 rule 7).
type (
	// AuthorityID is Trunc16(H("aura/authority-id/v1", genesisGroupKey, genesisNonce32)).
	AuthorityID [16]byte
	// DeviceID is Trunc16(H("aura/device-id/v1", deviceEd25519Pub)).
	DeviceID [16]byte
	// ContextID is Trunc16(H("aura/context-id/v1", creatorRandom32)).
	ContextID [16]byte
	// FactID identifies a fact by its identity fields (SPEC §3).
	FactID [32]byte
	// EntryID identifies one stored body of a fact (SPEC §3).
	EntryID [32]byte
)

func (a AuthorityID) String() string { return hex.EncodeToString(a[:]) }
func (d DeviceID) String() string    { return hex.EncodeToString(d[:]) }
func (c ContextID) String() string   { return hex.EncodeToString(c[:]) }
func (f FactID) String() string      { return hex.EncodeToString(f[:]) }
func (e EntryID) String() string     { return hex.EncodeToString(e[:]) }

// Kind is a namespace kind (SPEC §3).
type Kind uint8

const (
	// KindAuthority is an authority's own journal.
	KindAuthority Kind = 1
	// KindContext is a relational context's journal.
	KindContext Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindAuthority:
		return "authority"
	case KindContext:
		return "context"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Valid reports whether k is a defined namespace kind.
func (k Kind) Valid() bool { return k == KindAuthority || k == KindContext }

// Namespace names one journal: an authority's or a context's.
// Canonically it is one part: u8 Kind ‖ ID (SPEC §0).
type Namespace struct {
	Kind Kind
	ID   [16]byte
}

// AuthorityNS is the namespace of authority a.
func AuthorityNS(a AuthorityID) Namespace { return Namespace{Kind: KindAuthority, ID: a} }

// ContextNS is the namespace of context c.
func ContextNS(c ContextID) Namespace { return Namespace{Kind: KindContext, ID: c} }

// Bytes returns the canonical 17-byte form u8 Kind ‖ ID.
func (n Namespace) Bytes() []byte {
	b := make([]byte, 17)
	b[0] = byte(n.Kind)
	copy(b[1:], n.ID[:])
	return b
}

// String is "<kind>/<hex id>", the form used in datastore keys.
func (n Namespace) String() string {
	return fmt.Sprintf("%d/%s", uint8(n.Kind), hex.EncodeToString(n.ID[:]))
}
