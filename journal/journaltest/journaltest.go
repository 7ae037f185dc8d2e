// Package journaltest builds deterministic journal fixtures for tests of
// journal, journal/sync, flow and the devnet: single-device authorities
// with fixed keys (SPEC §4.1 item 1) and static contexts among them
// (SPEC §7.1 step 4′), plus signed DevicePeer, Generic, CapGrant,
// FlowCharge and FlowEpochAdvance facts. Everything derives from a seed
// string, so two processes building the same fixture agree byte for
// byte. Not for production: the keys are public.
package journaltest

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// GenesisTimeMs is the fixtures' Genesis time (2023-11-14T22:13:20Z).
const GenesisTimeMs uint64 = 1_700_000_000_000

// FlowEpochMs is the fixtures' flow epoch length (SPEC §10 default).
const FlowEpochMs uint64 = 300_000

// seed32 derives 32 fixture bytes.
func seed32(parts ...string) [32]byte {
	bs := make([][]byte, len(parts))
	for i, p := range parts {
		bs[i] = []byte(p)
	}
	return canon.H("aura/journaltest/v1", bs...)
}

// Founder is a single-device authority with fixed keys.
type Founder struct {
	Name      string
	Authority journal.AuthorityID
	Device    journal.DeviceID
	DeviceKey ed25519.PrivateKey
	DevicePub [32]byte
	DH        *ecdh.PrivateKey
	// MemberKey signs context facts; MemberDH receives sealed K_roots.
	MemberKey ed25519.PrivateKey
	MemberPub [32]byte
	MemberDH  *ecdh.PrivateKey
	Nonce     [32]byte
	// AuthoritySecret is AuthoritySecret_0 (SPEC §1).
	AuthoritySecret [32]byte
}

// NewFounder derives founder name's keys.
func NewFounder(name string) *Founder {
	f := &Founder{Name: name}
	s := seed32(name, "device")
	f.DeviceKey = ed25519.NewKeyFromSeed(s[:])
	copy(f.DevicePub[:], f.DeviceKey.Public().(ed25519.PublicKey))
	s = seed32(name, "member")
	f.MemberKey = ed25519.NewKeyFromSeed(s[:])
	copy(f.MemberPub[:], f.MemberKey.Public().(ed25519.PublicKey))
	f.DH = x25519(seed32(name, "dh"))
	f.MemberDH = x25519(seed32(name, "member-dh"))
	f.Nonce = seed32(name, "nonce")
	f.AuthoritySecret = seed32(name, "authority-secret")
	f.Device = journal.DeviceIDOf(f.DevicePub)
	f.Authority = journal.AuthorityIDOf(f.DevicePub, f.Nonce)
	return f
}

func x25519(s [32]byte) *ecdh.PrivateKey {
	k, err := ecdh.X25519().NewPrivateKey(s[:])
	if err != nil {
		panic(err) // every 32-byte string is a valid X25519 scalar
	}
	return k
}

func pub32(k *ecdh.PrivateKey) [32]byte { return [32]byte(k.PublicKey().Bytes()) }

// NS is the founder's authority namespace.
func (f *Founder) NS() journal.Namespace { return journal.AuthorityNS(f.Authority) }

// Genesis is the founder's signed single-device authority Genesis.
func (f *Founder) Genesis() journal.Fact {
	dh := pub32(f.DH)
	g := &journal.AuthorityGenesis{
		AuthorityID: f.Authority, Nonce: f.Nonce, GenesisTimeMs: GenesisTimeMs,
		Leaf:   journal.Leaf{ID: 0, Device: f.Device, Role: 1, DeviceKey: f.DevicePub, DHKey: dh, FrostID: 1},
		Policy: journal.Policy{M: 1, N: 1},
		KeyRotation: journal.KeyRotation{
			GroupKey: f.DevicePub, VerShares: map[uint16][32]byte{1: f.DevicePub},
			FrostIDs:      map[uint32]uint16{0: 1},
			SealedSecrets: map[uint32][]byte{0: Seal(dh, f.AuthoritySecret[:], seed32(f.Name, "eph0"))},
		},
	}
	return journal.SignAuthorityGenesis(g, f.DeviceKey)
}

// AuthorityPeer is a DevicePeer fact in the founder's authority namespace
// (Author = DeviceId, signed by the DeviceKey).
func (f *Founder) AuthorityPeer(peerID []byte, addrs [][]byte, seq uint64) journal.Fact {
	b := &journal.DevicePeer{PeerID: peerID, Addrs: addrs, Seq: seq}
	return journal.SignBody(f.NS(), b, f.Device, f.DeviceKey)
}

// FlowCharge is a FlowCharge register in the founder's authority
// namespace (slot 0, signed by the DeviceKey).
func (f *Founder) FlowCharge(ctx journal.ContextID, dst [16]byte, epoch, spent uint64) journal.Fact {
	b := &journal.FlowCharge{Ctx: ctx, Dst: dst, FlowEpoch: epoch, Spent: spent}
	return journal.SignBody(f.NS(), b, f.Device, f.DeviceKey)
}

// Seal is SPEC §0 Seal(pub, m) = ephPub ‖ ChaCha20-Poly1305(k, zero
// nonce, m), k = HKDF(X25519(eph, pub) ‖ ephPub ‖ pub, "aura/seal/v1"),
// with the ephemeral key derived from ephSeed (deterministic fixtures).
func Seal(pub [32]byte, m []byte, ephSeed [32]byte) []byte {
	eph := x25519(ephSeed)
	peer, err := ecdh.X25519().NewPublicKey(pub[:])
	if err != nil {
		panic(err)
	}
	shared, err := eph.ECDH(peer)
	if err != nil {
		panic(err) // low-order pub: fixtures never use one
	}
	ephPub := eph.PublicKey().Bytes()
	k, err := hkdf.Key(sha256.New, slices.Concat(shared, ephPub, pub[:]), nil, "aura/seal/v1", 32)
	if err != nil {
		panic(err)
	}
	aead, err := chacha20poly1305.New(k)
	if err != nil {
		panic(err)
	}
	return aead.Seal(ephPub, make([]byte, chacha20poly1305.NonceSize), m, nil)
}

// StaticContext is a static context among single-device founders.
type StaticContext struct {
	ID       journal.ContextID
	Founders []*Founder // ascending AuthorityID
	KRoot    [32]byte
	Body     *journal.ContextGenesis
}

// NewStaticContext builds a static context named name among n founders
// named name/0 … name/n-1, with a signed Genesis (SPEC §7.1 step 4′).
func NewStaticContext(name string, n int) *StaticContext {
	fs := make([]*Founder, n)
	for i := range fs {
		fs[i] = NewFounder(name + "/" + string(rune('a'+i%26)) + itoa(i))
	}
	return NewStaticContextOf(name, fs...)
}

// NewStaticContextOf builds a static context named name among founders.
func NewStaticContextOf(name string, founders ...*Founder) *StaticContext {
	fs := slices.Clone(founders)
	slices.SortFunc(fs, func(a, b *Founder) int { return bytes.Compare(a.Authority[:], b.Authority[:]) })
	r := seed32(name, "context-random")
	c := &StaticContext{Founders: fs, KRoot: seed32(name, "k-root"),
		ID: journal.ContextID(canon.Trunc16(canon.H("aura/context-id/v1", r[:])))}
	g := &journal.ContextGenesis{ContextID: c.ID, GenesisTimeMs: GenesisTimeMs, FlowEpochMs: FlowEpochMs,
		DefaultLimit: 10_000, DefaultCaps: []string{"generic"}, SealedRoots: map[journal.AuthorityID][]byte{}}
	for _, f := range fs {
		g.Members = append(g.Members, journal.Member{AuthorityID: f.Authority, SignKey: f.MemberPub, DHKey: pub32(f.MemberDH)})
		g.SealedRoots[f.Authority] = Seal(pub32(f.MemberDH), c.KRoot[:], seed32(name, f.Name, "eph"))
	}
	h := journal.ContextGenesisHash(g)
	for _, f := range fs {
		g.Sigs = append(g.Sigs, [64]byte(ed25519.Sign(f.MemberKey, h[:])))
	}
	c.Body = g
	return c
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// NS is the context namespace.
func (c *StaticContext) NS() journal.Namespace { return journal.ContextNS(c.ID) }

// Genesis is the signed context Genesis fact.
func (c *StaticContext) Genesis() journal.Fact { return journal.ContextGenesisFact(c.Body) }

// DevicePeer is founder i's DevicePeer in the context (Author =
// AuthorityId, signed by its member key).
func (c *StaticContext) DevicePeer(i int, peerID []byte, addrs [][]byte, seq uint64) journal.Fact {
	f := c.Founders[i]
	return journal.SignBody(c.NS(), &journal.DevicePeer{PeerID: peerID, Addrs: addrs, Seq: seq}, f.Authority, f.MemberKey)
}

// Generic is a Generic fact by founder i.
func (c *StaticContext) Generic(i int, kind uint16, data []byte) journal.Fact {
	f := c.Founders[i]
	return journal.SignBody(c.NS(), &journal.Generic{Kind: kind, Data: data}, f.Authority, f.MemberKey)
}

// CapGrant is a CapGrant with an opaque token by founder i.
func (c *StaticContext) CapGrant(i int, token []byte) journal.Fact {
	f := c.Founders[i]
	return journal.SignBody(c.NS(), &journal.CapGrant{Token: token}, f.Authority, f.MemberKey)
}

// FlowEpochAdvance is the valid advance to epoch e.
func (c *StaticContext) FlowEpochAdvance(e uint64) journal.Fact {
	b := &journal.FlowEpochAdvance{Ctx: c.ID, Epoch: e, StartMs: GenesisTimeMs + e*FlowEpochMs}
	return journal.Fact{NS: c.NS(), Type: journal.TypeFlowEpochAdvance, Schema: journal.SchemaV1, Body: b.Canonical()}
}

// Raw is f's canonical bytes (what Ingress and sync take).
func Raw(f journal.Fact) []byte { return f.Canonical() }

// MustEntry turns a fixture fact into an Entry through the default
// stateless checks (no time gate); it panics on a fixture bug.
func MustEntry(f journal.Fact) journal.Entry {
	e, err := journal.NewChecker(journal.DefaultConfig()).Check(f.Canonical())
	if err != nil {
		panic(err)
	}
	return e
}
