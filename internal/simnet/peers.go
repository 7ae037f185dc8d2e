package simnet

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// peerCache memoises PeerKey: deriving an Ed25519 key costs tens of
// microseconds and seed sweeps ask for the same few indices 10^4 times.
// It is a pure function cache, not a tunable.
var peerCache = struct {
	sync.Mutex
	keys map[int]crypto.PrivKey
	ids  map[int]peer.ID
}{keys: map[int]crypto.PrivKey{}, ids: map[int]peer.ID{}}

// PeerKey returns the Ed25519 private key of test peer i, derived from
// H("aura/simnet/peer/v1", u64be(i)). Stable across runs and platforms.
func PeerKey(i int) crypto.PrivKey {
	peerCache.Lock()
	defer peerCache.Unlock()
	if k, ok := peerCache.keys[i]; ok {
		return k
	}
	k, id := derivePeer(i)
	peerCache.keys[i], peerCache.ids[i] = k, id
	return k
}

// PeerID returns the peer ID of PeerKey(i).
func PeerID(i int) peer.ID {
	PeerKey(i)
	peerCache.Lock()
	defer peerCache.Unlock()
	return peerCache.ids[i]
}

// PeerIDs returns PeerID(0..n-1).
func PeerIDs(n int) []peer.ID {
	ids := make([]peer.ID, n)
	for i := range ids {
		ids[i] = PeerID(i)
	}
	return ids
}

func derivePeer(i int) (crypto.PrivKey, peer.ID) {
	seed := canon.H("aura/simnet/peer/v1", binary.BigEndian.AppendUint64(nil, uint64(i)))
	sk, err := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		panic(fmt.Sprintf("simnet: ed25519 key from seed: %v", err)) // broken invariant: 64-byte key always parses
	}
	id, err := peer.IDFromPrivateKey(sk)
	if err != nil {
		panic(fmt.Sprintf("simnet: peer id: %v", err))
	}
	return sk, id
}
