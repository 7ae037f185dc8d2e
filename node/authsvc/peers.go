package authsvc

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/node"
)

// addrSink records dial addresses (node.HostInfo.AddAddrs).
type addrSink interface {
	AddAddrs(p peer.ID, addrs []ma.Multiaddr)
}

// peerBook resolves DeviceId → peer.ID for the tree service (SPEC §3
// DevicePeer: "Authority-scope sends ... resolve DeviceId ↔ peer.ID only
// through DevicePeer facts"), plus the devices the journal cannot know
// yet: a joiner (its verified JoinRequest, until its own DevicePeer fact
// arrives) and, on a joiner, its inviter (the invitation). Every lookup
// is scoped to one authority: it reads only that authority's DevicePeer
// registers, the mappings learned for its joins and the hints about it,
// so a device of another authority this node belongs to cannot redirect
// its lookups. It re-reads an authority namespace's DevicePeer registers
// only when the namespace's journal version changed. Safe for
// concurrent use.
type peerBook struct {
	j     *journal.Journal
	sink  addrSink
	self  journal.DeviceID
	selfP peer.ID

	mu sync.Mutex
	// extra holds, per authority, mappings learned outside the journal
	// for a join of that authority (a joiner's verified request, the
	// invitation's inviter).
	extra map[journal.AuthorityID]map[journal.DeviceID]peer.ID
	// hints holds, per authority, the last accepted hint frame's
	// mappings (≤ maxHints each): a frame replaces its authority's set,
	// so the book stays bounded however many frames a sender sends.
	hints map[journal.AuthorityID]map[journal.DeviceID]peer.ID
	byNS  map[journal.Namespace]nsPeers
}

type nsPeers struct {
	version uint64
	peers   map[journal.DeviceID]devicePeer
}

type devicePeer struct {
	peer  peer.ID
	addrs []ma.Multiaddr
	seq   uint64
}

func newPeerBook(j *journal.Journal, sink addrSink, self journal.DeviceID, selfP peer.ID) *peerBook {
	return &peerBook{j: j, sink: sink, self: self, selfP: selfP,
		extra: map[journal.AuthorityID]map[journal.DeviceID]peer.ID{},
		hints: map[journal.AuthorityID]map[journal.DeviceID]peer.ID{}, byNS: map[journal.Namespace]nsPeers{}}
}

// PeerOf implements treesvc.Peers for authority aid: this device, else
// the device's own DevicePeer fact in aid's namespace, else a mapping
// learned for a join of aid (a joiner's verified request, an inviter's
// invitation), else a hint about aid.
func (b *peerBook) PeerOf(aid journal.AuthorityID, d journal.DeviceID) (peer.ID, bool) {
	if d == b.self {
		return b.selfP, true
	}
	if p, ok := b.factPeer(aid, d); ok {
		return p, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.extra[aid][d]; ok {
		return p, true
	}
	p, ok := b.hints[aid][d]
	return p, ok
}

// factPeer resolves d through aid's DevicePeer facts only.
func (b *peerBook) factPeer(aid journal.AuthorityID, d journal.DeviceID) (peer.ID, bool) {
	ns := journal.AuthorityNS(aid)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshLocked(ns)
	dp, ok := b.byNS[ns].peers[d]
	return dp.peer, ok
}

// ownSeq is the largest Seq of this device's own DevicePeer facts in ns
// (0 if none).
func (b *peerBook) ownSeq(ns journal.Namespace) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshLocked(ns)
	return b.byNS[ns].peers[b.self].seq
}

// setHints replaces aid's hinted mappings with hs (an accepted hint
// frame, ≤ maxHints; below facts and learned mappings). Hints about this
// device are dropped.
func (b *peerBook) setHints(aid journal.AuthorityID, hs []Hint) {
	m := make(map[journal.DeviceID]peer.ID, len(hs))
	for _, h := range hs {
		if h.Device != b.self && len(m) < maxHints {
			m[h.Device] = h.Peer
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hints[aid] = m
}

// learn records d → p outside the journal for a join of aid (a joiner
// or an inviter).
func (b *peerBook) learn(aid journal.AuthorityID, d journal.DeviceID, p peer.ID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.extra[aid] == nil {
		b.extra[aid] = map[journal.DeviceID]peer.ID{}
	}
	b.extra[aid][d] = p
}

// forget drops a mapping learned for aid once the journal has the
// device's own fact (or the join failed).
func (b *peerBook) forget(aid journal.AuthorityID, d journal.DeviceID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.extra[aid], d)
	if len(b.extra[aid]) == 0 {
		delete(b.extra, aid)
	}
}

// refreshLocked re-reads the DevicePeer registers of authority namespace
// ns if its version changed (none unless the journal holds ns) and hands
// their addresses to the sink.
func (b *peerBook) refreshLocked(ns journal.Namespace) {
	if ns.Kind != journal.KindAuthority || !b.j.IsMember(ns) {
		delete(b.byNS, ns)
		return
	}
	v := b.j.Version(ns)
	if cur, ok := b.byNS[ns]; ok && cur.version == v {
		return
	}
	peers := readDevicePeers(b.j, ns)
	b.byNS[ns] = nsPeers{version: v, peers: peers}
	for d, dp := range peers {
		if d != b.self && b.sink != nil {
			b.sink.AddAddrs(dp.peer, dp.addrs)
		}
	}
}

// readDevicePeers returns, per DeviceId, the DevicePeer register with
// the largest Seq whose SignerKey is the device's own key (DeviceId =
// Trunc16(H(DeviceKey)) is self-certifying and ingress verified Sig, so
// only the device itself can map its id). Whether the device is a
// current leaf is not checked here: the tree service asks only for
// leaves and candidates.
func readDevicePeers(j *journal.Journal, ns journal.Namespace) map[journal.DeviceID]devicePeer {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out := map[journal.DeviceID]devicePeer{}
	entries, err := j.Store().Entries(ctx, ns)
	if err != nil {
		return out
	}
	for _, e := range entries {
		b, ok := e.Body.(*journal.DevicePeer)
		if !ok || journal.DeviceIDOf(b.SignerKey) != journal.DeviceID(b.Author) {
			continue
		}
		p, err := peer.IDFromBytes(b.PeerID)
		if err != nil {
			continue
		}
		d := journal.DeviceID(b.Author)
		if cur, ok := out[d]; ok && cur.seq >= b.Seq {
			continue
		}
		out[d] = devicePeer{peer: p, addrs: parseAddrs(b.Addrs), seq: b.Seq}
	}
	return out
}

func parseAddrs(raw [][]byte) []ma.Multiaddr {
	var out []ma.Multiaddr
	for _, r := range raw {
		if a, err := ma.NewMultiaddrBytes(r); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// devicePeerFact is this device's DevicePeer fact for ns (SPEC §3: A:
// Author = DeviceId, signed with the DeviceKey) with the given Seq (see
// Service.nextSeq).
func devicePeerFact(ns journal.Namespace, dev *node.Device, self peer.ID, addrs []ma.Multiaddr, seq uint64) []byte {
	body := &journal.DevicePeer{PeerID: []byte(self), Seq: seq}
	for _, a := range addrs {
		body.Addrs = append(body.Addrs, a.Bytes())
	}
	return journal.SignBody(ns, body, dev.ID, dev.Key).Canonical()
}
