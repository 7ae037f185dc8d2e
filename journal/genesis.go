package journal

import (
	"slices"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// Policy is Threshold{M, N} (SPEC §4).
type Policy struct{ M, N uint16 }

func (p Policy) encode(e *canon.Encoder) { e.U16(p.M).U16(p.N) }

func (p *Policy) decode(r *reader) { p.M = r.u16("policy m"); p.N = r.u16("policy n") }

// Leaf is one device of an authority's tree (SPEC §4).
type Leaf struct {
	ID        uint32
	Device    DeviceID
	Role      uint8
	DeviceKey [32]byte
	DHKey     [32]byte
	FrostID   uint16
}

func (l *Leaf) encode(e *canon.Encoder) {
	e.U32(l.ID).Raw(l.Device[:]).U8(l.Role).Raw(l.DeviceKey[:]).Raw(l.DHKey[:]).U16(l.FrostID)
}

func (l *Leaf) decode(r *reader) {
	l.ID = r.u32("leaf id")
	r.raw(l.Device[:], "device id")
	l.Role = r.u8("role")
	r.raw(l.DeviceKey[:], "device key")
	r.raw(l.DHKey[:], "dh key")
	l.FrostID = r.u16("frost id")
}

// KeyRotation is a group-key change (SPEC §4). Maps encode sorted by key;
// decoding requires strictly ascending keys (one canonical form).
type KeyRotation struct {
	GroupKey          [32]byte
	VerShares         map[uint16][32]byte
	KeyEpoch          uint64
	FrostIDs          map[uint32]uint16
	DKGNonce          [32]byte
	Round1            [][]byte
	DKGTranscriptHash [32]byte
	Confirms          [][64]byte
	SealedSecrets     map[uint32][]byte
}

func (k *KeyRotation) encode(e *canon.Encoder) {
	e.Raw(k.GroupKey[:]).Count(len(k.VerShares))
	for _, id := range sortedKeys(k.VerShares) {
		v := k.VerShares[id]
		e.U16(id).Raw(v[:])
	}
	e.U64(k.KeyEpoch).Count(len(k.FrostIDs))
	for _, l := range sortedKeys(k.FrostIDs) {
		e.U32(l).U16(k.FrostIDs[l])
	}
	e.Raw(k.DKGNonce[:]).Count(len(k.Round1))
	for _, m := range k.Round1 {
		e.LP(m)
	}
	e.Raw(k.DKGTranscriptHash[:]).Count(len(k.Confirms))
	for _, c := range k.Confirms {
		e.Raw(c[:])
	}
	e.Count(len(k.SealedSecrets))
	for _, l := range sortedKeys(k.SealedSecrets) {
		e.U32(l).LP(k.SealedSecrets[l])
	}
}

func (k *KeyRotation) decode(r *reader) {
	r.raw(k.GroupKey[:], "group key")
	k.VerShares = decodeMap(r, 34, "ver shares", func(r *reader) (uint16, [32]byte) {
		id := r.u16("frost id")
		var v [32]byte
		r.raw(v[:], "ver share")
		return id, v
	})
	k.KeyEpoch = r.u64("key epoch")
	k.FrostIDs = decodeMap(r, 6, "frost ids", func(r *reader) (uint32, uint16) {
		return r.u32("leaf id"), r.u16("frost id")
	})
	r.raw(k.DKGNonce[:], "dkg nonce")
	n := r.count(1, "round1")
	for i := 0; i < n && r.err == nil; i++ {
		k.Round1 = append(k.Round1, r.lp("round1 msg"))
	}
	r.raw(k.DKGTranscriptHash[:], "transcript hash")
	n = r.count(64, "confirms")
	for i := 0; i < n && r.err == nil; i++ {
		var c [64]byte
		r.raw(c[:], "confirm")
		k.Confirms = append(k.Confirms, c)
	}
	k.SealedSecrets = decodeMap(r, 5, "sealed secrets", func(r *reader) (uint32, []byte) {
		return r.u32("leaf id"), r.lp("sealed secret")
	})
}

// AuthorityGenesis is the single-device authority Genesis (SPEC §4.1
// item 1; type 1 in an authority namespace, signed by the founding
// DeviceKey as group key).
type AuthorityGenesis struct {
	AuthorityID   AuthorityID
	Nonce         [32]byte
	GenesisTimeMs uint64
	Leaf          Leaf
	Policy        Policy
	KeyRotation   KeyRotation
	Sig           [64]byte
}

func (*AuthorityGenesis) Type() uint16 { return TypeGenesis }

// Unsigned is the canonical body without Sig (the signed part).
func (g *AuthorityGenesis) Unsigned() []byte {
	var e canon.Encoder
	e.Raw(g.AuthorityID[:]).Raw(g.Nonce[:]).U64(g.GenesisTimeMs)
	g.Leaf.encode(&e)
	g.Policy.encode(&e)
	g.KeyRotation.encode(&e)
	return e.Bytes()
}

func (g *AuthorityGenesis) Canonical() []byte { return append(g.Unsigned(), g.Sig[:]...) }

func (g *AuthorityGenesis) decode(r *reader) {
	r.raw(g.AuthorityID[:], "authority id")
	r.raw(g.Nonce[:], "nonce")
	g.GenesisTimeMs = r.u64("genesis time")
	g.Leaf.decode(r)
	g.Policy.decode(r)
	g.KeyRotation.decode(r)
	r.raw(g.Sig[:], "sig")
}

// Member is one founder of a context (SPEC §7.1 step 4).
type Member struct {
	AuthorityID AuthorityID
	SignKey     [32]byte
	DHKey       [32]byte
}

// ContextGenesis is a context Genesis (SPEC §7.1 step 4; type 1 in a
// context namespace). Static contexts (step 4′) omit Policy and
// KeyRotation and carry SealedRoots. Sigs: one per member, ascending
// AuthorityID, each by the member's SignKey.
type ContextGenesis struct {
	ContextID     ContextID
	GenesisTimeMs uint64
	FlowEpochMs   uint64
	Members       []Member
	DefaultLimit  uint64
	DefaultCaps   []string
	Policy        *Policy
	KeyRotation   *KeyRotation
	SealedRoots   map[AuthorityID][]byte
	Sigs          [][64]byte
}

func (*ContextGenesis) Type() uint16 { return TypeGenesis }

// Static reports the §7.1 step 4′ form.
func (g *ContextGenesis) Static() bool { return g.Policy == nil && g.KeyRotation == nil }

// Unsigned is the canonical body without the Sigs list.
func (g *ContextGenesis) Unsigned() []byte {
	var e canon.Encoder
	e.Raw(g.ContextID[:]).U64(g.GenesisTimeMs).U64(g.FlowEpochMs).Count(len(g.Members))
	for _, m := range g.Members {
		e.Raw(m.AuthorityID[:]).Raw(m.SignKey[:]).Raw(m.DHKey[:])
	}
	e.U64(g.DefaultLimit).Count(len(g.DefaultCaps))
	for _, c := range g.DefaultCaps {
		e.String(c)
	}
	e.Opt(g.Policy != nil)
	if g.Policy != nil {
		g.Policy.encode(&e)
	}
	e.Opt(g.KeyRotation != nil)
	if g.KeyRotation != nil {
		g.KeyRotation.encode(&e)
	}
	e.Opt(g.SealedRoots != nil)
	if g.SealedRoots != nil {
		e.Count(len(g.SealedRoots))
		for _, a := range sortedIDKeys(g.SealedRoots) {
			e.Raw(a[:]).LP(g.SealedRoots[a])
		}
	}
	return e.Bytes()
}

func (g *ContextGenesis) Canonical() []byte {
	var e canon.Encoder
	e.Raw(g.Unsigned()).Count(len(g.Sigs))
	for _, s := range g.Sigs {
		e.Raw(s[:])
	}
	return e.Bytes()
}

func (g *ContextGenesis) decode(r *reader) {
	r.raw(g.ContextID[:], "context id")
	g.GenesisTimeMs = r.u64("genesis time")
	g.FlowEpochMs = r.u64("flow epoch ms")
	n := r.count(80, "members")
	for i := 0; i < n && r.err == nil; i++ {
		var m Member
		r.raw(m.AuthorityID[:], "member id")
		r.raw(m.SignKey[:], "member sign key")
		r.raw(m.DHKey[:], "member dh key")
		g.Members = append(g.Members, m)
	}
	g.DefaultLimit = r.u64("default limit")
	n = r.count(1, "default caps")
	for i := 0; i < n && r.err == nil; i++ {
		g.DefaultCaps = append(g.DefaultCaps, string(r.lp("cap")))
	}
	g.decodeOptionals(r)
	n = r.count(64, "sigs")
	for i := 0; i < n && r.err == nil; i++ {
		var s [64]byte
		r.raw(s[:], "sig")
		g.Sigs = append(g.Sigs, s)
	}
}

func (g *ContextGenesis) decodeOptionals(r *reader) {
	if readOpt(r, "policy") {
		g.Policy = new(Policy)
		g.Policy.decode(r)
	}
	if readOpt(r, "key rotation") {
		g.KeyRotation = new(KeyRotation)
		g.KeyRotation.decode(r)
	}
	if readOpt(r, "sealed roots") {
		g.SealedRoots = decodeMap(r, 17, "sealed roots", func(r *reader) (AuthorityID, []byte) {
			var a AuthorityID
			r.raw(a[:], "sealed root id")
			return a, r.lp("sealed root")
		})
		if g.SealedRoots == nil && r.err == nil {
			g.SealedRoots = map[AuthorityID][]byte{}
		}
	}
}

// readOpt reads an optional marker; anything but 0 or 1 is malformed.
func readOpt(r *reader, what string) bool {
	switch r.u8(what) {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail(what + " marker")
	return false
}

type ordered interface {
	~uint16 | ~uint32
}

func sortedKeys[K ordered, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sortedIDKeys[V any](m map[AuthorityID]V) []AuthorityID {
	ks := make([]AuthorityID, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b AuthorityID) int { return compare16(a, b) })
	return ks
}

// decodeMap reads a count-prefixed map whose keys must be strictly
// ascending in encoded (big-endian) order. A zero count yields nil.
func decodeMap[K comparable, V any](r *reader, minElem int, what string,
	elem func(*reader) (K, V)) map[K]V {
	n := r.count(minElem, what)
	if n == 0 {
		return nil
	}
	m := make(map[K]V, n)
	var prev []byte
	for i := 0; i < n && r.err == nil; i++ {
		start := r.b
		k, v := elem(r)
		if r.err != nil {
			break
		}
		key := keyBytes(start, k)
		if prev != nil && string(key) <= string(prev) {
			r.fail(what + " order")
			break
		}
		prev = key
		m[k] = v
	}
	return m
}

// keyBytes returns the encoded key prefix of an element starting at start.
func keyBytes[K any](start []byte, k K) []byte {
	switch any(k).(type) {
	case uint16:
		return start[:2]
	case uint32:
		return start[:4]
	default:
		return start[:16]
	}
}

func compare16(a, b [16]byte) int { return slices.Compare(a[:], b[:]) }
