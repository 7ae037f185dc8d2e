package consensuspb_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/aura-p2p/aura-p2p/protocols/consensuspb"
	"github.com/aura-p2p/aura-p2p/protocols/internal/prototest"
)

var fill = prototest.Filled

func vote(b byte) *pb.Vote {
	return &pb.Vote{Cid: fill(32, 1), PrestateHash: fill(32, 2), Rid: fill(32, b), Witness: fill(16, 4), KeyEpoch: 7, Sig: fill(64, 5)}
}

func commitment(b byte) *pb.SignedCommitment {
	return &pb.SignedCommitment{Witness: fill(16, b), KeyEpoch: 7, Gen: 99, For: fill(32, 6), Commitment: fill(75, 7), Sig: fill(64, 8)}
}

func pkg() *pb.SigningPackage {
	return &pb.SigningPackage{Signers: []uint32{1, 3}, Commitments: [][]byte{fill(75, 1), fill(75, 3)}}
}

func evidence() []*pb.EquivocationProof {
	return []*pb.EquivocationProof{{Vote1: vote(3), Vote2: vote(9)}}
}

// samples holds one plausible frame of every kind (SPEC §5.2–5.3 sizes).
func samples() []proto.Message {
	share := &pb.PackageShare{PackageId: fill(32, 1), Share: fill(35, 2)}
	cid := fill(32, 1)
	ctx := func(f *pb.ConsensusFrame) *pb.ConsensusFrame {
		f.Receipt, f.TokenHash = fill(196, 0x52), fill(32, 0x54)
		return f
	}
	return []proto.Message{
		ctx(&pb.ConsensusFrame{Body: &pb.ConsensusFrame_Execute{Execute: &pb.Execute{
			Cid: cid, PrestateHash: fill(32, 2), OpHash: fill(32, 3), Nonce: 42, Op: fill(300, 4),
			Scope: &pb.Namespace{Kind: 2, Id: fill(16, 5)}, KeyEpoch: 7,
			Packages: []*pb.SigningPackage{pkg(), pkg()}, Evidence: evidence()}}}),
		&pb.ConsensusFrame{Body: &pb.ConsensusFrame_FetchExecute{FetchExecute: &pb.GetExecute{Cid: cid}}},
		&pb.ConsensusFrame{Body: &pb.ConsensusFrame_NonceCommit{NonceCommit: &pb.NonceCommit{Cid: cid, Commitment: commitment(1)}}},
		&pb.ConsensusFrame{Body: &pb.ConsensusFrame_SignRequest{SignRequest: &pb.SignRequest{Cid: cid, Package: pkg()}}},
		&pb.ConsensusFrame{Body: &pb.ConsensusFrame_SignShare{SignShare: &pb.SignShare{Cid: cid, Vote: vote(3),
			Shares: []*pb.PackageShare{share}, Next: []*pb.SignedCommitment{commitment(2)}, KeyEpoch: 7}}},
		&pb.ConsensusFrame{Body: &pb.ConsensusFrame_StateMismatch{StateMismatch: &pb.StateMismatch{Cid: cid, Expected: fill(32, 2), Actual: fill(32, 3)}}},
		&pb.ConsensusFrame{Body: &pb.ConsensusFrame_Conflict{Conflict: &pb.Conflict{Cid: cid, Votes: []*pb.Vote{vote(3), vote(4)}, Evidence: evidence()}}},
		&pb.ConsensusFrame{Body: &pb.ConsensusFrame_Commit{Commit: &pb.Commit{Fact: fill(500, 9)}}},
		&pb.ConsensusFrame{Body: &pb.ConsensusFrame_CommitmentAnnounce{CommitmentAnnounce: &pb.CommitmentAnnounce{KeyEpoch: 7,
			Commitments: []*pb.SignedCommitment{commitment(1), commitment(2)}}}},
		&pb.ConsensusFrame{Body: &pb.ConsensusFrame_AggregateShare{AggregateShare: &pb.AggregateShare{Cid: cid, Round: 3, Witness: fill(16, 4),
			Votes: []*pb.Vote{vote(3)}, Commitments: []*pb.SignedCommitment{commitment(4)},
			Shares: []*pb.PackageShare{share}, Evidence: evidence(), Sig: fill(64, 5)}}},
	}
}

func TestSamplesCoverEveryFrameKind(t *testing.T) { prototest.CoverOneofs(t, samples()) }

// FuzzConsensusFrame decodes arbitrary bytes as a ConsensusFrame: never a
// panic, and every accepted input round-trips.
func FuzzConsensusFrame(f *testing.F) {
	for _, m := range samples() {
		f.Add(prototest.Encode(f, m))
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{0x52, 0x04, 0x22, 0x02, 0x0a, 0x00}) // nested AggregateShare.votes
	f.Fuzz(func(t *testing.T, data []byte) {
		prototest.RoundTrip(t, data, func() proto.Message { return &pb.ConsensusFrame{} })
	})
}
