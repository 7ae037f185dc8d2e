package sync

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"io"

	"golang.org/x/crypto/hkdf"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

// Secret is a namespace's sync secret S (SPEC §9 "Keys").
type Secret [32]byte

// hkdf32 is HKDF(ikm, info) of SPEC §0: HKDF-SHA256, empty salt, 32 bytes.
func hkdf32(ikm []byte, info string) [32]byte {
	var out [32]byte
	r := hkdf.New(sha256.New, ikm, nil, []byte(info))
	if _, err := io.ReadFull(r, out[:]); err != nil {
		panic("sync: hkdf: " + err.Error()) // 32 bytes never exceeds HKDF's limit
	}
	return out
}

// DeriveSecret is S = HKDF(K, "aura/sync/v1"), where K is a context's K_e
// or an authority's AuthoritySecret_k.
func DeriveSecret(k []byte) Secret { return Secret(hkdf32(k, "aura/sync/v1")) }

// AuthoritySyncSecret is S of an authority namespace at one key epoch:
// HKDF(AuthoritySecret_k, "aura/sync/v1") (SPEC §9 "Keys").
func AuthoritySyncSecret(authoritySecret [32]byte) Secret { return DeriveSecret(authoritySecret[:]) }

// SessionKeys are the per-session values derived from S, NonceI and the
// two libp2p peer-ID byte strings pI, pR.
type SessionKeys struct {
	// Ref = Trunc16(H("aura/sync-ref/v1", S, NonceI, pI, pR)).
	Ref [16]byte
	// Ack = Trunc16(H("aura/sync-ack/v1", S, NonceI, pR, pI)).
	Ack [16]byte
	// Sip is k = Trunc16(H("aura/sync-sip/v1", S, NonceI, pI, pR)) split
	// into SipHash's k₀, k₁.
	Sip riblt.Key
	// BoxI, BoxR are Kb_X = H("aura/sync-box/v1", S, NonceI, X).
	BoxI, BoxR [32]byte
}

// DeriveKeys derives the session keys of SPEC §9.
func DeriveKeys(s Secret, nonceI [16]byte, pI, pR []byte) SessionKeys {
	return SessionKeys{
		Ref:  canon.Trunc16(canon.H("aura/sync-ref/v1", s[:], nonceI[:], pI, pR)),
		Ack:  canon.Trunc16(canon.H("aura/sync-ack/v1", s[:], nonceI[:], pR, pI)),
		Sip:  riblt.KeyFromBytes(canon.Trunc16(canon.H("aura/sync-sip/v1", s[:], nonceI[:], pI, pR))),
		BoxI: canon.H("aura/sync-box/v1", s[:], nonceI[:], []byte("I")),
		BoxR: canon.H("aura/sync-box/v1", s[:], nonceI[:], []byte("R")),
	}
}

// MatchRef returns the index of the secret under which ref is the Ref of
// this Hello, trying every secret (no early exit, constant-time compare).
func MatchRef(secrets []Secret, nonceI, ref [16]byte, pI, pR []byte) (int, bool) {
	found := -1
	for i, s := range secrets {
		r := canon.Trunc16(canon.H("aura/sync-ref/v1", s[:], nonceI[:], pI, pR))
		if subtle.ConstantTimeCompare(r[:], ref[:]) == 1 && found < 0 {
			found = i
		}
	}
	return found, found >= 0
}

// authDigest is H("aura/sync-auth/v1", side, Ref, NonceI, pI, pR), the
// message both boxes' Ed25519 signatures cover (side "I" or "R").
func authDigest(side string, ref, nonceI [16]byte, pI, pR []byte) [32]byte {
	return canon.H("aura/sync-auth/v1", []byte(side), ref[:], nonceI[:], pI, pR)
}

// ContextEpochKey is K_e = HKDF(K_root, "aura/ctx-epoch/v1" ‖ u64 e)
// (SPEC §7.1 step 5), e big-endian.
func ContextEpochKey(kRoot [32]byte, e uint64) [32]byte {
	var info [8]byte
	binary.BigEndian.PutUint64(info[:], e)
	return hkdf32(kRoot[:], "aura/ctx-epoch/v1"+string(info[:]))
}

// StaticContextSecret is S of a static context: key epoch 0 forever
// (SPEC §7.1 step 4′), S = HKDF(K_0, "aura/sync/v1").
func StaticContextSecret(kRoot [32]byte) Secret {
	k := ContextEpochKey(kRoot, 0)
	return DeriveSecret(k[:])
}
