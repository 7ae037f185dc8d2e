package dkgsvc

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/bytemare/ecc"
	"github.com/bytemare/secret-sharing/keys"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/frostxtest"
	"github.com/aura-p2p/aura-p2p/journal"
)

// TestShareSealedAtRest: the share stored in pebble is sealed — neither
// the KeyShare encoding nor its secret scalar appears in the value or in
// any file of the data dir — and opens with the right device seed only.
func TestShareSealedAtRest(t *testing.T) {
	cfg, shares, err := frostxtest.Keygen(3, 5, 11)
	if err != nil {
		t.Fatal(err)
	}
	res := dkg.Result{Self: 2, GroupKey: cfg.GroupKey, VerShares: cfg.VerShares, KeyShare: shares[1]}
	sess := dkg.Session{Namespace: testNS, KeyEpoch: 4, Threshold: 3}
	ns, _ := NamespaceOf(testNS)
	dir := t.TempDir()
	d, err := journal.OpenPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	dev := deviceKey(1)
	ctx := context.Background()
	if err := storeShare(ctx, d, ShareKey(ns, 4), sess, res, dev.Seed()); err != nil {
		t.Fatal(err)
	}
	raw, err := d.Get(ctx, ShareKey(ns, 4))
	if err != nil {
		t.Fatal(err)
	}
	secret := secretOf(t, res.KeyShare)
	if bytes.Contains(raw, res.KeyShare) || bytes.Contains(raw, secret) {
		t.Fatal("stored value contains the plaintext share")
	}
	got, err := LoadShare(ctx, d, ns, 4, dev.Seed())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.KeyShare, res.KeyShare) || got.GroupKey != res.GroupKey || got.Threshold != 3 ||
		!maps.Equal(got.VerShares, res.VerShares) {
		t.Fatal("loaded share differs")
	}
	if _, err := got.Signer(); err != nil {
		t.Fatalf("loaded share does not build a signer: %v", err)
	}
	if _, err := LoadShare(ctx, d, ns, 4, deviceKey(2).Seed()); !errors.Is(err, frostx.ErrSealedShare) {
		t.Fatalf("wrong seed: %v, want ErrSealedShare", err)
	}
	if _, err := LoadShare(ctx, d, ns, 5, dev.Seed()); !errors.Is(err, ErrStore) {
		t.Fatalf("missing epoch: %v, want ErrStore", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	scanDir(t, dir, secret)
}

func secretOf(t *testing.T, share []byte) []byte {
	t.Helper()
	ks := keys.NewKeyShareReceiver(ecc.Edwards25519Sha512)
	if err := ks.Decode(share); err != nil {
		t.Fatal(err)
	}
	return ks.SecretKey().Encode()
}

// scanDir fails if any file under dir contains needle.
func scanDir(t *testing.T, dir string, needle []byte) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, needle) {
			t.Errorf("%s contains the secret share", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestShareKey(t *testing.T) {
	ns := journal.Namespace{Kind: journal.KindContext, ID: [16]byte{0xab, 0xcd}}
	want := "/aura/k/2/abcd0000000000000000000000000000/00000000000000000007"
	if got := ShareKey(ns, 7).String(); got != want {
		t.Fatalf("ShareKey = %s, want %s", got, want)
	}
	if _, err := NamespaceOf([]byte{3, 1}); err == nil {
		t.Fatal("bad namespace accepted")
	}
}

// TestDecodeRecordRejects: truncated or foreign records are ErrStore.
func TestDecodeRecordRejects(t *testing.T) {
	good := encodeRecord(2, [32]byte{1}, map[uint16][32]byte{1: {2}, 2: {3}}, make([]byte, 40))
	for name, b := range map[string][]byte{
		"empty":     nil,
		"version":   append([]byte{9}, good[1:]...),
		"truncated": good[:40],
		"zero n":    append(append([]byte{}, good[:35]...), 0),
	} {
		if _, _, err := decodeRecord(b); !errors.Is(err, ErrStore) {
			t.Errorf("%s: %v, want ErrStore", name, err)
		}
	}
	s, sealed, err := decodeRecord(good)
	if err != nil || len(sealed) != 40 || s.VerShares[2] != [32]byte{3} {
		t.Fatalf("good record: %v", err)
	}
}
