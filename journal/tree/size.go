package tree

import (
	"errors"
	"fmt"

	"github.com/aura-p2p/aura-p2p/internal/seal"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// ErrOpTooLarge reports an op whose Commit fact would exceed
// journal.MaxFactSize or whose consensus Commit frame would exceed
// protocols.MaxConsensusFrame (SPEC §10): a KeyRotation carries N
// DKGRound1 messages of t commitments each, so it grows as N·t.
// Ceremonies refuse such a change before its DKG runs (CheckCommitSize).
var ErrOpTooLarge = errors.New("tree: commit too large")

// Element sizes of the canonical encodings (SPEC §0), fixed per element.
const (
	// SealedSecretSize is one SealedSecrets value as ceremonies build it:
	// Seal of the 32-byte AuthoritySecret.
	SealedSecretSize = 32 + seal.Overhead
	// leafSize is u32 ID ‖ Device ‖ u8 Role ‖ DeviceKey ‖ DHKey ‖ u16 FrostID.
	leafSize = 4 + 16 + 1 + 32 + 32 + 2
	// round1Fixed is a DKGRound1 without its commitments and their count:
	// u8 kind ‖ sid ‖ u16 from ‖ R ‖ μ ‖ Sig.
	round1Fixed = 1 + 32 + 2 + 32 + 32 + sigSize
	// commitFixed is the Commit body without lp(Op) and the Signers list:
	// CID ‖ PrestateHash ‖ OpHash ‖ RID ‖ u64 Nonce ‖ u8 Kind ‖ NS ID ‖
	// u64 KeyEpoch ‖ u16 Threshold ‖ Signature ‖ u8 Path.
	commitFixed = 4*32 + 8 + 1 + 16 + 8 + 2 + 64 + 1
	// factHeader is u8 kind ‖ NS ID ‖ u16 type ‖ u16 schema.
	factHeader = 1 + 16 + 2 + 2
	// EvidenceReserve is the room kept in a consensus frame beside the
	// Commit fact for its Equivocation evidence (and, for the Execute
	// that carries the op, the signing packages).
	EvidenceReserve = 16 << 10
)

// ulen is the length of the uvarint encoding of a count or length.
func ulen(v int) int { return uvarintLen(uint64(v)) }

// lpLen is the length of lp(b) for len(b) = n.
func lpLen(n int) int { return ulen(n) + n }

// Round1Size is the canonical size of one signed DKGRound1 with t
// Feldman commitments.
func Round1Size(t int) int { return round1Fixed + ulen(t) + 32*t }

// RotationSize is the exact canonical size (KeyRotation.Canonical) of the
// NewKey a ceremony builds for n resulting members at threshold t: the
// DKG form (n Round1 of t commitments, n Confirms), or the single-device
// form for n = t = 1 (no DKG data). Each SealedSecrets value is
// SealedSecretSize bytes.
func RotationSize(n, t int) int {
	size := 32 + 8 + 32 + 32                        // GroupKey, KeyEpoch, DKGNonce, DKGTranscriptHash
	size += ulen(n) + n*(2+32)                      // VerShares
	size += ulen(n) + n*(4+2)                       // FrostIDs
	size += ulen(n) + n*(4+lpLen(SealedSecretSize)) // SealedSecrets
	r1, confirms := 0, 0
	if n != 1 || t != 1 {
		r1, confirms = n, n
	}
	size += ulen(r1) + r1*lpLen(Round1Size(t))
	size += ulen(confirms) + confirms*sigSize
	return size
}

// opSizeWithoutKey is len(op.Canonical()) with NewKey absent.
func opSizeWithoutKey(op *TreeOp) int {
	size := 8 + 32 + 2 + 1 + 1 + 1 + 1 + 1 // epoch, root, version, kind, opt Add, reason, opt policy, opt key
	if op.Add != nil {
		size += leafSize
	}
	size += ulen(len(op.Remove)) + 4*len(op.Remove)
	if op.NewPolicy != nil {
		size += 4
	}
	return size
}

// CommitFactSize is the exact size of the canonical journal Commit fact
// (consensus.CommitFact.Fact().Canonical()) carrying op once its NewKey
// is the rotation RotationSize(n, t) describes, decided by signers
// members of the parent committee (its threshold M). Any NewKey already
// set on op is ignored: ceremonies call it before the DKG.
func CommitFactSize(op *TreeOp, n, t, signers int) int {
	opSize := opSizeWithoutKey(op) + RotationSize(n, t)
	body := commitFixed + lpLen(opSize) + ulen(signers) + 2*signers
	return factHeader + lpLen(body)
}

// CommitFrameSize is the size of the consensus Commit frame (protobuf
// ConsensusFrame{commit: Commit{fact}}, no evidence) carrying a Commit
// fact of factSize bytes: two length-delimited fields, one-byte tags.
func CommitFrameSize(factSize int) int {
	commit := 1 + lpLen(factSize)
	return 1 + lpLen(commit)
}

// CommitLimit is the largest Commit fact that fits both caps:
// journal.MaxFactSize, and protocols.MaxConsensusFrame less
// EvidenceReserve for its frame.
func CommitLimit() int {
	limit := journal.MaxFactSize
	for limit > 0 && CommitFrameSize(limit)+EvidenceReserve > protocols.MaxConsensusFrame {
		limit--
	}
	return limit
}

// CheckCommitSize returns an error wrapping ErrOpTooLarge, naming N, M
// and the limit, when the Commit of op (NewKey for n members at
// threshold t, signers parent signers) would not fit CommitLimit.
func CheckCommitSize(op *TreeOp, n, t, signers int) error {
	size, limit := CommitFactSize(op, n, t, signers), CommitLimit()
	if size <= limit {
		return nil
	}
	return fmt.Errorf("%w: N=%d M=%d needs a %d-byte Commit fact, limit %d bytes (largest N at M=%d: %d)",
		ErrOpTooLarge, n, t, size, limit, t, MaxMembers(t))
}

// WorstCommitFactSize is the largest CommitFactSize over every op shape
// that results in n members at threshold t: an AddLeaf or a RemoveLeaf of
// every leaf beyond n (up to MaxDevices), with a NewPolicy, signed by
// MaxDevices signers.
func WorstCommitFactSize(n, t int) int {
	add := &TreeOp{Add: &Leaf{}, NewPolicy: &Policy{}}
	rm := &TreeOp{Remove: make([]LeafID, max(MaxDevices-n, 0)), NewPolicy: &Policy{}}
	return max(CommitFactSize(add, n, t, MaxDevices), CommitFactSize(rm, n, t, MaxDevices))
}

// Fits reports whether every op with a NewKey for n members at threshold
// t has a Commit that fits CommitLimit (WorstCommitFactSize).
func Fits(n, t int) bool { return WorstCommitFactSize(n, t) <= CommitLimit() }

// MaxMembers is the largest n ≤ MaxDevices such that Fits(n, t), or 0
// when no n ≥ t fits. The size grows with n, so every n in [t,
// MaxMembers(t)] fits.
func MaxMembers(t int) int {
	best := 0
	for n := max(t, 1); n <= MaxDevices; n++ {
		if !Fits(n, t) {
			break
		}
		best = n
	}
	return best
}
