package node

import (
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/p2p"
)

// HostInfo is the read-only view of the running host that services get
// in Env (status, join state, connected peers, misbehaviour reports).
// It deliberately has no Open, Handle, Publish or Subscribe: protocol
// services write to the network only through Env.Sender (SPEC §6.4,
// §15), and the value in Env wraps the host so no type assertion
// recovers the p2p.Transport.
type HostInfo interface {
	ID() peer.ID
	Addrs() []ma.Multiaddr
	AddrInfo() peer.AddrInfo
	ConnectedPeers() []peer.ID
	RoutingTableSize() int
	DHTServer() bool
	Joined(n int) bool
	// ReportMisbehaviour counts one point against p (SPEC §6.6).
	ReportMisbehaviour(p peer.ID, protocol, kind string)
	// AddAddrs records addresses of p in the peerstore (for an hour), so a
	// later guarded Open can dial it: an invitation's inviter addresses,
	// a DevicePeer fact's. It opens nothing.
	AddAddrs(p peer.ID, addrs []ma.Multiaddr)
	// PeerAddrs are the peerstore's addresses of p.
	PeerAddrs(p peer.ID) []ma.Multiaddr
}

// hostInfo hides the *p2p.Host behind HostInfo.
type hostInfo struct{ h *p2p.Host }

func (i hostInfo) ID() peer.ID               { return i.h.ID() }
func (i hostInfo) Addrs() []ma.Multiaddr     { return i.h.Addrs() }
func (i hostInfo) AddrInfo() peer.AddrInfo   { return i.h.AddrInfo() }
func (i hostInfo) ConnectedPeers() []peer.ID { return i.h.ConnectedPeers() }
func (i hostInfo) RoutingTableSize() int     { return i.h.RoutingTableSize() }
func (i hostInfo) DHTServer() bool           { return i.h.DHTServer() }
func (i hostInfo) Joined(n int) bool         { return i.h.Joined(n) }
func (i hostInfo) AddAddrs(p peer.ID, addrs []ma.Multiaddr) {
	if p == "" || p == i.h.ID() || len(addrs) == 0 {
		return
	}
	i.h.LibP2P().Peerstore().AddAddrs(p, addrs, peerstore.AddressTTL)
}
func (i hostInfo) PeerAddrs(p peer.ID) []ma.Multiaddr {
	return i.h.LibP2P().Peerstore().Addrs(p)
}
func (i hostInfo) ReportMisbehaviour(p peer.ID, protocol, kind string) {
	i.h.ReportMisbehaviour(p, protocol, kind)
}
