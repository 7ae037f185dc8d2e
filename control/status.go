package control

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Status is the result of node.status.
type Status struct {
	// PeerID is the node's libp2p peer ID.
	PeerID string `json:"peer_id"`
	// ListenAddrs are the host's addresses with /p2p/<PeerID>.
	ListenAddrs []string `json:"listen_addrs"`
	// ConnectedPeers counts peers with an open connection.
	ConnectedPeers int `json:"connected_peers"`
	// RoutingTableSize counts peers in the DHT routing table.
	RoutingTableSize int `json:"routing_table_size"`
	// DHTServer reports DHT server mode.
	DHTServer bool `json:"dht_server"`
	// Joined is SPEC §14's joined test for JoinPeers.
	Joined bool `json:"joined"`
	// JoinPeers is the N the joined test used.
	JoinPeers int `json:"join_peers"`
	// UptimeMs is the time since the node started, in milliseconds.
	UptimeMs int64 `json:"uptime_ms"`
}

// Uptime is UptimeMs as a duration.
func (s Status) Uptime() time.Duration { return time.Duration(s.UptimeMs) * time.Millisecond }

// StatusSource is what node.status reads (*p2p.Host implements it).
type StatusSource interface {
	ID() peer.ID
	Addrs() []ma.Multiaddr
	ConnectedPeers() []peer.ID
	RoutingTableSize() int
	DHTServer() bool
	Joined(n int) bool
}

// StatusHandler returns the node.status handler reading src; started is
// the node's start time and joinPeers the N of its joined test.
func StatusHandler(src StatusSource, joinPeers int, started time.Time) func(context.Context, struct{}) (Status, error) {
	return func(context.Context, struct{}) (Status, error) {
		addrs := src.Addrs()
		st := Status{
			PeerID:           src.ID().String(),
			ListenAddrs:      make([]string, 0, len(addrs)),
			ConnectedPeers:   len(src.ConnectedPeers()),
			RoutingTableSize: src.RoutingTableSize(),
			DHTServer:        src.DHTServer(),
			Joined:           src.Joined(joinPeers),
			JoinPeers:        joinPeers,
			UptimeMs:         time.Since(started).Milliseconds(),
		}
		for _, a := range addrs {
			st.ListenAddrs = append(st.ListenAddrs, a.String())
		}
		return st, nil
	}
}
