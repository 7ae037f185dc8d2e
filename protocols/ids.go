package protocols

import "github.com/libp2p/go-libp2p/core/protocol"

// Stream protocol IDs (SPEC §15). Versions are part of the contract with
// other libp2p stacks: a wire change gets a new ID.
const (
	Consensus  protocol.ID = "/aura/consensus/1.0.0"
	Sync       protocol.ID = "/aura/sync/1.0.0"
	Rendezvous protocol.ID = "/aura/rendezvous/1.0.0"
	Relay      protocol.ID = "/aura/relay/1.0.0"
	Ctx        protocol.ID = "/aura/ctx/1.0.0"
	DKG        protocol.ID = "/aura/dkg/1.0.0"
	Invite     protocol.ID = "/aura/invite/1.0.0"
)

// DHTPrefix is the private Kademlia prefix: the DHT speaks /aura/kad/1.0.0.
const DHTPrefix protocol.ID = "/aura"

// Maximum frame sizes per protocol in bytes (SPEC §10 table).
const (
	MaxConsensusFrame  = 128 << 10
	MaxSyncFrame       = 65 << 10
	MaxCtxFrame        = 64 << 10
	MaxRelayFrame      = 65 << 10
	MaxDKGFrame        = 16 << 10
	MaxInviteFrame     = 4 << 10
	MaxRendezvousFrame = 65535
	// DefaultMaxFrame caps protocols without an entry (tests, future IDs).
	DefaultMaxFrame = 64 << 10
)

var maxFrame = map[protocol.ID]int{
	Consensus:  MaxConsensusFrame,
	Sync:       MaxSyncFrame,
	Rendezvous: MaxRendezvousFrame,
	Relay:      MaxRelayFrame,
	Ctx:        MaxCtxFrame,
	DKG:        MaxDKGFrame,
	Invite:     MaxInviteFrame,
}

// MaxFrame returns the frame cap for proto (DefaultMaxFrame if unknown).
func MaxFrame(proto protocol.ID) int {
	if n, ok := maxFrame[proto]; ok {
		return n
	}
	return DefaultMaxFrame
}

// All lists the Aura stream protocols in a stable order.
func All() []protocol.ID {
	return []protocol.ID{Consensus, Sync, Rendezvous, Relay, Ctx, DKG, Invite}
}
