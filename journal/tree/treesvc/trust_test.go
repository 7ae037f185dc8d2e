package treesvc

import (
	"context"
	"errors"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/journal"
)

// TestJoinerTrustScoped (SPEC §4.1 step 2): a joiner trusts its Ticket's
// InviterKey for DKGStarts of the authority it joins, and only while
// Join runs: the same key proposing for another authority the device
// holds is refused (it is no leaf there), and once Join has returned
// the joined authority's DKGStarts need a current-leaf proposer again.
func TestJoinerTrustScoped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 4)
		c := newCluster(t, 3, 10*time.Millisecond, 4)
		defer c.close()
		ctx := context.Background()
		A, X, J := c.devs[0], c.devs[1], c.devs[2]
		joined, err := A.svc.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		own, err := J.svc.Create(ctx) // J's own single-device authority
		if err != nil {
			t.Fatal(err)
		}
		a, err := J.svc.adopt(joined)
		if err != nil {
			t.Fatal(err)
		}
		J.svc.mu.Lock()
		a.joining = &joining{ticket: Ticket{Authority: joined, InviterKey: X.key.pub(), Inviter: X.peer},
			dkg: make(chan dkgOutcome, 1)}
		J.svc.mu.Unlock()
		members := []dkgsvc.StartMember{
			{ID: X.id(), FrostID: 1, SignKey: X.key.pub(), DHKey: X.key.dhPub()},
			{ID: J.id(), FrostID: 2, SignKey: J.key.pub(), DHKey: J.key.dhPub()}}
		mk := func(aid journal.AuthorityID, ke, pe uint64, pr [32]byte) dkgsvc.Start {
			s := dkgsvc.NewStart(journal.AuthorityNS(aid).Bytes(), ke, pe, pr, 2, members, [32]byte{3})
			s.Sign(X.key.Key)
			if err := s.Verify(); err != nil {
				t.Fatal(err)
			}
			return s
		}
		if err := J.svc.authorise(mk(joined, 1, 0, [32]byte{})); err != nil {
			t.Fatalf("the inviter's DKGStart while joining: %v", err)
		}
		ost, _ := J.svc.State(own)
		if err := J.svc.authorise(mk(own, ost.KeyEpoch+1, ost.Epoch, ost.Root)); !errors.Is(err, ErrNotMember) {
			t.Fatalf("the inviter's key proposing for another authority: %v", err)
		}
		J.svc.mu.Lock()
		a.joining = nil // Join returned
		J.svc.mu.Unlock()
		ents, err := A.j.Store().Entries(ctx, journal.AuthorityNS(joined))
		if err != nil {
			t.Fatal(err)
		}
		J.j.Join(journal.AuthorityNS(joined))
		if err := J.j.Put(ctx, journal.AuthorityNS(joined), ents...); err != nil {
			t.Fatal(err)
		}
		if err := J.svc.refresh(ctx, a); err != nil {
			t.Fatal(err)
		}
		st, _ := J.svc.State(joined)
		if err := J.svc.authorise(mk(joined, st.KeyEpoch+1, st.Epoch, st.Root)); !errors.Is(err, ErrNotMember) {
			t.Fatalf("the inviter's DKGStart after Join returned: %v", err)
		}
	})
}
