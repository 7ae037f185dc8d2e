package treetest

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/internal/seal"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// GenesisTimeMs is every fixture's Genesis time.
const GenesisTimeMs = 1_700_000_000_000

// Device is a test device: its DeviceKey, its X25519 DHKey (the private
// half opens SealedSecrets) and its leaf template (ID and FrostID are
// filled when it is added).
type Device struct {
	Priv ed25519.PrivateKey
	DH   *ecdh.PrivateKey
	Leaf tree.Leaf
}

// ID is the device's DeviceId.
func (d *Device) ID() journal.DeviceID { return d.Leaf.Device }

// Signer returns (DeviceId, DeviceKey) for signing facts and sync boxes.
func (d *Device) Signer() ([16]byte, ed25519.PrivateKey) { return [16]byte(d.Leaf.Device), d.Priv }

// Fixture is one authority whose devices really sign: FROST key shares
// are kept per group key so any state's committee can sign, and every
// KeyRotation seals a fresh AuthoritySecret_k to each resulting leaf's
// real X25519 DHKey (internal/seal).
type Fixture struct {
	TB   testing.TB
	Auth journal.AuthorityID
	NS   journal.Namespace
	// Genesis is the Genesis entry; G0 its TreeState.
	Genesis journal.Entry
	G0      *tree.TreeState
	// Secrets holds AuthoritySecret_k by key epoch k.
	Secrets map[uint64][32]byte
	// Sealed holds each key epoch's SealedSecrets by LeafId.
	Sealed map[uint64]map[tree.LeafID][]byte

	seed   uint64
	rnd    *rand.ChaCha8
	devs   map[[32]byte]*Device           // by DeviceKey
	shares map[[32]byte]map[uint16][]byte // group key → FrostID → key share
	coms   map[[32]byte]*frostx.Committee // group key → committee
	nonce  uint64
}

// Seed32 is a deterministic 32-byte value for (seed, salt).
func Seed32(seed uint64, salt string) [32]byte {
	return canon.H("aura/tree-test/v1", binary.BigEndian.AppendUint64(nil, seed), []byte(salt))
}

// NewDevice derives device i of seed (not yet registered with a fixture).
func NewDevice(seed uint64, i int) *Device {
	s := Seed32(seed, "device"+string(rune('a'+i)))
	priv := ed25519.NewKeyFromSeed(s[:])
	pub := [32]byte(priv.Public().(ed25519.PublicKey))
	dhs := Seed32(seed, "dh"+string(rune('a'+i)))
	dh, err := ecdh.X25519().NewPrivateKey(dhs[:])
	if err != nil {
		panic("treetest: x25519 key: " + err.Error()) // 32 bytes always work
	}
	return &Device{Priv: priv, DH: dh, Leaf: tree.Leaf{Device: tree.DeviceIDOf(pub), Role: tree.RoleDevice,
		DeviceKey: pub, DHKey: [32]byte(dh.PublicKey().Bytes())}}
}

// New founds a single-device authority (SPEC §4.1 item 1) whose founder
// is Device(0); AuthoritySecret_0 is sealed to it.
func New(tb testing.TB, seed uint64) *Fixture {
	tb.Helper()
	f := &Fixture{TB: tb, seed: seed, rnd: rand.NewChaCha8(Seed32(seed, "rnd")), devs: map[[32]byte]*Device{},
		shares: map[[32]byte]map[uint16][]byte{}, coms: map[[32]byte]*frostx.Committee{},
		Secrets: map[uint64][32]byte{}, Sealed: map[uint64]map[tree.LeafID][]byte{}}
	d := f.Device(0)
	nonce := Seed32(seed, "nonce")
	f.Auth = tree.AuthorityIDOf(d.Leaf.DeviceKey, nonce)
	f.NS = journal.AuthorityNS(f.Auth)
	l := d.Leaf
	l.ID, l.FrostID = 0, 1
	sealed := f.sealSecrets(0, []tree.Leaf{l})
	jl := journal.Leaf{ID: 0, Device: d.Leaf.Device, Role: 1, DeviceKey: d.Leaf.DeviceKey, DHKey: d.Leaf.DHKey, FrostID: 1}
	g := &journal.AuthorityGenesis{AuthorityID: f.Auth, Nonce: nonce, GenesisTimeMs: GenesisTimeMs,
		Leaf: jl, Policy: journal.Policy{M: 1, N: 1}, KeyRotation: journal.KeyRotation{
			GroupKey: d.Leaf.DeviceKey, VerShares: map[uint16][32]byte{1: d.Leaf.DeviceKey},
			FrostIDs: map[uint32]uint16{0: 1}, SealedSecrets: map[uint32][]byte{0: sealed[0]}}}
	f.Genesis = f.Entry(journal.SignAuthorityGenesis(g, d.Priv))
	gs, err := tree.GenesisState(f.NS, g)
	if err != nil {
		tb.Fatalf("GenesisState: %v", err)
	}
	f.G0 = gs
	return f
}

// Device derives and registers device i of the fixture's seed (index 0
// is the founder).
func (f *Fixture) Device(i int) *Device {
	d := NewDevice(f.seed, i)
	if old, ok := f.devs[d.Leaf.DeviceKey]; ok {
		return old
	}
	f.devs[d.Leaf.DeviceKey] = d
	return d
}

// ByKey returns the registered device with DeviceKey k.
func (f *Fixture) ByKey(k [32]byte) *Device { return f.devs[k] }

// Entry runs journal ingress on jf.
func (f *Fixture) Entry(jf journal.Fact) journal.Entry {
	f.TB.Helper()
	e, err := journal.Ingress(jf.Canonical(), time.Time{})
	if err != nil {
		f.TB.Fatalf("Ingress: %v", err)
	}
	return e
}

// sealSecrets draws AuthoritySecret_k and seals it to every leaf's DHKey.
func (f *Fixture) sealSecrets(k uint64, leaves []tree.Leaf) map[tree.LeafID][]byte {
	f.TB.Helper()
	var secret [32]byte
	_, _ = f.rnd.Read(secret[:])
	f.Secrets[k] = secret
	out := map[tree.LeafID][]byte{}
	for _, l := range leaves {
		var es [32]byte
		_, _ = f.rnd.Read(es[:])
		eph, err := ecdh.X25519().NewPrivateKey(es[:])
		if err != nil {
			f.TB.Fatalf("ephemeral key: %v", err)
		}
		b, err := seal.SealWith(eph, l.DHKey, secret[:])
		if err != nil {
			f.TB.Fatalf("Seal: %v", err)
		}
		out[l.ID] = b
	}
	f.Sealed[k] = out
	return out
}

// Open opens AuthoritySecret_k with d's DHKey from key epoch k's
// SealedSecrets, as the device itself would (false if d was not a leaf
// of key epoch k).
func (f *Fixture) Open(d *Device, k uint64) ([32]byte, bool) {
	for _, b := range f.Sealed[k] {
		m, err := seal.Open(d.DH, b)
		if err == nil && len(m) == 32 {
			return [32]byte(m), true
		}
	}
	return [32]byte{}, false
}

// OpenAll returns every AuthoritySecret d can open, oldest key epoch
// first, up to and including key epoch upTo.
func (f *Fixture) OpenAll(d *Device, upTo uint64) [][32]byte {
	var out [][32]byte
	for k := uint64(0); k <= upTo; k++ {
		if s, ok := f.Open(d, k); ok {
			out = append(out, s)
		}
	}
	return out
}

// DevicePeer is a DevicePeer fact by d (SPEC §3 type 14).
func (f *Fixture) DevicePeer(d *Device, peerID []byte, addrs [][]byte, seq uint64) journal.Fact {
	return journal.SignBody(f.NS, &journal.DevicePeer{PeerID: slices.Clone(peerID), Addrs: addrs, Seq: seq},
		[16]byte(d.Leaf.Device), d.Priv)
}

// FlowCharge is a FlowCharge fact by d (SPEC §3 type 4).
func (f *Fixture) FlowCharge(d *Device, ctx, dst [16]byte, epoch uint64, slot uint16, spent uint64) journal.Fact {
	return journal.SignBody(f.NS, &journal.FlowCharge{Ctx: ctx, Dst: dst, FlowEpoch: epoch, Slot: slot, Spent: spent},
		[16]byte(d.Leaf.Device), d.Priv)
}

// Raw is a fact's canonical bytes (what journal.Add takes).
func Raw(f journal.Fact) []byte { return f.Canonical() }
