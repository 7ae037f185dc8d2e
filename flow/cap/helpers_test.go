package cap

import (
	"crypto/ed25519"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
)

var (
	ctx1  = journal.ContextID{0xc1}
	ctx2  = journal.ContextID{0xc2}
	alice = journal.AuthorityID{0xa1}
	bob   = journal.AuthorityID{0xb0}
	carol = journal.AuthorityID{0xca}
)

// key returns a deterministic Ed25519 key for label.
func key(label byte) (ed25519.PrivateKey, [32]byte) {
	var seed [32]byte
	seed[0] = label
	k := ed25519.NewKeyFromSeed(seed[:])
	var pub [32]byte
	copy(pub[:], k.Public().(ed25519.PublicKey))
	return k, pub
}

// grantBlock is a block granting subject every cap at limit in [from, to].
func grantBlock(subject journal.AuthorityID, limit, from, to uint64, next [32]byte) CapBlock {
	return CapBlock{Context: ctx1, Subject: subject, Caps: AllNames(), FlowLimit: limit,
		FromEpoch: from, ToEpoch: to, NextKey: next}
}

// issue is Issue that fails the test on error.
func issue(t testing.TB, k ed25519.PrivateKey, b CapBlock) CapToken {
	t.Helper()
	tok, err := Issue(k, b)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// forceAppend appends b signed by k without Attenuate's checks, to build
// invalid chains.
func forceAppend(tok CapToken, k ed25519.PrivateKey, b CapBlock) CapToken {
	b.Sig = sign(k, tok.Last().Sig, &b)
	tok.Blocks = append(append([]CapBlock(nil), tok.Blocks...), b)
	return tok
}
