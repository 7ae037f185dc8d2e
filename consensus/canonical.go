package consensus

import (
	"encoding/binary"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Hash tags (SPEC §2, §5.2, §5.6).
const (
	tagOp       = "aura/op/v1"
	tagCID      = "aura/consensus-id/v1"
	tagRID      = "aura/rid/v1"
	tagVote     = "aura/vote/v1"
	tagCommit   = "aura/commitment/v1"
	tagPkg      = "aura/pkg/v1"
	tagAggShare = "aura/aggshare/v1"
	tagT        = "aura/consensus-commit/v1"
	tagFbFor    = "aura/fb-for/v1"
	tagFbRank   = "aura/fallback-rank/v1"
	tagFbOrder  = "aura/fallback-order/v1"
)

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// DefaultOpHash is H("aura/op/v1", op) for ops without signatures.
func DefaultOpHash(op []byte) [32]byte { return canon.H(tagOp, op) }

// OpHashOf uses sc's OpHasher when it has one.
func OpHashOf(sc Scope, op []byte) ([32]byte, error) {
	if h, ok := sc.(OpHasher); ok {
		return h.OpHash(op)
	}
	return DefaultOpHash(op), nil
}

// CIDOf is H("aura/consensus-id/v1", prestateHash, opHash, u64 nonce).
func CIDOf(pre, opHash [32]byte, nonce uint64) [32]byte {
	return canon.H(tagCID, pre[:], opHash[:], u64(nonce))
}

// RIDOf is H("aura/rid/v1", prestateHash, opHash, postStateCommitment).
func RIDOf(pre, opHash, post [32]byte) [32]byte {
	return canon.H(tagRID, pre[:], opHash[:], post[:])
}

// Transcript is T = H("aura/consensus-commit/v1", Scope, CID,
// PrestateHash, OpHash, RID, u16 t, GroupKey, u64 KeyEpoch) (SPEC §5.2).
func Transcript(ns journal.Namespace, cid, pre, opHash, rid [32]byte, t uint16, gk [32]byte, keyEpoch uint64) []byte {
	h := canon.H(tagT, ns.Bytes(), cid[:], pre[:], opHash[:], rid[:], u16(t), gk[:], u64(keyEpoch))
	return h[:]
}

// PackageID is H("aura/pkg/v1", CID, T, Commitments…).
func PackageID(cid [32]byte, T []byte, commitments [][]byte) [32]byte {
	parts := append([][]byte{cid[:], T}, commitments...)
	return canon.H(tagPkg, parts...)
}

func fbFor(cid [32]byte, r uint32) [32]byte { return canon.H(tagFbFor, cid[:], u32(r)) }

func fbRank(cid [32]byte, r uint32, w WitnessID) [32]byte {
	return canon.H(tagFbRank, cid[:], u32(r), w[:])
}

func fbOrder(cid [32]byte, w WitnessID) [32]byte { return canon.H(tagFbOrder, cid[:], w[:]) }

// initiatorFor is the fast-path For value: the initiator's id zero-padded.
func initiatorFor(w WitnessID) [32]byte {
	var f [32]byte
	copy(f[:], w[:])
	return f
}

// voteSize is the canonical size of a Vote.
const voteSize = 32*3 + 16 + 8 + 64

func (v *Vote) encode(e *canon.Encoder) {
	e.Raw(v.CID[:]).Raw(v.PrestateHash[:]).Raw(v.RID[:]).Raw(v.Witness[:]).U64(v.KeyEpoch).Raw(v.Sig[:])
}

// Canonical is CID ‖ PrestateHash ‖ RID ‖ Witness ‖ u64 KeyEpoch ‖ Sig.
func (v *Vote) Canonical() []byte {
	var e canon.Encoder
	v.encode(&e)
	return e.Bytes()
}

// SigningHash is H("aura/vote/v1", CID, PrestateHash, RID, Witness, KeyEpoch).
func (v *Vote) SigningHash() [32]byte {
	return canon.H(tagVote, v.CID[:], v.PrestateHash[:], v.RID[:], v.Witness[:], u64(v.KeyEpoch))
}

// SigningHash is H("aura/commitment/v1", Witness, KeyEpoch, Gen, For, Commitment).
func (c *SignedCommitment) SigningHash() [32]byte {
	return canon.H(tagCommit, c.Witness[:], u64(c.KeyEpoch), u64(c.Gen), c.For[:], c.Commitment)
}

func (c *SignedCommitment) encode(e *canon.Encoder) {
	e.Raw(c.Witness[:]).U64(c.KeyEpoch).U64(c.Gen).Raw(c.For[:]).LP(c.Commitment).Raw(c.Sig[:])
}

// Canonical is Witness ‖ KeyEpoch ‖ Gen ‖ For ‖ lp(Commitment) ‖ Sig.
func (c *SignedCommitment) Canonical() []byte {
	var e canon.Encoder
	c.encode(&e)
	return e.Bytes()
}

// Canonical is Vote1 ‖ Vote2: the Equivocation fact body (SPEC §3 type 3).
func (p *EquivocationProof) Canonical() []byte {
	var e canon.Encoder
	p.Vote1.encode(&e)
	p.Vote2.encode(&e)
	return e.Bytes()
}

// id identifies a proof independent of vote order.
func (p *EquivocationProof) id() [32]byte {
	a, b := p.Vote1.Canonical(), p.Vote2.Canonical()
	if string(b) < string(a) {
		a, b = b, a
	}
	return canon.H("aura/h/v1", a, b)
}

// Fact returns the Equivocation fact of the proof.
func (p *EquivocationProof) Fact(ns journal.Namespace) journal.Fact {
	return journal.Fact{NS: ns, Type: journal.TypeEquivocation, Schema: journal.SchemaV1, Body: p.Canonical()}
}

// SigningHash is H("aura/aggshare/v1", CID, u32 Round, Witness, Votes,
// Commitments, Shares, Evidence): each list one part.
func (a *AggregateShare) SigningHash() [32]byte {
	var votes, cms, shs, ev canon.Encoder
	votes.Count(len(a.Votes))
	for i := range a.Votes {
		a.Votes[i].encode(&votes)
	}
	cms.Count(len(a.Commitments))
	for i := range a.Commitments {
		cms.LP(a.Commitments[i].Canonical())
	}
	shs.Count(len(a.Shares))
	for _, s := range a.Shares {
		var x canon.Encoder
		x.Raw(s.PackageID[:]).LP(s.Share)
		shs.LP(x.Bytes())
	}
	ev.Count(len(a.Evidence))
	for i := range a.Evidence {
		ev.Raw(a.Evidence[i].Canonical())
	}
	return canon.H(tagAggShare, a.CID[:], u32(a.Round), a.Witness[:], votes.Bytes(), cms.Bytes(), shs.Bytes(), ev.Bytes())
}

// Canonical is the Commit fact body: CID ‖ PrestateHash ‖ OpHash ‖ RID ‖
// u64 Nonce ‖ lp(Op) ‖ u8 Kind ‖ NS ID ‖ u64 KeyEpoch ‖ u16 Threshold ‖
// uvarint count ‖ u16 Signers… ‖ Signature ‖ u8 Path.
func (f *CommitFact) Canonical() []byte {
	var e canon.Encoder
	e.Raw(f.CID[:]).Raw(f.PrestateHash[:]).Raw(f.OpHash[:]).Raw(f.RID[:]).U64(f.Nonce).LP(f.Op)
	e.U8(uint8(f.Scope.Kind)).Raw(f.Scope.ID[:]).U64(f.KeyEpoch).U16(f.Threshold)
	e.Count(len(f.Signers))
	for _, s := range f.Signers {
		e.U16(s)
	}
	e.Raw(f.Signature[:]).U8(f.Path)
	return e.Bytes()
}

// Fact returns the journal Commit fact.
func (f *CommitFact) Fact() journal.Fact {
	return journal.Fact{NS: f.Scope, Type: journal.TypeCommit, Schema: journal.SchemaV1, Body: f.Canonical()}
}

// FactID is the Commit's FactID over (cid, prestateHash, rid) (SPEC §3).
func (f *CommitFact) FactID() journal.FactID {
	id := make([]byte, 0, 96)
	id = append(append(append(id, f.CID[:]...), f.PrestateHash[:]...), f.RID[:]...)
	return journal.ComputeFactID(f.Scope, journal.TypeCommit, journal.SchemaV1, id)
}
