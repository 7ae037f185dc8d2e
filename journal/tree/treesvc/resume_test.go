package treesvc

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// setDown marks device i unreachable for the fake sync only (DKG and
// consensus traffic still flows).
func (c *cluster) setDown(i int, down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down[c.devs[i].peer] = down
}

// pendingOf returns device i's pending join of aid, if stored.
func (c *cluster) pendingOf(i int, aid journal.AuthorityID) (PendingJoin, bool) {
	c.t.Helper()
	recs, err := PendingJoins(context.Background(), c.devs[i].d)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, p := range recs {
		if p.Authority == aid {
			return p, true
		}
	}
	return PendingJoin{}, false
}

// TestJoinResumesAfterRestart (SPEC §4.1 step 2, crash-safe): the
// AddLeaf commits and the joiner receives the sealed secret, but its
// Service is closed while it still pulls (the inviter unreachable for
// sync). The pending record holds the reply; a new Service on the same
// stores resumes it: it trusts the inviter, installs the secret, pulls
// until listed, ends in agreement with the inviter holding the applied
// key epoch's secret, and drops the record.
func TestJoinResumesAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 11)
		c := newCluster(t, 2, 10*time.Millisecond, 11)
		defer c.close()
		ctx := context.Background()
		A, J := c.devs[0], c.devs[1]
		aid, err := A.svc.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		replied := make(chan struct{})
		request := func(ctx context.Context) ([]byte, error) {
			rep, err := A.svc.Propose(ctx, aid, Change{Kind: tree.AddLeaf, Add: J.candidate()})
			if err != nil {
				return nil, err
			}
			c.setDown(0, true) // the joiner's pulls fail from now on
			close(replied)
			return rep.Sealed, nil
		}
		joinErr := make(chan error, 1)
		go func() {
			_, err := J.svc.Join(ctx, Ticket{Authority: aid, InviterKey: A.key.pub(), Inviter: A.peer,
				ExpiryMs: time.Now().Add(time.Hour).UnixMilli()}, request)
			joinErr <- err
		}()
		<-replied
		deadline := time.Now().Add(time.Minute)
		for {
			// Join stores the reply, then the DKG's key epoch, then pulls.
			rec, ok := c.pendingOf(1, aid)
			if ok && rec.Sealed != nil && rec.KeyEpoch != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("pending record before the crash: %v %+v", ok, rec)
			}
			c.net.Advance(10 * time.Millisecond)
		}
		c.net.Advance(time.Second) // a few failed pulls
		if _, err := J.svc.State(aid); !errors.Is(err, ErrUnknownAuthority) {
			t.Fatalf("joiner listed before the crash (%v): the test does not cut waitListed", err)
		}
		if err := J.svc.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-joinErr; !errors.Is(err, ErrClosed) {
			t.Fatalf("Join after Close: %v", err)
		}
		c.setDown(0, false)
		c.start(1)
		st := c.converge(aid, 0, 1)
		if _, ok := st.LeafByDevice(J.id()); !ok {
			t.Fatal("resumed joiner not listed")
		}
		want, _ := A.svc.Secrets(aid)
		got, err := J.svc.Secrets(aid)
		if err != nil || string(got[st.KeyEpoch]) != string(want[st.KeyEpoch]) {
			t.Fatalf("resumed joiner's secret of key epoch %d differs (%v)", st.KeyEpoch, err)
		}
		deadline = time.Now().Add(time.Minute)
		for {
			if _, ok := c.pendingOf(1, aid); !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("pending record kept after the joiner was listed")
			}
			c.net.Advance(20 * time.Millisecond)
		}
		// The resumed member takes part in the next {2,2} ceremony.
		if _, err := A.svc.Propose(ctx, aid, Change{Kind: tree.RotateEpoch, NewKey: true}); err != nil {
			t.Fatalf("rotation after the resumed join: %v", err)
		}
		c.converge(aid, 0, 1)
	})
}

// TestJoinCrashBeforeReply: the AddLeaf commits but the joiner's Service
// dies before the inviter's reply arrives. The record has no sealed
// secret, so the restarted Service cannot sync the authority (sync Refs
// need the AuthoritySecret) and the invitation is spent: Start drops the
// record (logging ErrRejoinNeeded), the device stays outside the
// authority, and a re-invite is needed.
func TestJoinCrashBeforeReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 12)
		c := newCluster(t, 2, 10*time.Millisecond, 12)
		defer c.close()
		ctx := context.Background()
		A, J := c.devs[0], c.devs[1]
		aid, err := A.svc.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		request := func(ctx context.Context) ([]byte, error) {
			if _, err := A.svc.Propose(ctx, aid, Change{Kind: tree.AddLeaf, Add: J.candidate()}); err != nil {
				return nil, err
			}
			if _, ok := c.pendingOf(1, aid); !ok {
				t.Error("no pending record while the request runs")
			}
			_ = J.svc.Close() // crash before the reply
			return nil, errors.New("crashed")
		}
		if _, err := J.svc.Join(ctx, Ticket{Authority: aid, InviterKey: A.key.pub(), Inviter: A.peer}, request); err == nil {
			t.Fatal("Join succeeded without the reply")
		}
		// Simulate the crash leaving the record behind (Join's own error
		// path drops it; a killed process does not run it).
		if err := J.svc.savePending(ctx, PendingJoin{Authority: aid, InviterKey: A.key.pub(), Inviter: A.peer}); err != nil {
			t.Fatal(err)
		}
		c.start(1)
		synctest.Wait()
		if _, ok := c.pendingOf(1, aid); ok {
			t.Fatal("record without a sealed secret kept")
		}
		if _, err := J.svc.State(aid); !errors.Is(err, ErrUnknownAuthority) {
			t.Fatalf("joiner without the secret holds the authority: %v", err)
		}
		st, _ := A.svc.State(aid)
		if _, ok := st.LeafByDevice(J.id()); !ok {
			t.Fatal("the inviter's AddLeaf did not commit (the case under test)")
		}
	})
}

// FuzzDecodePending: arbitrary stored bytes never panic; a decoded
// record re-encodes to a record that decodes to the same value.
func FuzzDecodePending(f *testing.F) {
	p := PendingJoin{Authority: journal.AuthorityID{1}, InviterKey: [32]byte{2}, Inviter: "peer",
		Addrs: [][]byte{{4, 127, 0, 0, 1}}, ExpiryMs: 5, Sealed: []byte{6}, KeyEpoch: 7}
	b, _ := EncodePending(p)
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"authority":[1,2]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePending(b)
		if err != nil {
			return
		}
		again, err := EncodePending(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := decodePending(again)
		if err != nil || !reflect.DeepEqual(normPending(p), normPending(q)) {
			t.Fatalf("round trip: %+v vs %+v (%v)", p, q, err)
		}
	})
}

// normPending maps empty slices to nil (omitempty drops them).
func normPending(p PendingJoin) PendingJoin {
	if len(p.Addrs) == 0 {
		p.Addrs = nil
	}
	if len(p.Sealed) == 0 {
		p.Sealed = nil
	}
	return p
}
