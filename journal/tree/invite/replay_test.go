package invite

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// wantResult fails unless res is the fixture's JoinResult at epoch.
func wantResult(t *testing.T, what string, res result, epoch uint64) {
	t.Helper()
	if res.err != nil || !bytes.Equal(res.sealed, sealedFixture()) || res.epoch != epoch {
		t.Fatalf("%s: %v, epoch %d, want the stored result at epoch %d", what, res.err, res.epoch, epoch)
	}
}

// wantRefused fails unless res is a reset refusal.
func wantRefused(t *testing.T, what string, res result) {
	t.Helper()
	if !errors.Is(res.err, ErrRefused) || !errors.Is(res.err, p2p.ErrStreamReset) {
		t.Fatalf("%s: %v, want ErrRefused by reset", what, res.err)
	}
}

// TestJoinReplaySameDevice: the device that used the invite asks again
// (its daemon died before the reply) and gets the same JoinResult without
// a new ceremony; another device with a valid MAC is refused.
func TestJoinReplaySameDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &fakeJoin{sealed: sealedFixture(), epoch: 4}
		w := newWorld(t, 3, j, nil)
		defer w.close()
		inv := w.add(1)
		c := candidate(1, w.nodes[1].Self())
		wantResult(t, "first", w.request(1, inv, c), 4)
		wantResult(t, "again", w.request(1, inv, c), 4)
		wantResult(t, "third", w.request(1, inv, c), 4)
		wantRefused(t, "other device", w.request(2, inv, candidate(2, w.nodes[2].Self())))
		// Same peer, other keys: not the same device.
		other := c
		other.DHKey[0] ^= 1
		wantRefused(t, "same peer, other DH key", w.request(1, inv, other))
		if n := len(j.list()); n != 1 {
			t.Fatalf("OnJoin called %d times, want 1", n)
		}
		_, ref, joined := w.met.snapshot()
		if joined != 1 || ref[ReasonUsed] != 2 {
			t.Fatalf("joined %d refused %v", joined, ref)
		}
	})
}

// TestJoinReplayAfterInviterRestart: the inviter's registry is reopened
// from its store between the two requests; the stored JoinResult is
// still answered and the new Service's OnJoin is never called.
func TestJoinReplayAfterInviterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3, &fakeJoin{sealed: sealedFixture(), epoch: 7}, nil)
		defer w.close()
		inv := w.add(1)
		c := candidate(1, w.nodes[1].Self())
		wantResult(t, "first", w.request(1, inv, c), 7)
		j2 := &fakeJoin{sealed: bytes.Repeat([]byte{9}, SealedSecretLen), epoch: 99}
		w.restartInviter(j2)
		wantResult(t, "after restart", w.request(1, inv, c), 7)
		wantRefused(t, "other device after restart", w.request(2, inv, candidate(2, w.nodes[2].Self())))
		if n := len(j2.list()); n != 0 {
			t.Fatalf("OnJoin called %d times after the restart", n)
		}
	})
}

// TestJoinDuplicateWaitsForCeremony: a second request of the same device
// while its ceremony runs waits for it and gets the same result; OnJoin
// runs once. If the ceremony fails, the waiting duplicate is refused.
func TestJoinDuplicateWaitsForCeremony(t *testing.T) {
	for _, fail := range []bool{false, true} {
		name := map[bool]string{false: "ok", true: "ceremony fails"}[fail]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				j := &fakeJoin{sealed: sealedFixture(), epoch: 5, delay: 90 * time.Second}
				if fail {
					j.err = errors.New("dkg timeout")
				}
				w := newWorld(t, 2, j, nil)
				defer w.close()
				inv := w.add(1)
				c := candidate(1, w.nodes[1].Self())
				first := w.requestAsync(1, inv, c)
				time.Sleep(10 * time.Second) // virtual: the first ceremony is running
				synctest.Wait()
				if n := len(j.list()); n != 1 {
					t.Fatalf("OnJoin calls %d while the first runs", n)
				}
				second := w.requestAsync(1, inv, c)
				r1, r2 := w.wait(first), w.wait(second)
				if fail {
					wantRefused(t, "first", r1)
					wantRefused(t, "duplicate", r2)
				} else {
					wantResult(t, "first", r1, 5)
					wantResult(t, "duplicate", r2, 5)
				}
				if n := len(j.list()); n != 1 {
					t.Fatalf("OnJoin called %d times, want 1", n)
				}
			})
		})
	}
}

// TestRegistryAdmit covers Admit, Complete and Release directly:
// same-device wait and replay, other device ErrUsed, a released
// admission without a result ErrUsed, and the replay surviving a reopen.
func TestRegistryAdmit(t *testing.T) {
	ctx := context.Background()
	r, d := memRegistry(t)
	inv := mint(t, 1, simnet.PeerID(0), t0.Add(time.Hour))
	failed := mint(t, 2, simnet.PeerID(0), t0.Add(time.Hour))
	for _, x := range []Invite{inv, failed} {
		if err := r.Add(ctx, x, t0); err != nil {
			t.Fatal(err)
		}
	}
	a, err := r.Admit(ctx, reqFor(inv, 1), t0)
	if err != nil || a.Sealed != nil || a.Wait != nil || !equalInvite(a.Invite, inv) {
		t.Fatalf("fresh admission: %+v %v", a, err)
	}
	w, err := r.Admit(ctx, reqFor(inv, 1), t0)
	if err != nil || w.Wait == nil {
		t.Fatalf("duplicate while running: %+v %v, want Wait", w, err)
	}
	if _, err := r.Admit(ctx, reqFor(inv, 2), t0); !errors.Is(err, ErrUsed) {
		t.Fatalf("other device while running: %v", err)
	}
	if err := r.Complete(ctx, a.Key, sealedFixture(), 3); err != nil {
		t.Fatal(err)
	}
	r.Release(a.Key)
	r.Release(a.Key) // idempotent
	select {
	case <-w.Wait:
	default:
		t.Fatal("Release did not wake the waiter")
	}
	f, err := r.Admit(ctx, reqFor(failed, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	r.Release(f.Key) // the ceremony failed: no Complete
	if _, err := r.Admit(ctx, reqFor(failed, 1), t0); !errors.Is(err, ErrUsed) {
		t.Fatalf("same device after a failed ceremony: %v, want ErrUsed", err)
	}
	r2, err := OpenRegistry(ctx, d, RegistryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range []*Registry{r, r2} {
		got, err := reg.Admit(ctx, reqFor(inv, 1), t0)
		if err != nil || !bytes.Equal(got.Sealed, sealedFixture()) || got.KeyEpoch != 3 {
			t.Fatalf("replay: %+v %v", got, err)
		}
		if _, err := reg.Admit(ctx, reqFor(inv, 2), t0); !errors.Is(err, ErrUsed) {
			t.Fatalf("other device: %v", err)
		}
		if _, err := reg.Consume(ctx, reqFor(inv, 1), t0); !errors.Is(err, ErrUsed) {
			t.Fatalf("strict Consume of a used invite: %v", err)
		}
	}
}

// TestRegistryUsedGrace: a used invite with a stored result is replayed
// until ExpiryMs+UsedGrace, then ErrExpired, and Prune deletes it only
// then; pending and result-less used invites go at ExpiryMs; a running
// admission is never pruned.
func TestRegistryUsedGrace(t *testing.T) {
	ctx := context.Background()
	_, d := memRegistry(t)
	r, err := OpenRegistry(ctx, d, RegistryConfig{UsedGrace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	done := mint(t, 1, simnet.PeerID(0), t0.Add(time.Minute))
	running := mint(t, 2, simnet.PeerID(0), t0.Add(time.Minute))
	pending := mint(t, 3, simnet.PeerID(0), t0.Add(time.Minute))
	for _, x := range []Invite{done, running, pending} {
		if err := r.Add(ctx, x, t0); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := r.Admit(ctx, reqFor(done, 1), t0)
	if err := r.Complete(ctx, a.Key, sealedFixture(), 2); err != nil {
		t.Fatal(err)
	}
	r.Release(a.Key)
	run, err := r.Admit(ctx, reqFor(running, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	inGrace := t0.Add(time.Minute + 30*time.Minute)
	if err := r.Prune(ctx, inGrace); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 { // pending pruned; done (grace) and running kept
		t.Fatalf("%d records in the grace period, want 2", r.Len())
	}
	if got, err := r.Admit(ctx, reqFor(done, 1), inGrace); err != nil || got.Sealed == nil {
		t.Fatalf("replay in the grace period: %v", err)
	}
	after := t0.Add(time.Minute + time.Hour + time.Millisecond)
	if _, err := r.Admit(ctx, reqFor(done, 1), after); !errors.Is(err, ErrExpired) {
		t.Fatalf("replay after the grace period: %v, want ErrExpired", err)
	}
	r.Release(run.Key)
	if err := r.Prune(ctx, after); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Fatalf("%d records after the grace period", r.Len())
	}
}

// TestRecordCodec: v2 records round-trip in every state; v1 records
// still load (a used v1 record has no candidate and is never replayed).
func TestRecordCodec(t *testing.T) {
	inv := mint(t, 1, simnet.PeerID(0), t0.Add(time.Hour))
	c := candidate(1, simnet.PeerID(1))
	for _, rec := range []*record{
		{inv: inv},
		{inv: inv, used: true},
		{inv: inv, used: true, cand: &c},
		{inv: inv, used: true, cand: &c, sealed: sealedFixture(), epoch: 9},
	} {
		k := recordKey(inv.SecretHash()).String()
		got, _, err := decodeRecord(k, encodeRecord(rec))
		if err != nil || got.used != rec.used || !equalInvite(got.inv, inv) || !bytes.Equal(got.sealed, rec.sealed) ||
			got.epoch != rec.epoch || (rec.cand != nil) != (got.cand != nil) || (got.cand != nil && *got.cand != c) {
			t.Fatalf("round trip of %+v: %+v %v", rec, got, err)
		}
	}
	v1 := append([]byte{recordV1, stateUsed}, inv.canonical()...)
	got, _, err := decodeRecord(recordKey(inv.SecretHash()).String(), v1)
	if err != nil || !got.used || got.cand != nil {
		t.Fatalf("v1 record: %+v %v", got, err)
	}
}

// FuzzDecodeRecord: stored bytes never panic; a decoded record
// re-encodes to bytes that decode to the same record.
func FuzzDecodeRecord(f *testing.F) {
	inv := mint(f, 1, simnet.PeerID(0), t0.Add(time.Hour))
	c := candidate(1, simnet.PeerID(1))
	key := recordKey(inv.SecretHash()).String()
	f.Add(encodeRecord(&record{inv: inv}))
	f.Add(encodeRecord(&record{inv: inv, used: true, cand: &c, sealed: sealedFixture(), epoch: 9}))
	f.Add(append([]byte{recordV1, stateUsed}, inv.canonical()...))
	f.Add(encodeRecord(&record{inv: inv, used: true}))
	f.Add([]byte{2, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, _, err := decodeRecord(key, b)
		if err != nil {
			return
		}
		again, _, err := decodeRecord(key, encodeRecord(rec))
		if err != nil || again.used != rec.used || !bytes.Equal(again.sealed, rec.sealed) || again.epoch != rec.epoch {
			t.Fatalf("re-decode: %+v vs %+v (%v)", again, rec, err)
		}
	})
}
