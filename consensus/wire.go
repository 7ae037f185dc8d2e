package consensus

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/aura-p2p/aura-p2p/journal"
	pb "github.com/aura-p2p/aura-p2p/protocols/consensuspb"
)

// Wire limits on decoded lists (a 128 KiB frame bounds them anyway).
const (
	maxEvidence = 16
	maxList     = 256
)

// Marshal encodes msg as one ConsensusFrame (receipt and token hash are
// the driver's).
func Marshal(msg Message) ([]byte, error) {
	f, err := ToProto(msg)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(f)
}

// Unmarshal decodes one ConsensusFrame into a typed, shape-checked
// message. Signatures are checked by the core, not here.
func Unmarshal(b []byte) (Message, error) {
	var f pb.ConsensusFrame
	if err := proto.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return FromProto(&f)
}

// ToProto maps msg to its wire form.
func ToProto(msg Message) (*pb.ConsensusFrame, error) {
	f := &pb.ConsensusFrame{}
	switch m := msg.(type) {
	case *Execute:
		f.Body = &pb.ConsensusFrame_Execute{Execute: &pb.Execute{Cid: m.CID[:], PrestateHash: m.PrestateHash[:],
			OpHash: m.OpHash[:], Nonce: m.Nonce, Op: m.Op, Scope: nsPB(m.Scope), KeyEpoch: m.KeyEpoch,
			Packages: mapSlice(m.Packages, pkgPB), Evidence: mapSlice(m.Evidence, proofPB)}}
	case *GetExecute:
		f.Body = &pb.ConsensusFrame_FetchExecute{FetchExecute: &pb.GetExecute{Cid: m.CID[:]}}
	case *NonceCommit:
		f.Body = &pb.ConsensusFrame_NonceCommit{NonceCommit: &pb.NonceCommit{Cid: m.CID[:], Commitment: scPB(m.Commitment)}}
	case *SignRequest:
		f.Body = &pb.ConsensusFrame_SignRequest{SignRequest: &pb.SignRequest{Cid: m.CID[:], Package: pkgPB(m.Package)}}
	case *SignShare:
		f.Body = &pb.ConsensusFrame_SignShare{SignShare: &pb.SignShare{Cid: m.CID[:], Vote: votePB(m.Vote),
			Shares: mapSlice(m.Shares, sharePB), Next: mapSlice(m.Next, scPB), KeyEpoch: m.KeyEpoch,
			Evidence: mapSlice(m.Evidence, proofPB)}}
	case *StateMismatch:
		f.Body = &pb.ConsensusFrame_StateMismatch{StateMismatch: &pb.StateMismatch{Cid: m.CID[:],
			Expected: m.Expected[:], Actual: m.Actual[:], Evidence: mapSlice(m.Evidence, proofPB)}}
	case *Conflict:
		f.Body = &pb.ConsensusFrame_Conflict{Conflict: &pb.Conflict{Cid: m.CID[:], Votes: mapSlice(m.Votes, votePB),
			Evidence: mapSlice(m.Evidence, proofPB)}}
	case *Commit:
		f.Body = &pb.ConsensusFrame_Commit{Commit: &pb.Commit{Fact: m.Fact.Fact().Canonical(), Evidence: mapSlice(m.Evidence, proofPB)}}
	case *CommitmentAnnounce:
		f.Body = &pb.ConsensusFrame_CommitmentAnnounce{CommitmentAnnounce: &pb.CommitmentAnnounce{KeyEpoch: m.KeyEpoch,
			Commitments: mapSlice(m.Commitments, scPB)}}
	case *AggregateShare:
		f.Body = &pb.ConsensusFrame_AggregateShare{AggregateShare: &pb.AggregateShare{Cid: m.CID[:], Round: m.Round,
			Witness: m.Witness[:], Votes: mapSlice(m.Votes, votePB), Commitments: mapSlice(m.Commitments, scPB),
			Shares: mapSlice(m.Shares, sharePB), Evidence: mapSlice(m.Evidence, proofPB), Sig: m.Sig[:]}}
	default:
		return nil, fmt.Errorf("%w: unknown message %T", ErrInvalidMessage, msg)
	}
	return f, nil
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	if len(in) == 0 {
		return nil
	}
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func nsPB(ns journal.Namespace) *pb.Namespace {
	return &pb.Namespace{Kind: uint32(ns.Kind), Id: ns.ID[:]}
}

func votePB(v Vote) *pb.Vote {
	return &pb.Vote{Cid: v.CID[:], PrestateHash: v.PrestateHash[:], Rid: v.RID[:], Witness: v.Witness[:],
		KeyEpoch: v.KeyEpoch, Sig: v.Sig[:]}
}

func scPB(c SignedCommitment) *pb.SignedCommitment {
	return &pb.SignedCommitment{Witness: c.Witness[:], KeyEpoch: c.KeyEpoch, Gen: c.Gen, For: c.For[:],
		Commitment: c.Commitment, Sig: c.Sig[:]}
}

func pkgPB(p SigningPackage) *pb.SigningPackage {
	return &pb.SigningPackage{Signers: mapSlice(p.Signers, func(s uint16) uint32 { return uint32(s) }), Commitments: p.Commitments}
}

func sharePB(s PackageShare) *pb.PackageShare {
	return &pb.PackageShare{PackageId: s.PackageID[:], Share: s.Share}
}

func proofPB(p EquivocationProof) *pb.EquivocationProof {
	return &pb.EquivocationProof{Vote1: votePB(p.Vote1), Vote2: votePB(p.Vote2)}
}
