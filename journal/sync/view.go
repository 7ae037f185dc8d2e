package sync

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/journal"
)

// NamespaceKeys is what the service needs to sync one namespace it is a
// member of.
type NamespaceKeys struct {
	NS journal.Namespace
	// Secrets are the sync secrets of every key epoch held, oldest first;
	// the last is the newest (what I uses). A static context has one:
	// StaticContextSecret(K_root).
	Secrets []Secret
	// Signer signs the local member's boxes.
	Signer Signer
}

func (k NamespaceKeys) validate() error {
	switch {
	case k.NS.Kind != journal.KindContext:
		return fmt.Errorf("%w: only context namespaces are served (authority secrets are not exposed yet)", ErrConfig)
	case len(k.Secrets) == 0 || k.Signer == nil:
		return fmt.Errorf("%w: a namespace needs secrets and a signer", ErrConfig)
	}
	return nil
}

// Ed25519Signer signs as author with key (a member key or DeviceKey).
type Ed25519Signer struct {
	ID  [16]byte
	Key ed25519.PrivateKey
}

// Author implements Signer.
func (s Ed25519Signer) Author() [16]byte { return s.ID }

// Sign implements Signer.
func (s Ed25519Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.Key, msg), nil }

// memberKeys is an immutable Members view of a reduced state.
type memberKeys map[[16]byte]ed25519.PublicKey

// MemberKey implements Members.
func (m memberKeys) MemberKey(a [16]byte) (ed25519.PublicKey, bool) {
	k, ok := m[a]
	return k, ok
}

// nsView is an immutable snapshot of one namespace: keys and what the
// last reduction said. Published by the run goroutine, read by sessions.
type nsView struct {
	keys    NamespaceKeys
	members memberKeys
	peers   []peer.ID // member peers other than self, sorted
	// authors maps each member peer to its authority (the budget's Dst).
	authors map[peer.ID]journal.AuthorityID
}

// newNSView reduces the stored set of keys.NS.
func newNSView(ctx context.Context, j *journal.Journal, keys NamespaceKeys, self peer.ID) (*nsView, error) {
	set, err := j.Store().Set(ctx, keys.NS)
	if set == nil {
		return nil, err
	}
	st, err := journal.DefaultRegistry().ReduceSet(set)
	if err != nil {
		return nil, err
	}
	v := &nsView{keys: keys, members: memberKeys{}, authors: map[peer.ID]journal.AuthorityID{}}
	cs, ok := st.(*journal.ContextState)
	if !ok {
		return v, nil
	}
	for _, m := range cs.Members {
		v.members[[16]byte(m.AuthorityID)] = ed25519.PublicKey(m.SignKey[:])
	}
	v.peers, v.authors = peersOf(cs, self)
	return v, nil
}

// peersOf lists the member peers of cs, self excluded, sorted, and maps
// each to its authority.
func peersOf(cs *journal.ContextState, self peer.ID) ([]peer.ID, map[peer.ID]journal.AuthorityID) {
	var out []peer.ID
	authors := map[peer.ID]journal.AuthorityID{}
	for _, p := range cs.Peers {
		id, err := peer.IDFromBytes(p.PeerID)
		if err != nil || id == self {
			continue
		}
		if _, ok := cs.Member(journal.AuthorityID(p.Author)); ok {
			out = append(out, id)
			authors[id] = journal.AuthorityID(p.Author)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), authors
}

// view is the set of served namespaces, replaced whole on every change.
type view struct {
	byNS  map[journal.Namespace]*nsView
	order []journal.Namespace // sorted
}

func (v *view) with(nv *nsView) *view {
	out := &view{byNS: make(map[journal.Namespace]*nsView, len(v.byNS)+1)}
	for ns, x := range v.byNS {
		out.byNS[ns] = x
	}
	if _, ok := out.byNS[nv.keys.NS]; !ok {
		out.order = append(slices.Clone(v.order), nv.keys.NS)
		slices.SortFunc(out.order, func(a, b journal.Namespace) int {
			if a.Kind != b.Kind {
				return int(a.Kind) - int(b.Kind)
			}
			return slices.Compare(a.ID[:], b.ID[:])
		})
	} else {
		out.order = v.order
	}
	out.byNS[nv.keys.NS] = nv
	return out
}

// journalEntries serves stored entries of one namespace to a core.
type journalEntries struct {
	ctx context.Context
	j   *journal.Journal
	ns  journal.Namespace
}

// Entry implements Entries.
func (e journalEntries) Entry(id journal.EntryID) ([]byte, bool) {
	en, err := e.j.Get(e.ctx, e.ns, id)
	if err != nil {
		return nil, false
	}
	return en.Raw, true
}
