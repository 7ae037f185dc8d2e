package authsvc_test

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
)

// TestDaemonJoinPendingRecord: real daemons. After a device.join the
// joiner holds no pending-join record; the same device joining again
// with the same code succeeds (the inviter's stored reply); another
// device with the spent code fails with the re-invite advice; a record
// left by a join cut before the inviter's reply without a code, or with
// a code the inviter refuses, is dropped at the next start, and one of
// an authority the device is listed in is dropped too (the treesvc
// resume tests cover the resumption itself).
func TestDaemonJoinPendingRecord(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, j := startDaemon(t, "a", 3*time.Second), startDaemon(t, "j", 3*time.Second)
	connectAll(t, a, j)
	var cr control.AuthorityCreateResult
	a.mustCall(ctx, control.MethodAuthorityCreate, nil, &cr)
	var inv control.DeviceInviteResult
	a.mustCall(ctx, control.MethodDeviceInvite, control.DeviceInviteParams{AuthorityID: cr.AuthorityID}, &inv)
	var res control.DeviceJoinResult
	j.mustCall(ctx, control.MethodDeviceJoin, control.DeviceJoinParams{Code: inv.Code}, &res)
	agree(ctx, t, cr.AuthorityID, 2, a, j)
	raw, err := hex.DecodeString(cr.AuthorityID)
	if err != nil || len(raw) != len(journal.AuthorityID{}) {
		t.Fatalf("authority id %q: %v", cr.AuthorityID, err)
	}
	aid := journal.AuthorityID(raw)
	if recs, err := treesvc.PendingJoins(ctx, j.n.Datastore()); err != nil || len(recs) != 0 {
		t.Fatalf("pending joins after a completed join: %v %+v", err, recs)
	}

	// The same device again with the same code: the inviter answers with
	// its stored reply (journal/tree/invite), no second ceremony.
	var again control.DeviceJoinResult
	j.mustCall(ctx, control.MethodDeviceJoin, control.DeviceJoinParams{Code: inv.Code}, &again)
	if again.AuthorityID != cr.AuthorityID {
		t.Fatalf("repeated join: %+v", again)
	}
	agree(ctx, t, cr.AuthorityID, 2, a, j)
	// Another device with the spent code: refused with the re-invite advice.
	k := startDaemon(t, "k", 3*time.Second)
	connectAll(t, a, j, k)
	err = k.call(ctx, control.MethodDeviceJoin, control.DeviceJoinParams{Code: inv.Code}, nil)
	if err == nil || !strings.Contains(err.Error(), "new invitation") {
		t.Fatalf("code used by another device: %v, want the re-invite advice", err)
	}
	t.Logf("re-used code: %v", err)
	if recs, err := treesvc.PendingJoins(ctx, k.n.Datastore()); err != nil || len(recs) != 0 {
		t.Fatalf("pending joins after a refused join: %v %+v", err, recs)
	}

	var other journal.AuthorityID
	other[0] = 0xee
	put := func(p treesvc.PendingJoin) {
		b, err := treesvc.EncodePending(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := j.n.Datastore().Put(ctx, treesvc.PendingJoinKey(p.Authority), b); err != nil {
			t.Fatal(err)
		}
	}
	inviterKey := a.n.Device().Pub()
	var refused journal.AuthorityID
	refused[0] = 0xef
	put(treesvc.PendingJoin{Authority: other, InviterKey: inviterKey, Inviter: a.n.ID()})
	put(treesvc.PendingJoin{Authority: aid, InviterKey: inviterKey, Inviter: a.n.ID(), Sealed: []byte{1}})
	// A secretless record with a code the resume cannot use: re-sent
	// through the ResumeRequest, refused, dropped.
	put(treesvc.PendingJoin{Authority: refused, InviterKey: inviterKey, Inviter: a.n.ID(), Code: "aura-invite-1:bad"})
	j.restart()
	connectAll(t, a, j)
	for {
		recs, err := treesvc.PendingJoins(ctx, j.n.Datastore())
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("pending joins after restart: %+v", recs)
		case <-time.After(50 * time.Millisecond): // real daemons: poll the store
		}
	}
	if _, err := j.n.Datastore().Get(ctx, treesvc.PendingJoinKey(other)); !errors.Is(err, ds.ErrNotFound) {
		t.Fatalf("secretless record: %v", err)
	}
	agree(ctx, t, cr.AuthorityID, 2, a, j)
}
