package journaltest

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"slices"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/aura-p2p/aura-p2p/journal"
)

// TestDeterministic: two builds of one fixture agree byte for byte, so
// separate processes (devnet) share Geneses without exchanging them.
func TestDeterministic(t *testing.T) {
	a, b := NewStaticContext("det", 4), NewStaticContext("det", 4)
	if !bytes.Equal(a.Genesis().Canonical(), b.Genesis().Canonical()) {
		t.Fatal("context genesis differs between builds")
	}
	if !bytes.Equal(a.Founders[2].Genesis().Canonical(), b.Founders[2].Genesis().Canonical()) {
		t.Fatal("authority genesis differs between builds")
	}
	if c := NewStaticContext("other", 4); c.ID == a.ID {
		t.Fatal("context names collide")
	}
}

func TestFixturesPassIngress(t *testing.T) {
	c := NewStaticContext("ingress", 5)
	for i, f := range c.Founders {
		if i > 0 && bytes.Compare(c.Founders[i-1].Authority[:], f.Authority[:]) >= 0 {
			t.Fatal("founders not ascending")
		}
		for _, fact := range []journal.Fact{f.Genesis(), f.AuthorityPeer([]byte("p"), nil, 1), c.DevicePeer(i, []byte("p"), nil, 1)} {
			if _, err := journal.NewChecker(journal.DefaultConfig()).Check(fact.Canonical()); err != nil {
				t.Fatalf("founder %d type %d: %v", i, fact.Type, err)
			}
		}
	}
	if _, err := journal.NewChecker(journal.DefaultConfig()).Check(c.Genesis().Canonical()); err != nil {
		t.Fatal(err)
	}
}

// TestSealedRootOpens: each member opens its SealedRoot to K_root.
func TestSealedRootOpens(t *testing.T) {
	c := NewStaticContext("seal", 3)
	for _, f := range c.Founders {
		sealed := c.Body.SealedRoots[f.Authority]
		ephPub := sealed[:32]
		peer, err := f.MemberDH.Curve().NewPublicKey(ephPub)
		if err != nil {
			t.Fatal(err)
		}
		shared, err := f.MemberDH.ECDH(peer)
		if err != nil {
			t.Fatal(err)
		}
		pub := f.MemberDH.PublicKey().Bytes()
		k, _ := hkdf.Key(sha256.New, slices.Concat(shared, ephPub, pub), nil, "aura/seal/v1", 32)
		aead, _ := chacha20poly1305.New(k)
		m, err := aead.Open(nil, make([]byte, 12), sealed[32:], nil)
		if err != nil || !bytes.Equal(m, c.KRoot[:]) {
			t.Fatalf("sealed root does not open: %v", err)
		}
	}
}
