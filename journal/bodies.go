package journal

import (
	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// trailerSize is Author [16] ‖ SignerKey [32] ‖ Sig [64].
const trailerSize = 16 + 32 + 64

// Trailer ends the bodies of types 4 and 7–14 (SPEC §3):
// Sig = Ed25519(SignerKey, H("aura/fact-sig/v1", NS, Type, Schema, body
// without Sig)), or a group-key aggregate for MemberKey.
type Trailer struct {
	Author    [16]byte
	SignerKey [32]byte
	Sig       [64]byte
}

func (t *Trailer) encode(e *canon.Encoder) {
	e.Raw(t.Author[:]).Raw(t.SignerKey[:]).Raw(t.Sig[:])
}

func (t *Trailer) decode(r *reader) {
	r.raw(t.Author[:], "author")
	r.raw(t.SignerKey[:], "signer key")
	r.raw(t.Sig[:], "sig")
}

// trailer gives access to a signed body's trailer.
func (t *Trailer) trailer() *Trailer { return t }

// SignedBody is a body ending with a Trailer (types 4 and 7–14); only
// this package's body types implement it.
type SignedBody interface {
	Body
	trailer() *Trailer
}

// FlowCharge is a device's spend register (type 4, authority NS;
// Author = DeviceId). Identity (Ctx, Dst, FlowEpoch, Slot, SignerKey).
type FlowCharge struct {
	Ctx       [16]byte
	Dst       [16]byte
	FlowEpoch uint64
	Slot      uint16
	Spent     uint64
	Trailer
}

func (*FlowCharge) Type() uint16 { return TypeFlowCharge }

func (b *FlowCharge) Canonical() []byte {
	var e canon.Encoder
	e.Raw(b.Ctx[:]).Raw(b.Dst[:]).U64(b.FlowEpoch).U16(b.Slot).U64(b.Spent)
	b.encode(&e)
	return e.Bytes()
}

func (b *FlowCharge) decode(r *reader) {
	r.raw(b.Ctx[:], "ctx")
	r.raw(b.Dst[:], "dst")
	b.FlowEpoch = r.u64("flow epoch")
	b.Slot = r.u16("slot")
	b.Spent = r.u64("spent")
	b.Trailer.decode(r)
}

func (b *FlowCharge) identity() []byte {
	return cat(b.Ctx[:], b.Dst[:], be64(b.FlowEpoch), be16(b.Slot), b.SignerKey[:])
}

// FlowEpochAdvance announces flow epoch Epoch of context Ctx (type 6,
// context NS, unsigned, time-gated on StartMs). Identity (Ctx, Epoch).
type FlowEpochAdvance struct {
	Ctx     [16]byte
	Epoch   uint64
	StartMs uint64
}

func (*FlowEpochAdvance) Type() uint16 { return TypeFlowEpochAdvance }

func (b *FlowEpochAdvance) Canonical() []byte {
	var e canon.Encoder
	e.Raw(b.Ctx[:]).U64(b.Epoch).U64(b.StartMs)
	return e.Bytes()
}

func (b *FlowEpochAdvance) decode(r *reader) {
	r.raw(b.Ctx[:], "ctx")
	b.Epoch = r.u64("epoch")
	b.StartMs = r.u64("start ms")
}

func (b *FlowEpochAdvance) identity() []byte { return cat(b.Ctx[:], be64(b.Epoch)) }

// CapGrant carries a capability token, opaque here (type 7, context NS;
// Author = grantor). Identity H(token).
type CapGrant struct {
	Token []byte
	Trailer
}

func (*CapGrant) Type() uint16 { return TypeCapGrant }

func (b *CapGrant) Canonical() []byte {
	var e canon.Encoder
	e.LP(b.Token)
	b.encode(&e)
	return e.Bytes()
}

func (b *CapGrant) decode(r *reader) {
	b.Token = r.lp("token")
	b.Trailer.decode(r)
}

func (b *CapGrant) identity() []byte { h := canon.HPlain(b.Token); return h[:] }

// MemberKey publishes an authority's member keys for one key epoch
// (type 8, context NS; Author = the authority; signed by its group key).
type MemberKey struct {
	KeyEpoch uint64
	SignKey  [32]byte
	DHKey    [32]byte
	Trailer
}

func (*MemberKey) Type() uint16 { return TypeMemberKey }

func (b *MemberKey) Canonical() []byte {
	var e canon.Encoder
	e.U64(b.KeyEpoch).Raw(b.SignKey[:]).Raw(b.DHKey[:])
	b.encode(&e)
	return e.Bytes()
}

func (b *MemberKey) decode(r *reader) {
	b.KeyEpoch = r.u64("key epoch")
	r.raw(b.SignKey[:], "sign key")
	r.raw(b.DHKey[:], "dh key")
	b.Trailer.decode(r)
}

// Generic is application data (type 12, context NS; Author's member key).
type Generic struct {
	Kind uint16
	Data []byte
	Trailer
}

func (*Generic) Type() uint16 { return TypeGeneric }

func (b *Generic) Canonical() []byte {
	var e canon.Encoder
	e.U16(b.Kind).LP(b.Data)
	b.encode(&e)
	return e.Bytes()
}

func (b *Generic) decode(r *reader) {
	b.Kind = r.u16("generic kind")
	b.Data = r.lp("data")
	b.Trailer.decode(r)
}

// SealedSecret holds secrets sealed under the authority secret (type 13,
// authority NS; Author's DeviceKey).
type SealedSecret struct {
	KeyEpoch   uint64
	Nonce      [12]byte
	Ciphertext []byte
	Trailer
}

func (*SealedSecret) Type() uint16 { return TypeSealedSecret }

func (b *SealedSecret) Canonical() []byte {
	var e canon.Encoder
	e.U64(b.KeyEpoch).Raw(b.Nonce[:]).LP(b.Ciphertext)
	b.encode(&e)
	return e.Bytes()
}

func (b *SealedSecret) decode(r *reader) {
	b.KeyEpoch = r.u64("key epoch")
	r.raw(b.Nonce[:], "nonce")
	b.Ciphertext = r.lp("ciphertext")
	b.Trailer.decode(r)
}

// DevicePeer maps a device to its libp2p peer and addresses (type 14,
// A or C). A register: larger Seq wins, tie → smaller H(body).
// Identity (Author, SignerKey, PeerID).
type DevicePeer struct {
	PeerID []byte
	Addrs  [][]byte
	Seq    uint64
	Trailer
}

func (*DevicePeer) Type() uint16 { return TypeDevicePeer }

func (b *DevicePeer) Canonical() []byte {
	var e canon.Encoder
	e.LP(b.PeerID).Count(len(b.Addrs))
	for _, a := range b.Addrs {
		e.LP(a)
	}
	e.U64(b.Seq)
	b.encode(&e)
	return e.Bytes()
}

func (b *DevicePeer) decode(r *reader) {
	b.PeerID = r.lp("peer id")
	n := r.count(1, "addrs")
	for i := 0; i < n && r.err == nil; i++ {
		b.Addrs = append(b.Addrs, r.lp("addr"))
	}
	b.Seq = r.u64("seq")
	b.Trailer.decode(r)
}

func (b *DevicePeer) identity() []byte { return cat(b.Author[:], b.SignerKey[:], b.PeerID) }

// SignedOpaque is a signed body whose payload this package does not
// interpret yet: Descriptor (§8), DescriptorRevoked, ChannelEstablished.
// Payload is every byte before the trailer. Identity = body.
type SignedOpaque struct {
	T       uint16
	Payload []byte
	Trailer
}

func (b *SignedOpaque) Type() uint16 { return b.T }

func (b *SignedOpaque) Canonical() []byte {
	var e canon.Encoder
	e.Raw(b.Payload)
	b.encode(&e)
	return e.Bytes()
}

// Opaque is a known but not-yet-interpreted unsigned body (Commit,
// Equivocation: their signatures depend on reduced state, §5.8).
type Opaque struct {
	T    uint16
	Data []byte
}

func (b *Opaque) Type() uint16      { return b.T }
func (b *Opaque) Canonical() []byte { return append([]byte{}, b.Data...) }
