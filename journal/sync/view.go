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
	// the last is the newest (what I uses); R matches a Ref under any of
	// them (SPEC §9 "Keys"). A static context has one:
	// StaticContextSecret(K_root); an authority one per AuthoritySecret_k
	// held: AuthoritySyncSecret.
	Secrets []Secret
	// Signer signs the local member's boxes: the authority and its member
	// key (context), or the DeviceId and DeviceKey (authority namespace).
	Signer Signer
	// Trusted (authority namespaces only) are devices this node, as
	// initiator, accepts as responders and syncs with while its reduced
	// state has no devices: a joiner trusts its inviter's DeviceKey until
	// it has synced and reduced the authority journal from its Genesis
	// (SPEC §4.1 step 2); from then on only current leaves count. As
	// responder a node checks only the reduced state. Service.Trust adds
	// to them without replacing the keys.
	Trusted []TrustedDevice
}

// TrustedDevice is a device accepted before the reduced state lists it.
type TrustedDevice struct {
	Device    journal.DeviceID
	DeviceKey [32]byte
	Peer      peer.ID
}

// AuthorityKeys is the NamespaceKeys of authority ns for the local
// device: S_k = HKDF(AuthoritySecret_k, "aura/sync/v1") for every secret
// held (oldest key epoch first, the newest last), signed by the device's
// DeviceKey as Author = DeviceId (SPEC §9).
func AuthorityKeys(ns journal.Namespace, secrets [][32]byte, device journal.DeviceID, deviceKey ed25519.PrivateKey) NamespaceKeys {
	k := NamespaceKeys{NS: ns, Signer: Ed25519Signer{ID: device, Key: deviceKey}}
	for _, a := range secrets {
		k.Secrets = append(k.Secrets, AuthoritySyncSecret(a))
	}
	return k
}

func (k NamespaceKeys) validate() error {
	switch {
	case !k.NS.Kind.Valid():
		return fmt.Errorf("%w: namespace kind %v", ErrConfig, k.NS.Kind)
	case len(k.Secrets) == 0 || k.Signer == nil:
		return fmt.Errorf("%w: a namespace needs secrets and a signer", ErrConfig)
	case len(k.Trusted) > 0 && k.NS.Kind != journal.KindAuthority:
		return fmt.Errorf("%w: trusted devices are for authority namespaces", ErrConfig)
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
	keys NamespaceKeys
	// members are the current members (R checks Hellos against them);
	// accept adds the Trusted devices (I checks HelloAcks against it).
	members, accept memberKeys
	peers           []peer.ID // member peers other than self, sorted
	// authors maps each member peer to its authority (context) or
	// DeviceId (authority namespace): the budget's Dst.
	authors map[peer.ID]journal.AuthorityID
}

// authority reports whether the view is an authority namespace (per-device
// budget, no token, no receipt: SPEC §9 "Guards").
func (v *nsView) authority() bool { return v.keys.NS.Kind == journal.KindAuthority }

// newNSView reduces the stored set of keys.NS with reg; trusted
// (keys.Trusted and Service.Trust's) count only without reduced members.
func newNSView(ctx context.Context, j *journal.Journal, reg *journal.Registry, keys NamespaceKeys,
	trusted []TrustedDevice, self peer.ID) (*nsView, error) {
	set, err := j.Store().Set(ctx, keys.NS)
	if set == nil {
		return nil, err
	}
	st, err := reg.ReduceSet(set)
	if err != nil {
		return nil, err
	}
	v := &nsView{keys: keys, members: memberKeys{}, accept: memberKeys{}, authors: map[peer.ID]journal.AuthorityID{}}
	switch st := st.(type) {
	case *journal.ContextState:
		for _, m := range st.Members {
			v.members[[16]byte(m.AuthorityID)] = ed25519.PublicKey(m.SignKey[:])
		}
		v.addPeers(st.Peers, self)
	case journal.AuthorityView:
		for _, d := range st.Devices() {
			v.members[[16]byte(d.Device)] = ed25519.PublicKey(d.DeviceKey[:])
		}
		v.addPeers(st.DevicePeers(), self)
	}
	for a, k := range v.members {
		v.accept[a] = k
	}
	if len(v.members) == 0 && keys.NS.Kind == journal.KindAuthority {
		v.trust(append(slices.Clone(keys.Trusted), trusted...), self)
	}
	slices.Sort(v.peers)
	v.peers = slices.Compact(v.peers)
	return v, nil
}

// trust accepts the trusted devices as responders and sync peers.
func (v *nsView) trust(ts []TrustedDevice, self peer.ID) {
	for _, t := range ts {
		if _, ok := v.accept[[16]byte(t.Device)]; !ok {
			v.accept[[16]byte(t.Device)] = ed25519.PublicKey(t.DeviceKey[:])
		}
		if t.Peer == self || t.Peer == "" {
			continue
		}
		if _, ok := v.authors[t.Peer]; !ok {
			v.authors[t.Peer] = journal.AuthorityID(t.Device)
			v.peers = append(v.peers, t.Peer)
		}
	}
}

// addPeers adds the peers of reduced DevicePeer registers whose Author
// is a current member, self excluded, mapping each to its Author.
func (v *nsView) addPeers(ps []journal.Peer, self peer.ID) {
	for _, p := range ps {
		id, err := peer.IDFromBytes(p.PeerID)
		if err != nil || id == self {
			continue
		}
		if _, ok := v.members[p.Author]; ok {
			v.peers = append(v.peers, id)
			v.authors[id] = journal.AuthorityID(p.Author)
		}
	}
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
