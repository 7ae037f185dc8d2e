package dkgsvc

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"testing"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/frostxtest"
)

// TestStoreShareAtRoundTrip: StoreShareAt/LoadShareAt keep a share at a
// caller's key, sealed (no plaintext share in the value), opening with
// the right seed only, and leave ShareKey untouched.
func TestStoreShareAtRoundTrip(t *testing.T) {
	cfg, shares, err := frostxtest.Keygen(2, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	sh := Share{Threshold: 2, GroupKey: cfg.GroupKey, VerShares: cfg.VerShares, KeyShare: shares[0]}
	d := dssync.MutexWrap(ds.NewMapDatastore())
	ns, _ := NamespaceOf(testNS)
	key := ShareKey(ns, 3).ChildString("kept")
	ctx := context.Background()
	if err := StoreShareAt(ctx, d, key, sh, deviceKey(1).Seed()); err != nil {
		t.Fatal(err)
	}
	raw, _ := d.Get(ctx, key)
	if bytes.Contains(raw, sh.KeyShare) {
		t.Fatal("stored value contains the plaintext share")
	}
	got, err := LoadShareAt(ctx, d, key, deviceKey(1).Seed())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.KeyShare, sh.KeyShare) || got.GroupKey != sh.GroupKey || got.Threshold != 2 ||
		!maps.Equal(got.VerShares, sh.VerShares) {
		t.Fatal("loaded share differs")
	}
	if _, err := LoadShareAt(ctx, d, key, deviceKey(2).Seed()); !errors.Is(err, frostx.ErrSealedShare) {
		t.Fatalf("wrong seed: %v", err)
	}
	if _, err := LoadShare(ctx, d, ns, 3, deviceKey(1).Seed()); !errors.Is(err, ErrStore) {
		t.Fatalf("ShareKey written by StoreShareAt: %v", err)
	}
}
