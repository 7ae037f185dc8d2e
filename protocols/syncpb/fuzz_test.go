package syncpb_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/aura-p2p/aura-p2p/protocols/internal/prototest"
	pb "github.com/aura-p2p/aura-p2p/protocols/syncpb"
)

var fill = prototest.Filled

// samples holds one plausible frame of every kind (SPEC §9 sizes).
func samples() []proto.Message {
	rcpt := fill(196, 0x52)
	frame := func(b any) *pb.SyncFrame {
		f := &pb.SyncFrame{}
		switch b := b.(type) {
		case *pb.Hello:
			f.Body = &pb.SyncFrame_Hello{Hello: b}
		case *pb.HelloAck:
			f.Body = &pb.SyncFrame_HelloAck{HelloAck: b}
		case *pb.Symbols:
			f.Body = &pb.SyncFrame_Symbols{Symbols: b}
		case *pb.More:
			f.Body = &pb.SyncFrame_More{More: b}
		case *pb.Done:
			f.Body = &pb.SyncFrame_Done{Done: b}
		case *pb.Full:
			f.Body = &pb.SyncFrame_Full{Full: b}
		case *pb.Ids:
			f.Body = &pb.SyncFrame_Ids{Ids: b}
		case *pb.Want:
			f.Body = &pb.SyncFrame_Want{Want: b}
		case *pb.Facts:
			f.Body = &pb.SyncFrame_Facts{Facts: b}
		case *pb.End:
			f.Body = &pb.SyncFrame_End{End: b}
		}
		return f
	}
	return []proto.Message{
		frame(&pb.Hello{NonceI: fill(16, 1), Ref: fill(16, 2), BoxI: fill(512+16, 3)}),
		frame(&pb.HelloAck{Ack: fill(16, 4), BoxR: fill(512+16, 5)}),
		frame(&pb.Symbols{First: 256, Syms: fill(4*42, 6), Receipt: rcpt}),
		frame(&pb.More{Credit: 512, Receipt: rcpt}),
		frame(&pb.Done{Received: 300, Receipt: rcpt}),
		frame(&pb.Full{Receipt: rcpt}),
		frame(&pb.Ids{Ids: fill(3*32, 7), Receipt: rcpt}),
		frame(&pb.Want{Ids: fill(2*32, 8)}),
		frame(&pb.Facts{Entries: [][]byte{fill(40, 9), fill(100, 10)}, Receipt: rcpt}),
		frame(&pb.End{}),
	}
}

func TestSamplesCoverEveryFrameKind(t *testing.T) {
	prototest.CoverOneofs(t, samples())
}

// FuzzSyncFrame decodes arbitrary bytes as a SyncFrame: never a panic, and
// every accepted input round-trips.
func FuzzSyncFrame(f *testing.F) {
	for _, m := range samples() {
		f.Add(prototest.Encode(f, m))
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f}) // huge declared length
	f.Add([]byte{0x0a, 0x02, 0x0a})                   // truncated nested
	f.Fuzz(func(t *testing.T, data []byte) {
		prototest.RoundTrip(t, data, func() proto.Message { return &pb.SyncFrame{} })
	})
}
