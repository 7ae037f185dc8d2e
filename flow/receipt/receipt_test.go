package receipt

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

var (
	ctxSD  = journal.ContextID{0x5d}
	ctxOth = journal.ContextID{0x07}
	srcA   = journal.AuthorityID{0xa0}
	dstB   = journal.AuthorityID{0xb0}
	devA   = journal.DeviceID{0xde}
	secret = []byte("authority-secret-0123456789abcde")
)

func memberKey(label byte) (ed25519.PrivateKey, [32]byte) {
	var seed [32]byte
	seed[0] = label
	k := ed25519.NewKeyFromSeed(seed[:])
	var pub [32]byte
	copy(pub[:], k.Public().(ed25519.PublicKey))
	return k, pub
}

func sample() Receipt {
	ph := PayloadHash("/aura/ctx/1.0.0", []byte("frame"))
	return Receipt{Ctx: ctxSD, Src: srcA, Dst: dstB, Epoch: 3, Cost: 7, Nonce: 0x0102030405060708,
		Prev: Root(ctxSD, ph), PayloadHash: ph}
}

// TestCanonicalLayout pins the SPEC §6.3 field order and widths.
func TestCanonicalLayout(t *testing.T) {
	r := sample()
	r.Sig = [64]byte{0x99}
	var want []byte
	want = append(want, r.Ctx[:]...)
	want = append(want, r.Src[:]...)
	want = append(want, r.Dst[:]...)
	want = binary.BigEndian.AppendUint64(want, r.Epoch)
	want = binary.BigEndian.AppendUint32(want, r.Cost)
	want = binary.BigEndian.AppendUint64(want, r.Nonce)
	want = append(want, r.Prev[:]...)
	want = append(want, r.PayloadHash[:]...)
	if !bytes.Equal(r.Unsigned(), want) {
		t.Fatal("Unsigned layout differs from SPEC §6.3")
	}
	want = append(want, r.Sig[:]...)
	if !bytes.Equal(r.Canonical(), want) || len(want) != Size {
		t.Fatalf("Canonical layout differs (len %d, Size %d)", len(want), Size)
	}
	if r.SigningHash() != canon.H("aura/flow-receipt/v1", r.Unsigned()) {
		t.Fatal("SigningHash tag or framing changed")
	}
	if r.Hash() != canon.HPlain(want) {
		t.Fatal("Hash must be H(receipt)")
	}
	got, err := Decode(want)
	if err != nil || got != r {
		t.Fatalf("Decode round trip: %+v %v", got, err)
	}
}

func TestDecodeLength(t *testing.T) {
	r := sample()
	c := r.Canonical()
	for _, in := range [][]byte{nil, c[:Size-1], append(c, 0)} {
		if _, err := Decode(in); !errors.Is(err, ErrMalformed) {
			t.Fatalf("len %d: err = %v", len(in), err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	k, _ := memberKey(1)
	r := sample()
	r.Sig = [64]byte{}
	f.Add(r.Canonical())
	r.Sign(k)
	f.Add(r.Canonical())
	f.Add([]byte{})
	f.Add(make([]byte, Size+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(b)
		if err != nil {
			if len(b) == Size {
				t.Fatal("refused a Size-byte input")
			}
			return
		}
		if !bytes.Equal(got.Canonical(), b) {
			t.Fatal("round trip changed the bytes")
		}
	})
}

func TestSignVerify(t *testing.T) {
	k, pub := memberKey(1)
	_, other := memberKey(2)
	r := sample()
	r.Sign(k)
	if !r.VerifySig(pub) || r.VerifySig(other) {
		t.Fatal("signature must verify under the signer's key only")
	}
	// Flipping any byte of the canonical form breaks the signature.
	c := r.Canonical()
	for i := range c {
		m := bytes.Clone(c)
		m[i] ^= 0x80
		mr, _ := Decode(m)
		if mr.VerifySig(pub) {
			t.Fatalf("tampered byte %d still verifies", i)
		}
	}
}

func TestNonce(t *testing.T) {
	k := budget.Key{Ctx: ctxSD, Dst: dstB, Epoch: 3, Slot: 1}
	base := Nonce(secret, k, devA, 100)
	if Nonce(secret, k, devA, 100) != base {
		t.Fatal("nonce not deterministic")
	}
	h := canon.H("aura/receipt-nonce/v1", secret, ctxSD[:], dstB[:],
		binary.BigEndian.AppendUint64(nil, 3), devA[:], binary.BigEndian.AppendUint16(nil, 1),
		binary.BigEndian.AppendUint64(nil, 100))
	if base != binary.BigEndian.Uint64(h[:8]) {
		t.Fatal("nonce derivation differs from SPEC §6.3")
	}
	k2 := k
	k2.Slot = 0
	k3 := k
	k3.Epoch = 4
	k4 := k
	k4.Dst = srcA
	k5 := k
	k5.Ctx = ctxOth
	for name, n := range map[string]uint64{
		"spent":  Nonce(secret, k, devA, 101),
		"device": Nonce(secret, k, journal.DeviceID{0xdf}, 100),
		"slot":   Nonce(secret, k2, devA, 100),
		"epoch":  Nonce(secret, k3, devA, 100),
		"dst":    Nonce(secret, k4, devA, 100),
		"ctx":    Nonce(secret, k5, devA, 100),
		"secret": Nonce([]byte("other"), k, devA, 100),
	} {
		if n == base {
			t.Errorf("nonce ignores %s", name)
		}
	}
}

func BenchmarkSignVerify(b *testing.B) {
	k, pub := memberKey(1)
	r := sample()
	for b.Loop() {
		r.Nonce++
		r.Sign(k)
		if !r.VerifySig(pub) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkSign(b *testing.B) {
	k, _ := memberKey(1)
	r := sample()
	for b.Loop() {
		r.Nonce++
		r.Sign(k)
	}
}
