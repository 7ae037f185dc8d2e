package invite

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
)

func memRegistry(t *testing.T) (*Registry, ds.Batching) {
	t.Helper()
	d := dssync.MutexWrap(ds.NewMapDatastore())
	r, err := OpenRegistry(context.Background(), d, RegistryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return r, d
}

func reqFor(inv Invite, j byte) JoinRequest {
	return NewJoinRequest(inv, candidate(j, simnet.PeerID(int(j))))
}

func TestRegistryOneUse(t *testing.T) {
	ctx := context.Background()
	r, _ := memRegistry(t)
	inv := mint(t, 1, simnet.PeerID(0), t0.Add(time.Hour))
	if err := r.Add(ctx, inv, t0); err != nil {
		t.Fatal(err)
	}
	got, err := r.Consume(ctx, reqFor(inv, 1), t0)
	if err != nil || !equalInvite(got, inv) {
		t.Fatalf("first use: %v", err)
	}
	// A second use, even by another candidate with a valid MAC, is refused.
	if _, err := r.Consume(ctx, reqFor(inv, 2), t0); !errors.Is(err, ErrUsed) {
		t.Fatalf("second use: %v, want ErrUsed", err)
	}
	if err := r.Add(ctx, inv, t0); !errors.Is(err, ErrExists) {
		t.Fatalf("re-adding a used invite: %v, want ErrExists", err)
	}
	if n := len(r.Pending(t0)); n != 0 {
		t.Fatalf("%d pending after use", n)
	}
}

// TestRegistryOneUseAcrossRestart uses Pebble on disk and reopens it.
func TestRegistryOneUseAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := journal.OpenPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenRegistry(ctx, d, RegistryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	used := mint(t, 1, simnet.PeerID(0), t0.Add(time.Hour))
	kept := mint(t, 2, simnet.PeerID(0), t0.Add(time.Hour))
	for _, inv := range []Invite{used, kept} {
		if err := r.Add(ctx, inv, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Consume(ctx, reqFor(used, 1), t0); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = journal.OpenPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r, err = OpenRegistry(ctx, d, RegistryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 {
		t.Fatalf("%d records after restart, want 2", r.Len())
	}
	if _, err := r.Consume(ctx, reqFor(used, 1), t0); !errors.Is(err, ErrUsed) {
		t.Fatalf("used invite after restart: %v, want ErrUsed", err)
	}
	got, err := r.Consume(ctx, reqFor(kept, 3), t0)
	if err != nil || !equalInvite(got, kept) {
		t.Fatalf("pending invite after restart: %v", err)
	}
}

func TestRegistryExpiry(t *testing.T) {
	ctx := context.Background()
	r, _ := memRegistry(t)
	inv := mint(t, 1, simnet.PeerID(0), t0.Add(time.Minute))
	if err := r.Add(ctx, inv, t0); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(ctx, mint(t, 2, simnet.PeerID(0), t0.Add(-time.Millisecond)), t0); !errors.Is(err, ErrExpired) {
		t.Fatalf("adding an expired invite: %v, want ErrExpired", err)
	}
	// Exactly at ExpiryMs it still works; one millisecond later it does not.
	late := t0.Add(time.Minute + time.Millisecond)
	if _, err := r.Consume(ctx, reqFor(inv, 1), late); !errors.Is(err, ErrExpired) {
		t.Fatalf("consume after expiry: %v, want ErrExpired", err)
	}
	if r.Len() != 1 || len(r.Pending(late)) != 0 {
		t.Fatalf("expired record: len %d pending %d", r.Len(), len(r.Pending(late)))
	}
	if err := r.Prune(ctx, late); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Fatalf("%d records after prune", r.Len())
	}
	if _, err := r.Consume(ctx, reqFor(inv, 1), late); !errors.Is(err, ErrUnknown) {
		t.Fatalf("consume after prune: %v, want ErrUnknown", err)
	}
	edge := mint(t, 3, simnet.PeerID(0), t0.Add(time.Minute))
	if err := r.Add(ctx, edge, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Consume(ctx, reqFor(edge, 1), t0.Add(time.Minute)); err != nil {
		t.Fatalf("consume at ExpiryMs: %v", err)
	}
}

func TestRegistryUnknownMACLeavesInvitePending(t *testing.T) {
	ctx := context.Background()
	r, _ := memRegistry(t)
	inv := mint(t, 1, simnet.PeerID(0), t0.Add(time.Hour))
	if err := r.Add(ctx, inv, t0); err != nil {
		t.Fatal(err)
	}
	bad := reqFor(inv, 1)
	bad.MAC[0] ^= 1
	if _, err := r.Consume(ctx, bad, t0); !errors.Is(err, ErrUnknown) {
		t.Fatalf("bad MAC: %v, want ErrUnknown", err)
	}
	if _, err := r.Consume(ctx, reqFor(inv, 1), t0); err != nil {
		t.Fatalf("the invite was spent by a bad MAC: %v", err)
	}
}

func TestRegistryFullAndPruneOnAdd(t *testing.T) {
	ctx := context.Background()
	d := dssync.MutexWrap(ds.NewMapDatastore())
	r, err := OpenRegistry(ctx, d, RegistryConfig{MaxPending: 2})
	if err != nil {
		t.Fatal(err)
	}
	short := mint(t, 1, simnet.PeerID(0), t0.Add(time.Minute))
	for _, inv := range []Invite{short, mint(t, 2, simnet.PeerID(0), t0.Add(time.Hour))} {
		if err := r.Add(ctx, inv, t0); err != nil {
			t.Fatal(err)
		}
	}
	third := mint(t, 3, simnet.PeerID(0), t0.Add(time.Hour))
	if err := r.Add(ctx, third, t0); !errors.Is(err, ErrFull) {
		t.Fatalf("third: %v, want ErrFull", err)
	}
	if err := r.Add(ctx, third, t0.Add(2*time.Minute)); err != nil { // short expired: pruned first
		t.Fatalf("after expiry: %v", err)
	}
	if err := r.Revoke(ctx, third.SecretHash()); err != nil || r.Len() != 1 {
		t.Fatalf("revoke: %v, len %d", err, r.Len())
	}
	if _, err := r.Consume(ctx, reqFor(third, 1), t0); !errors.Is(err, ErrUnknown) {
		t.Fatalf("revoked invite: %v, want ErrUnknown", err)
	}
}

func TestRegistrySkipsCorruptRecords(t *testing.T) {
	ctx := context.Background()
	r, d := memRegistry(t)
	inv := mint(t, 1, simnet.PeerID(0), t0.Add(time.Hour))
	if err := r.Add(ctx, inv, t0); err != nil {
		t.Fatal(err)
	}
	other := mint(t, 2, simnet.PeerID(0), t0.Add(time.Hour))
	_ = d.Put(ctx, ds.NewKey("/aura/inv/00"), []byte{1, 0, 1, 2})
	// A valid record under the wrong key (not its secret hash).
	_ = d.Put(ctx, recordKey([32]byte{9}), encodeRecord(&record{inv: other}))
	r2, err := OpenRegistry(ctx, d, RegistryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Len() != 1 {
		t.Fatalf("%d records loaded, want 1 (corrupt ones skipped)", r2.Len())
	}
	if _, err := r2.Consume(ctx, reqFor(other, 1), t0); !errors.Is(err, ErrUnknown) {
		t.Fatalf("misfiled record consumed: %v", err)
	}
}

// failingDS fails every batch commit.
type failingDS struct{ ds.Batching }

type failingBatch struct{ ds.Batch }

func (f failingDS) Batch(ctx context.Context) (ds.Batch, error) {
	b, err := f.Batching.Batch(ctx)
	return failingBatch{b}, err
}

func (failingBatch) Commit(context.Context) error { return errors.New("disk full") }

func TestRegistryStoreFailureKeepsInvitePending(t *testing.T) {
	ctx := context.Background()
	d := dssync.MutexWrap(ds.NewMapDatastore())
	r, _ := OpenRegistry(ctx, d, RegistryConfig{})
	inv := mint(t, 1, simnet.PeerID(0), t0.Add(time.Hour))
	if err := r.Add(ctx, inv, t0); err != nil {
		t.Fatal(err)
	}
	r.d = failingDS{d}
	if _, err := r.Consume(ctx, reqFor(inv, 1), t0); !errors.Is(err, ErrStore) {
		t.Fatalf("consume with a failing store: %v, want ErrStore", err)
	}
	if err := r.Add(ctx, mint(t, 2, simnet.PeerID(0), t0.Add(time.Hour)), t0); !errors.Is(err, ErrStore) {
		t.Fatalf("add with a failing store: %v, want ErrStore", err)
	}
	r.d = d
	if _, err := r.Consume(ctx, reqFor(inv, 1), t0); err != nil {
		t.Fatalf("invite lost by the failed write: %v", err)
	}
}

// TestRegistryConcurrentConsume: 16 valid requests for one invite race;
// exactly one wins.
func TestRegistryConcurrentConsume(t *testing.T) {
	ctx := context.Background()
	r, _ := memRegistry(t)
	inv := mint(t, 1, simnet.PeerID(0), t0.Add(time.Hour))
	if err := r.Add(ctx, inv, t0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, used := 0, 0
	for j := range 16 {
		wg.Go(func() {
			_, err := r.Consume(ctx, reqFor(inv, byte(j)), t0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ErrUsed):
				used++
			default:
				t.Errorf("unexpected %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || used != 15 {
		t.Fatalf("wins %d used %d, want 1 and 15", wins, used)
	}
}
