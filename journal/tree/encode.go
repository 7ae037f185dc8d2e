package tree

import (
	"bytes"
	"encoding/binary"
	"maps"
	"slices"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Hash tags (SPEC §2, §4).
const (
	tagLeaf      = "aura/tree/leaf/v1"
	tagRoot      = "aura/tree/root/v1"
	tagVerShares = "aura/tree/vershares/v1"
	tagOp        = "aura/op/v1"
	tagPrestate  = "aura/prestate/v1"
	tagAuthority = "aura/authority-id/v1"
)

// sigSize is an Ed25519 signature, the trailer of every DKGRound1.
const sigSize = 64

func (p Policy) encode(e *canon.Encoder) { e.U16(p.M).U16(p.N) }

// Canonical is u16 M ‖ u16 N.
func (p Policy) Canonical() []byte {
	var e canon.Encoder
	p.encode(&e)
	return e.Bytes()
}

func (l *Leaf) encode(e *canon.Encoder) {
	e.U32(uint32(l.ID)).Raw(l.Device[:]).U8(l.Role).Raw(l.DeviceKey[:]).Raw(l.DHKey[:]).U16(l.FrostID)
}

// Canonical is u32 ID ‖ Device ‖ u8 Role ‖ DeviceKey ‖ DHKey ‖ u16 FrostID
// (the journal's Genesis leaf encoding).
func (l *Leaf) Canonical() []byte {
	var e canon.Encoder
	l.encode(&e)
	return e.Bytes()
}

// LeafC is leafC = H("aura/tree/leaf/v1", Leaf).
func LeafC(l *Leaf) [32]byte { return canon.H(tagLeaf, l.Canonical()) }

// encode writes the KeyRotation in declared field order, maps sorted by
// key. signed=false gives the form hashed into OpHash: each Round1
// element without its trailing Sig and no Confirms list (SPEC §2).
func (k *KeyRotation) encode(e *canon.Encoder, signed bool) {
	e.Raw(k.GroupKey[:])
	encodeVerShares(e, k.VerShares)
	e.U64(k.KeyEpoch).Count(len(k.FrostIDs))
	for _, l := range sortedKeys(k.FrostIDs) {
		e.U32(uint32(l)).U16(k.FrostIDs[l])
	}
	e.Raw(k.DKGNonce[:]).Count(len(k.Round1))
	for _, m := range k.Round1 {
		if !signed && len(m) >= sigSize {
			m = m[:len(m)-sigSize]
		}
		e.LP(m)
	}
	e.Raw(k.DKGTranscriptHash[:])
	if signed {
		e.Count(len(k.Confirms))
		for _, c := range k.Confirms {
			e.Raw(c[:])
		}
	}
	e.Count(len(k.SealedSecrets))
	for _, l := range sortedKeys(k.SealedSecrets) {
		e.U32(uint32(l)).LP(k.SealedSecrets[l])
	}
}

func encodeVerShares(e *canon.Encoder, vs map[uint16][32]byte) {
	e.Count(len(vs))
	for _, id := range sortedKeys(vs) {
		v := vs[id]
		e.U16(id).Raw(v[:])
	}
}

// Canonical is the full encoding, signatures included (the journal's
// Genesis KeyRotation encoding).
func (k *KeyRotation) Canonical() []byte {
	var e canon.Encoder
	k.encode(&e, true)
	return e.Bytes()
}

func (op *TreeOp) encode(e *canon.Encoder, signed bool) {
	e.U64(op.ParentEpoch).Raw(op.ParentRoot[:]).U16(op.Version).U8(op.Kind)
	e.Opt(op.Add != nil)
	if op.Add != nil {
		op.Add.encode(e)
	}
	e.Count(len(op.Remove))
	for _, id := range op.Remove {
		e.U32(uint32(id))
	}
	e.U8(op.Reason).Opt(op.NewPolicy != nil)
	if op.NewPolicy != nil {
		op.NewPolicy.encode(e)
	}
	e.Opt(op.NewKey != nil)
	if op.NewKey != nil {
		op.NewKey.encode(e, signed)
	}
}

// Canonical is u64 ParentEpoch ‖ ParentRoot ‖ u16 Version ‖ u8 Kind ‖
// opt Add ‖ Remove list (u32) ‖ u8 Reason ‖ opt NewPolicy ‖ opt NewKey:
// the bytes carried in CommitFact.Op.
func (op *TreeOp) Canonical() []byte {
	var e canon.Encoder
	op.encode(&e, true)
	return e.Bytes()
}

// Unsigned is the op without signatures: Canonical with every
// DKGRound1.Sig and the Confirms list omitted (SPEC §2).
func (op *TreeOp) Unsigned() []byte {
	var e canon.Encoder
	op.encode(&e, false)
	return e.Bytes()
}

// OpHash is H("aura/op/v1", op without signatures) (SPEC §2).
func (op *TreeOp) OpHash() [32]byte { return canon.H(tagOp, op.Unsigned()) }

// Canonical encodes the whole state: u64 Epoch ‖ Root ‖ Policy ‖ Leaves
// list ‖ GroupKey ‖ VerShares list ‖ u64 KeyEpoch ‖ u32 NextLeafId.
func (s *TreeState) Canonical() []byte {
	var e canon.Encoder
	e.U64(s.Epoch).Raw(s.Root[:])
	s.Policy.encode(&e)
	e.Count(len(s.Leaves))
	for i := range s.Leaves {
		s.Leaves[i].encode(&e)
	}
	e.Raw(s.GroupKey[:])
	encodeVerShares(&e, s.VerShares)
	e.U64(s.KeyEpoch).U32(s.NextLeafId)
	return e.Bytes()
}

// ComputeRoot is Root = H("aura/tree/root/v1", u64 epoch, H(policy),
// groupKey, u64 keyEpoch, u32 nextLeafId, H("aura/tree/vershares/v1",
// sorted (u16 frostId, verShare)…), sorted leafC…). Tuples are flattened:
// each element is one part. It reads every field but Root.
func (s *TreeState) ComputeRoot() [32]byte {
	pol := canon.HPlain(s.Policy.Canonical())
	vparts := make([][]byte, 0, 2*len(s.VerShares))
	for _, id := range sortedKeys(s.VerShares) {
		v := s.VerShares[id]
		vparts = append(vparts, be16(id), v[:])
	}
	vs := canon.H(tagVerShares, vparts...)
	leaves := make([][]byte, len(s.Leaves))
	for i := range s.Leaves {
		c := LeafC(&s.Leaves[i])
		leaves[i] = c[:]
	}
	slices.SortFunc(leaves, bytes.Compare)
	parts := append([][]byte{be64(s.Epoch), pol[:], s.GroupKey[:], be64(s.KeyEpoch),
		be32(s.NextLeafId), vs[:]}, leaves...)
	return canon.H(tagRoot, parts...)
}

// PrestateHash is the authority-scope prestate hash (SPEC §2):
// H("aura/prestate/v1", u32 1, AuthorityId, Root, zero ctx commitment),
// the pair flattened into two parts.
func PrestateHash(auth journal.AuthorityID, root [32]byte) [32]byte {
	var zero [32]byte
	return canon.H(tagPrestate, be32(1), auth[:], root[:], zero[:])
}

// AuthorityIDOf is Trunc16(H("aura/authority-id/v1", genesisGroupKey,
// genesisNonce32)) (SPEC §2).
func AuthorityIDOf(groupKey, nonce [32]byte) journal.AuthorityID {
	return journal.AuthorityID(canon.Trunc16(canon.H(tagAuthority, groupKey[:], nonce[:])))
}

// DeviceIDOf is Trunc16(H("aura/device-id/v1", deviceKey)) (SPEC §2).
func DeviceIDOf(deviceKey [32]byte) journal.DeviceID {
	return journal.DeviceID(canon.Trunc16(canon.H("aura/device-id/v1", deviceKey[:])))
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func sortedKeys[K ~uint16 | ~uint32, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
