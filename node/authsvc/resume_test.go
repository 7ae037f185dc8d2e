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

// TestDaemonJoinPendingRecord: two real daemons. After a device.join the
// joiner holds no pending-join record; re-using the spent code fails
// with the re-invite advice; a record left by a join cut before the
// inviter's reply (no sealed secret) is dropped at the next start, and
// one of an authority the device is listed in is dropped too (the
// treesvc resume tests cover the resumption itself).
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

	err = j.call(ctx, control.MethodDeviceJoin, control.DeviceJoinParams{Code: inv.Code}, nil)
	if err == nil || !strings.Contains(err.Error(), "new invitation") {
		t.Fatalf("re-used code: %v, want the re-invite advice", err)
	}
	t.Logf("re-used code: %v", err)

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
	put(treesvc.PendingJoin{Authority: other, InviterKey: inviterKey, Inviter: a.n.ID()})
	put(treesvc.PendingJoin{Authority: aid, InviterKey: inviterKey, Inviter: a.n.ID(), Sealed: []byte{1}})
	j.restart()
	connectAll(t, a, j)
	recs, err := treesvc.PendingJoins(ctx, j.n.Datastore())
	if err != nil || len(recs) != 0 {
		t.Fatalf("pending joins after restart: %v %+v", err, recs)
	}
	if _, err := j.n.Datastore().Get(ctx, treesvc.PendingJoinKey(other)); !errors.Is(err, ds.ErrNotFound) {
		t.Fatalf("secretless record: %v", err)
	}
	agree(ctx, t, cr.AuthorityID, 2, a, j)
}
