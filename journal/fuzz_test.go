package journal

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"
)

// fuzzSeeds builds one valid fact of every decoded type (fixture keys
// are local here: journaltest would be an import cycle).
func fuzzSeeds() [][]byte {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	var pub [32]byte
	copy(pub[:], priv.Public().(ed25519.PublicKey))
	ctx := ContextNS(ContextID{1})
	nonce := [32]byte{2}
	aid := AuthorityIDOf(pub, nonce)
	auth := AuthorityNS(aid)
	g := &AuthorityGenesis{AuthorityID: aid, Nonce: nonce, GenesisTimeMs: 5,
		Leaf: Leaf{Device: DeviceIDOf(pub), Role: 1, DeviceKey: pub, FrostID: 1}, Policy: Policy{1, 1},
		KeyRotation: KeyRotation{GroupKey: pub, VerShares: map[uint16][32]byte{1: pub},
			FrostIDs: map[uint32]uint16{0: 1}, SealedSecrets: map[uint32][]byte{0: {1, 2}}}}
	cg := &ContextGenesis{ContextID: ContextID{1}, GenesisTimeMs: 1, FlowEpochMs: 10,
		Members:     []Member{{AuthorityID: AuthorityID{1}, SignKey: pub}, {AuthorityID: AuthorityID{2}, SignKey: pub}},
		DefaultCaps: []string{"x"}, SealedRoots: map[AuthorityID][]byte{{1}: {1}, {2}: {2}}}
	h := ContextGenesisHash(cg)
	sig := [64]byte(ed25519.Sign(priv, h[:]))
	cg.Sigs = [][64]byte{sig, sig}
	facts := []Fact{
		SignAuthorityGenesis(g, priv), ContextGenesisFact(cg),
		SignBody(auth, &FlowCharge{Spent: 3}, [16]byte{}, priv),
		{NS: ctx, Type: TypeFlowEpochAdvance, Schema: 1, Body: (&FlowEpochAdvance{Ctx: ctx.ID, Epoch: 1, StartMs: 11}).Canonical()},
		SignBody(ctx, &CapGrant{Token: []byte("tok")}, [16]byte{}, priv),
		SignBody(ctx, &MemberKey{KeyEpoch: 1}, [16]byte{}, priv),
		SignBody(ctx, &Generic{Kind: 1, Data: []byte("d")}, [16]byte{}, priv),
		SignBody(auth, &SealedSecret{Ciphertext: []byte("c")}, [16]byte{}, priv),
		SignBody(ctx, &DevicePeer{PeerID: []byte("p"), Addrs: [][]byte{[]byte("a")}, Seq: 2}, [16]byte{}, priv),
		SignBody(ctx, &SignedOpaque{T: TypeDescriptor, Payload: []byte("desc")}, [16]byte{}, priv),
		{NS: ctx, Type: TypeCommit, Schema: 1, Body: make([]byte, 140)},
		{NS: ctx, Type: TypeEquivocation, Schema: 1, Body: make([]byte, 2*voteSize)},
		{NS: ctx, Type: 77, Schema: 1, Body: []byte("unknown")},
	}
	out := make([][]byte, len(facts))
	for i, f := range facts {
		out[i] = f.Canonical()
	}
	return out
}

func TestFuzzSeedsValid(t *testing.T) {
	for i, raw := range fuzzSeeds() {
		if _, err := NewChecker(DefaultConfig()).Check(raw); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
}

// FuzzIngress: ingress never panics; an accepted fact re-encodes to its
// input bytes (one canonical form) and its body round-trips.
func FuzzIngress(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	c := NewChecker(DefaultConfig())
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := c.Ingress(b, time.UnixMilli(0))
		if err != nil && !errors.Is(err, ErrDeferred) && !errors.Is(err, ErrDeferTooFar) {
			return
		}
		if !bytes.Equal(e.Fact.Canonical(), b) {
			t.Fatalf("fact does not round-trip")
		}
		if e.Body != nil && !bytes.Equal(e.Body.Canonical(), e.Fact.Body) {
			t.Fatalf("type %d body does not round-trip", e.Fact.Type)
		}
	})
}

// FuzzDecodeFact: framing decoder never panics and round-trips.
func FuzzDecodeFact(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fact, err := DecodeFact(b)
		if err == nil && !bytes.Equal(fact.Canonical(), b) {
			t.Fatalf("round trip")
		}
	})
}

// FuzzBody decodes arbitrary bodies for every v1 type in both namespace
// kinds (no signatures): no panic, and accepted bodies round-trip.
func FuzzBody(f *testing.F) {
	for _, s := range fuzzSeeds() {
		fact, _ := DecodeFact(s)
		f.Add(uint8(fact.NS.Kind), fact.Type, fact.Body)
	}
	f.Fuzz(func(t *testing.T, kind uint8, typ uint16, body []byte) {
		fact := Fact{NS: Namespace{Kind: Kind(kind%2 + 1)}, Type: typ, Schema: 1, Body: body}
		if !fact.known() {
			return
		}
		b, _, err := decodeBody(fact)
		if err != nil {
			return
		}
		if !bytes.Equal(b.Canonical(), body) {
			t.Fatalf("type %d body round trip: %x", typ, body)
		}
	})
}

// fuzzOneBody is the per-type body target: seeds are the matching seed
// bodies; no panic, accepted bodies round-trip byte for byte.
func fuzzOneBody(f *testing.F, kind Kind, typ uint16) {
	for _, s := range fuzzSeeds() {
		if fact, err := DecodeFact(s); err == nil && fact.Type == typ && fact.NS.Kind == kind {
			f.Add(fact.Body)
		}
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		b, _, err := decodeBody(Fact{NS: Namespace{Kind: kind}, Type: typ, Schema: 1, Body: body})
		if err == nil && !bytes.Equal(b.Canonical(), body) {
			t.Fatalf("type %d body round trip", typ)
		}
	})
}

func FuzzAuthorityGenesis(f *testing.F) { fuzzOneBody(f, KindAuthority, TypeGenesis) }
func FuzzContextGenesis(f *testing.F)   { fuzzOneBody(f, KindContext, TypeGenesis) }
func FuzzCommitRef(f *testing.F)        { fuzzOneBody(f, KindContext, TypeCommit) }
func FuzzEquivocationRef(f *testing.F)  { fuzzOneBody(f, KindContext, TypeEquivocation) }
func FuzzFlowCharge(f *testing.F)       { fuzzOneBody(f, KindAuthority, TypeFlowCharge) }
func FuzzFlowEpochAdvance(f *testing.F) { fuzzOneBody(f, KindContext, TypeFlowEpochAdvance) }
func FuzzCapGrant(f *testing.F)         { fuzzOneBody(f, KindContext, TypeCapGrant) }
func FuzzMemberKey(f *testing.F)        { fuzzOneBody(f, KindContext, TypeMemberKey) }
func FuzzDescriptor(f *testing.F)       { fuzzOneBody(f, KindContext, TypeDescriptor) }
func FuzzGeneric(f *testing.F)          { fuzzOneBody(f, KindContext, TypeGeneric) }
func FuzzSealedSecret(f *testing.F)     { fuzzOneBody(f, KindAuthority, TypeSealedSecret) }
func FuzzDevicePeer(f *testing.F)       { fuzzOneBody(f, KindContext, TypeDevicePeer) }
