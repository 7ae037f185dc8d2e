package journal

import (
	"crypto/ed25519"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// GroupVerifier verifies a signature under a group key (SPEC §3: Genesis
// (A), Commit, MemberKey). consensus/frostx plugs in here; the default,
// Ed25519Verifier, checks the 64-byte R‖Z aggregate with crypto/ed25519,
// which is what single-device (M = N = 1) group keys produce.
type GroupVerifier interface {
	VerifyGroup(groupKey [32]byte, msg []byte, sig [64]byte) bool
}

// Ed25519Verifier is the default GroupVerifier.
type Ed25519Verifier struct{}

// VerifyGroup checks sig with crypto/ed25519.
func (Ed25519Verifier) VerifyGroup(groupKey [32]byte, msg []byte, sig [64]byte) bool {
	return ed25519.Verify(groupKey[:], msg, sig[:])
}

// SigHash is H("aura/fact-sig/v1", NS, Type, Schema, body without Sig):
// the message every fact signature signs.
func SigHash(ns Namespace, typ, schema uint16, unsigned []byte) [32]byte {
	return canon.H("aura/fact-sig/v1", ns.Bytes(), be16(typ), be16(schema), unsigned)
}

// unsignedOf returns the canonical body of a trailer-signed body without
// its trailing 64-byte Sig.
func unsignedOf(b SignedBody) []byte {
	c := b.Canonical()
	return c[:len(c)-64]
}

// SignBody fills b's trailer (Author, SignerKey from priv, Sig) and
// returns the v1 Fact. priv signs with crypto/ed25519.
func SignBody(ns Namespace, b SignedBody, author [16]byte, priv ed25519.PrivateKey) Fact {
	t := b.trailer()
	t.Author = author
	copy(t.SignerKey[:], priv.Public().(ed25519.PublicKey))
	h := SigHash(ns, b.Type(), SchemaV1, unsignedOf(b))
	copy(t.Sig[:], ed25519.Sign(priv, h[:]))
	return Fact{NS: ns, Type: b.Type(), Schema: SchemaV1, Body: b.Canonical()}
}

// SignAuthorityGenesis signs g with the founding device key (the group
// key of a single-device authority) and returns the Fact.
func SignAuthorityGenesis(g *AuthorityGenesis, deviceKey ed25519.PrivateKey) Fact {
	ns := AuthorityNS(g.AuthorityID)
	h := SigHash(ns, TypeGenesis, SchemaV1, g.Unsigned())
	copy(g.Sig[:], ed25519.Sign(deviceKey, h[:]))
	return Fact{NS: ns, Type: TypeGenesis, Schema: SchemaV1, Body: g.Canonical()}
}

// ContextGenesisHash is the message every founder signs.
func ContextGenesisHash(g *ContextGenesis) [32]byte {
	return SigHash(ContextNS(g.ContextID), TypeGenesis, SchemaV1, g.Unsigned())
}

// ContextGenesisFact returns g as a Fact (Sigs must be filled).
func ContextGenesisFact(g *ContextGenesis) Fact {
	return Fact{NS: ContextNS(g.ContextID), Type: TypeGenesis, Schema: SchemaV1, Body: g.Canonical()}
}

// DeviceIDOf is Trunc16(H("aura/device-id/v1", deviceEd25519Pub)).
func DeviceIDOf(pub [32]byte) DeviceID {
	return DeviceID(canon.Trunc16(canon.H("aura/device-id/v1", pub[:])))
}

// AuthorityIDOf is Trunc16(H("aura/authority-id/v1", groupKey, nonce)).
func AuthorityIDOf(groupKey, nonce [32]byte) AuthorityID {
	return AuthorityID(canon.Trunc16(canon.H("aura/authority-id/v1", groupKey[:], nonce[:])))
}
