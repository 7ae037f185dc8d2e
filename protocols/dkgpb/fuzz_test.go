package dkgpb_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/aura-p2p/aura-p2p/protocols/dkgpb"
	"github.com/aura-p2p/aura-p2p/protocols/internal/prototest"
)

var fill = prototest.Filled

// samples holds one plausible frame of every kind (SPEC §4, §4.1 sizes).
func samples() []proto.Message {
	sid := fill(32, 1)
	members := []*pb.DKGMember{
		{Id: fill(16, 1), FrostId: 1, SignKey: fill(32, 2), DhKey: fill(32, 3)},
		{Id: fill(16, 4), FrostId: 2, SignKey: fill(32, 5), DhKey: fill(32, 6)},
	}
	return []proto.Message{
		&pb.DKGFrame{Body: &pb.DKGFrame_Start{Start: &pb.DKGStart{Sid: sid, KeyEpoch: 3, ParentEpoch: 9,
			ParentRoot: fill(32, 2), T: 2, Members: members, DkgNonce: fill(32, 3), Sig: fill(64, 4)}}},
		&pb.DKGFrame{Body: &pb.DKGFrame_Round1{Round1: &pb.DKGRound1{Sid: sid, From: 1,
			Commitments: [][]byte{fill(32, 5), fill(32, 6)}, R: fill(32, 7), Mu: fill(32, 8), Sig: fill(64, 9)}}},
		&pb.DKGFrame{Body: &pb.DKGFrame_Round2{Round2: &pb.DKGRound2{Sid: sid, From: 1, To: 2, Share: fill(32, 10), Sig: fill(64, 11)}}},
		&pb.DKGFrame{Body: &pb.DKGFrame_Confirm{Confirm: &pb.DKGConfirm{Sid: sid, TranscriptHash: fill(32, 12), Sig: fill(64, 13)}},
			Receipt: fill(196, 0x52), TokenHash: fill(32, 0x54)},
	}
}

func TestSamplesCoverEveryFrameKind(t *testing.T) { prototest.CoverOneofs(t, samples()) }

// FuzzDKGFrame decodes arbitrary bytes as a DKGFrame: never a panic, and
// every accepted input round-trips.
func FuzzDKGFrame(f *testing.F) {
	for _, m := range samples() {
		f.Add(prototest.Encode(f, m))
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		prototest.RoundTrip(t, data, func() proto.Message { return &pb.DKGFrame{} })
	})
}
