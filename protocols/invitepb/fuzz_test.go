package invitepb_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/aura-p2p/aura-p2p/protocols/internal/prototest"
	pb "github.com/aura-p2p/aura-p2p/protocols/invitepb"
)

var fill = prototest.Filled

// samples holds one plausible frame of every kind (SPEC §4.1, §7.1 sizes).
func samples() []proto.Message {
	return []proto.Message{
		&pb.InviteFrame{Body: &pb.InviteFrame_JoinRequest{JoinRequest: &pb.JoinRequest{
			DeviceKey: fill(32, 1), DhKey: fill(32, 2), PeerId: fill(38, 3), Mac: fill(32, 4)}}},
		&pb.InviteFrame{Body: &pb.InviteFrame_InviteAccept{InviteAccept: &pb.InviteAccept{
			ContextId: fill(16, 5),
			Member:    &pb.MemberKeys{AuthorityId: fill(16, 6), SignKey: fill(32, 7), DhKey: fill(32, 8), Sig: fill(64, 9)},
			EphX25519: fill(32, 10), Mac: fill(32, 11)}}},
		&pb.InviteFrame{Body: &pb.InviteFrame_JoinResult{JoinResult: &pb.JoinResult{
			SealedSecret: fill(80, 12), KeyEpoch: 1<<64 - 1}}},
	}
}

func TestSamplesCoverEveryFrameKind(t *testing.T) { prototest.CoverOneofs(t, samples()) }

// FuzzInviteFrame decodes arbitrary bytes as an InviteFrame: never a panic,
// and every accepted input round-trips.
func FuzzInviteFrame(f *testing.F) {
	for _, m := range samples() {
		f.Add(prototest.Encode(f, m))
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		prototest.RoundTrip(t, data, func() proto.Message { return &pb.InviteFrame{} })
	})
}
