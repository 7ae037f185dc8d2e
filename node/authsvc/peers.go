package authsvc

import (
	"bytes"
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
// arrives) and, on a joiner, its inviter (the invitation). It re-reads
// the DevicePeer registers of an authority namespace only when the
// namespace's journal version changed. Safe for concurrent use.
type peerBook struct {
	j     *journal.Journal
	sink  addrSink
	self  journal.DeviceID
	selfP peer.ID

	mu    sync.Mutex
	extra map[journal.DeviceID]peer.ID
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
	return &peerBook{j: j, sink: sink, self: self, selfP: selfP, extra: map[journal.DeviceID]peer.ID{},
		hints: map[journal.AuthorityID]map[journal.DeviceID]peer.ID{}, byNS: map[journal.Namespace]nsPeers{}}
}

// PeerOf implements treesvc.Peers: this device, else the device's own
// DevicePeer fact, else a learned mapping (a joiner's verified request,
// an inviter's invitation), else an inviter's hint.
func (b *peerBook) PeerOf(d journal.DeviceID) (peer.ID, bool) {
	if d == b.self {
		return b.selfP, true
	}
	if p, ok := b.factPeer(d); ok {
		return p, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.extra[d]; ok {
		return p, true
	}
	return b.hintedLocked(d)
}

// hintedLocked resolves d through hints, preferring the smallest
// AuthorityId's when authorities disagree (deterministic).
func (b *peerBook) hintedLocked(d journal.DeviceID) (peer.ID, bool) {
	var best journal.AuthorityID
	var out peer.ID
	found := false
	for aid, hs := range b.hints {
		if p, ok := hs[d]; ok && (!found || bytes.Compare(aid[:], best[:]) < 0) {
			best, out, found = aid, p, true
		}
	}
	return out, found
}

// factPeer resolves d through DevicePeer facts only.
func (b *peerBook) factPeer(d journal.DeviceID) (peer.ID, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshLocked()
	var best devicePeer
	found := false
	for _, np := range b.byNS {
		if dp, ok := np.peers[d]; ok && (!found || dp.seq > best.seq) {
			best, found = dp, true
		}
	}
	return best.peer, found
}

// ownSeq is the largest Seq of this device's own DevicePeer facts in ns
// (0 if none).
func (b *peerBook) ownSeq(ns journal.Namespace) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshLocked()
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

// learn records d → p outside the journal (a joiner or an inviter).
func (b *peerBook) learn(d journal.DeviceID, p peer.ID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.extra[d] = p
}

// forget drops a learned mapping once the journal has the device's own
// fact (or the join failed).
func (b *peerBook) forget(d journal.DeviceID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.extra, d)
}

// refreshLocked re-reads the DevicePeer registers of every authority
// namespace whose version changed and hands their addresses to the sink.
func (b *peerBook) refreshLocked() {
	for _, ns := range b.j.Members() {
		if ns.Kind != journal.KindAuthority {
			continue
		}
		v := b.j.Version(ns)
		if cur, ok := b.byNS[ns]; ok && cur.version == v {
			continue
		}
		peers := readDevicePeers(b.j, ns)
		b.byNS[ns] = nsPeers{version: v, peers: peers}
		for d, dp := range peers {
			if d != b.self && b.sink != nil {
				b.sink.AddAddrs(dp.peer, dp.addrs)
			}
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
