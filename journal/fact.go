package journal

import (
	"bytes"
	"encoding/binary"
	"log/slog"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// Fact types (SPEC §3 table). Type 5 is reserved and, like every type
// not listed, handled as unknown: identity = body, stored and synced,
// never reduced.
const (
	TypeGenesis            uint16 = 1
	TypeCommit             uint16 = 2
	TypeEquivocation       uint16 = 3
	TypeFlowCharge         uint16 = 4
	TypeFlowEpochAdvance   uint16 = 6
	TypeCapGrant           uint16 = 7
	TypeMemberKey          uint16 = 8
	TypeDescriptor         uint16 = 9
	TypeDescriptorRevoked  uint16 = 10
	TypeChannelEstablished uint16 = 11
	TypeGeneric            uint16 = 12
	TypeSealedSecret       uint16 = 13
	TypeDevicePeer         uint16 = 14
)

// SchemaV1 is the Schema of every v1 type. A known type under another
// schema is treated as unknown (stored, synced, not reduced).
const SchemaV1 uint16 = 1

// MaxFactSize bounds the canonical fact (SPEC §10: 64 KiB).
const MaxFactSize = 64 << 10

// factHeader is u8 kind ‖ 16-byte id ‖ u16 type ‖ u16 schema.
const factHeader = 1 + 16 + 2 + 2

// Fact is one immutable record (SPEC §3). Body is the type's canonical
// body; timestamps live inside it.
type Fact struct {
	NS     Namespace
	Type   uint16
	Schema uint16
	Body   []byte
}

// Canonical is u8 NS.Kind ‖ NS.ID ‖ u16 Type ‖ u16 Schema ‖ lp(Body).
func (f Fact) Canonical() []byte {
	var e canon.Encoder
	e.U8(uint8(f.NS.Kind)).Raw(f.NS.ID[:]).U16(f.Type).U16(f.Schema).LP(f.Body)
	return e.Bytes()
}

// DecodeFact parses canonical fact bytes. It checks only framing and
// size: the kind must be defined and no bytes may trail lp(Body).
func DecodeFact(b []byte) (Fact, error) {
	if len(b) > MaxFactSize {
		return Fact{}, ErrFactTooLarge
	}
	r := reader{b: b}
	var f Fact
	f.NS.Kind = Kind(r.u8("kind"))
	r.raw(f.NS.ID[:], "namespace id")
	f.Type = r.u16("type")
	f.Schema = r.u16("schema")
	f.Body = r.lp("body")
	if err := r.done("fact"); err != nil {
		return Fact{}, err
	}
	if !f.NS.Kind.Valid() {
		return Fact{}, malformed("namespace kind %d", uint8(f.NS.Kind))
	}
	return f, nil
}

// known reports whether f is a v1 type this package decodes.
func (f Fact) known() bool {
	if f.Schema != SchemaV1 {
		return false
	}
	switch f.Type {
	case TypeGenesis, TypeCommit, TypeEquivocation, TypeFlowCharge,
		TypeFlowEpochAdvance, TypeCapGrant, TypeMemberKey, TypeDescriptor,
		TypeDescriptorRevoked, TypeChannelEstablished, TypeGeneric,
		TypeSealedSecret, TypeDevicePeer:
		return true
	}
	return false
}

// ComputeFactID is H("aura/fact/v1", u8 nsKind, nsId, u16 type, u16
// schema, identityBytes): FactID keeps the namespace as two parts.
func ComputeFactID(ns Namespace, typ, schema uint16, identity []byte) FactID {
	return FactID(canon.H("aura/fact/v1", []byte{byte(ns.Kind)}, ns.ID[:],
		be16(typ), be16(schema), identity))
}

// BodyHash is H("aura/body/v1", canonical fact), written H(body) in SPEC §3.
func BodyHash(canonicalFact []byte) [32]byte {
	return canon.H("aura/body/v1", canonicalFact)
}

// ComputeEntryID is H("aura/entry/v1", FactID, H("aura/body/v1", canonical fact)).
func ComputeEntryID(fid FactID, bodyHash [32]byte) EntryID {
	return EntryID(canon.H("aura/entry/v1", fid[:], bodyHash[:]))
}

// Entry is one stored body of a fact. Entries are built only by Ingress
// (signatures checked) or by the store's read path (checksum checked);
// all fields are derived from Raw.
type Entry struct {
	ID       EntryID
	FactID   FactID
	BodyHash [32]byte
	Fact     Fact
	// Raw is the canonical fact; never modify it.
	Raw []byte
	// Body is the decoded typed body (one of the *Xxx body types of this
	// package), nil for unknown types and schemas.
	Body Body
}

// LogValue logs the entry's id, type and size, never its payload or
// namespace (SPEC §7.2 rule 7).
func (e Entry) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", e.ID.String()),
		slog.Int("type", int(e.Fact.Type)), slog.Int("size", len(e.Raw)))
}

// NS is the entry's namespace.
func (e Entry) NS() Namespace { return e.Fact.NS }

// Body is a decoded v1 fact body.
type Body interface {
	// Type is the fact type the body belongs to.
	Type() uint16
	// Canonical is the body's canonical encoding (SPEC §0).
	Canonical() []byte
}

// parseEntry decodes raw into an Entry: framing, size, the typed body
// (strict, no trailing bytes), identity and ids. It checks no signature.
func parseEntry(raw []byte) (Entry, error) {
	f, err := DecodeFact(raw)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Fact: f, Raw: raw}
	identity := f.Body
	if f.known() {
		body, id, err := decodeBody(f)
		if err != nil {
			return Entry{}, err
		}
		e.Body, identity = body, id
	}
	e.FactID = ComputeFactID(f.NS, f.Type, f.Schema, identity)
	e.BodyHash = BodyHash(raw)
	e.ID = ComputeEntryID(e.FactID, e.BodyHash)
	return e, nil
}

// NewEntry canonicalises f and parses it like Ingress without the
// signature and time checks; for building local facts and tests.
func NewEntry(f Fact) (Entry, error) {
	raw := f.Canonical()
	if len(raw) > MaxFactSize {
		return Entry{}, ErrFactTooLarge
	}
	return parseEntry(raw)
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// cat concatenates identity fields.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
