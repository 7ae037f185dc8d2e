package p2p

import (
	"encoding/hex"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
)

// FallbackTopic is the neighbourhood fallback topic of SPEC §15:
// /aura/fb/1/<hex(Trunc16(H("aura/topic/fb/v1", n)))>.
func FallbackTopic(n string) string {
	return "/aura/fb/1/" + topicHash("aura/topic/fb/v1", n)
}

// RendezvousTopic is the neighbourhood rendezvous topic of SPEC §8/§15:
// /aura/rdv/1/<hex(Trunc16(H("aura/topic/rdv/v1", n)))>.
func RendezvousTopic(n string) string {
	return "/aura/rdv/1/" + topicHash("aura/topic/rdv/v1", n)
}

// RendezvousNamespace is the DHT advertise namespace of SPEC §15:
// aura/rdv/<n>.
func RendezvousNamespace(n string) string { return "aura/rdv/" + n }

func topicHash(tag, n string) string {
	t := canon.Trunc16(canon.H(tag, []byte(n)))
	return hex.EncodeToString(t[:])
}

// MessageID is the content-addressed GossipSub message id of SPEC §8:
// the first 20 bytes of H(data) (H("aura/h/v1", data)). Identical payloads
// therefore deduplicate network-wide.
func MessageID(data []byte) string {
	h := canon.HPlain(data)
	return string(h[:20])
}

func pubsubMsgID(m *pb.Message) string { return MessageID(m.GetData()) }
