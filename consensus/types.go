package consensus

import (
	"crypto/ed25519"

	"github.com/aura-p2p/aura-p2p/journal"
)

// WitnessID names a committee member: a DeviceId (authority scope) or an
// AuthorityId (context scope), SPEC §5.1.
type WitnessID [16]byte

// Member is one committee member (SPEC §5.1).
type Member struct {
	Witness WitnessID
	FrostID uint16
	VoteKey [32]byte // Ed25519 public key
}

// Committee is the signing committee of one scope at one key epoch
// (SPEC §5.1). Members are sorted by Witness.
type Committee struct {
	Scope     journal.Namespace
	KeyEpoch  uint64
	Threshold uint16
	GroupKey  [32]byte
	Members   []Member
}

// Member returns the member with id w.
func (c *Committee) Member(w WitnessID) (Member, bool) {
	for _, m := range c.Members {
		if m.Witness == w {
			return m, true
		}
	}
	return Member{}, false
}

// N is the number of members.
func (c *Committee) N() int { return len(c.Members) }

// Scope is one namespace's reduced state, snapshotted; pure (SPEC §5.1).
type Scope interface {
	Committee() Committee
	// PrestateHash is the §2 prestate hash of this state.
	PrestateHash() [32]byte
	// Execute returns the post-state commitment for rid (§2), or an error
	// wrapping ErrInvalidOp if op is invalid here.
	Execute(op []byte) (post [32]byte, err error)
}

// OpHasher may be implemented by a Scope whose ops carry signatures: OpHash
// is H("aura/op/v1", op without signatures) (SPEC §2). Without it the core
// uses H("aura/op/v1", op).
type OpHasher interface {
	OpHash(op []byte) ([32]byte, error)
}

// Vote is a witness's signed vote for one rid (SPEC §5.2).
type Vote struct {
	CID, PrestateHash, RID [32]byte
	Witness                WitnessID
	KeyEpoch               uint64
	Sig                    [64]byte
}

// SignedCommitment is a FROST nonce commitment issued For one initiator
// (fast path) or one (CID, round) (fallback), SPEC §5.2.
type SignedCommitment struct {
	Witness       WitnessID
	KeyEpoch, Gen uint64
	For           [32]byte
	Commitment    []byte // 75 B
	Sig           [64]byte
}

// SigningPackage is a FROST signing package: commitments in ascending
// signer order (SPEC §5.2).
type SigningPackage struct {
	Signers     []uint16
	Commitments [][]byte
}

// PackageShare is one signature share on one package (SPEC §5.2).
type PackageShare struct {
	PackageID [32]byte
	Share     []byte // 35 B
}

// EquivocationProof is two valid votes by one witness for one
// (cid, prestateHash) with different rids (SPEC §5.7).
type EquivocationProof struct{ Vote1, Vote2 Vote }

// AggregateShare is a witness's signed fallback state for one round
// (SPEC §5.2, §5.6).
type AggregateShare struct {
	CID         [32]byte
	Round       uint32
	Witness     WitnessID
	Votes       []Vote
	Commitments []SignedCommitment
	Shares      []PackageShare
	Evidence    []EquivocationProof
	Sig         [64]byte
}

// Path values of CommitFact (SPEC §5.2).
const (
	PathFast1    uint8 = 1
	PathFast2    uint8 = 2
	PathFallback uint8 = 3
)

// CommitFact is the body of a Commit fact (SPEC §5.2, §3 type 2).
type CommitFact struct {
	CID, PrestateHash, OpHash, RID [32]byte
	Nonce                          uint64
	Op                             []byte
	Scope                          journal.Namespace
	KeyEpoch                       uint64
	Threshold                      uint16
	Signers                        []uint16
	Signature                      [64]byte
	Path                           uint8
}

// VoteRecord is one vote-log entry: the rid this node voted for
// (cid, prestateHash). Persisted at /aura/c/vote/<cid>/<pre> (SPEC §3).
type VoteRecord struct {
	CID, PrestateHash, RID [32]byte
}

func signHash(priv ed25519.PrivateKey, h [32]byte) [64]byte {
	return [64]byte(ed25519.Sign(priv, h[:]))
}

func verifyHash(pub [32]byte, h [32]byte, sig [64]byte) bool {
	return ed25519.Verify(pub[:], h[:], sig[:])
}
