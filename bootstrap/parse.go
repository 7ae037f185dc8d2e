package bootstrap

import (
	"fmt"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// ParsePeers parses seed multiaddrs of the form <transport addr>/p2p/<id>
// and merges addresses of the same peer, keeping the first-seen order of
// peers and addresses (duplicates dropped). Blank entries are skipped. An
// entry that is not a multiaddr fails with ErrBadMultiaddr, one without a
// peer ID or transport part with ErrMissingPeerID; both name the entry's
// index and text. An input with no entries returns (nil, nil): a lone
// bootstrap node has no seeds.
func ParsePeers(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	index := make(map[peer.ID]int)
	for i, s := range addrs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		ai, err := parseOne(s)
		if err != nil {
			return nil, fmt.Errorf("seed %d %q: %w", i, s, err)
		}
		j, ok := index[ai.ID]
		if !ok {
			index[ai.ID] = len(out)
			out = append(out, peer.AddrInfo{ID: ai.ID})
			j = len(out) - 1
		}
		out[j].Addrs = appendNew(out[j].Addrs, ai.Addrs...)
	}
	return out, nil
}

func parseOne(s string) (*peer.AddrInfo, error) {
	a, err := ma.NewMultiaddr(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadMultiaddr, err)
	}
	if _, err := a.ValueForProtocol(ma.P_P2P); err != nil {
		return nil, ErrMissingPeerID
	}
	ai, err := peer.AddrInfoFromP2pAddr(a)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadMultiaddr, err)
	}
	if len(ai.Addrs) == 0 {
		return nil, fmt.Errorf("%w: no transport address before /p2p", ErrMissingPeerID)
	}
	return ai, nil
}

func appendNew(dst []ma.Multiaddr, add ...ma.Multiaddr) []ma.Multiaddr {
	for _, a := range add {
		dup := false
		for _, d := range dst {
			if d.Equal(a) {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, a)
		}
	}
	return dst
}
