package treesvc

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
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

// startWith is cluster.start with hook run on the new Service before its
// Start (SetResumeRequest must precede Start).
func (c *cluster) startWith(i int, hook func(*Service)) {
	c.t.Helper()
	d := c.devs[i]
	svc, err := New(Config{Device: d.key, Self: d.peer, Sender: d.snd, Journal: d.j, Datastore: d.d,
		Peers: c.peers, Syncer: d.syncer, Metrics: d.met})
	if err != nil {
		c.t.Fatal(err)
	}
	hook(svc)
	if err := svc.Start(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	d.svc = svc
}

// fakeInviter stands in for the invite registry's idempotent answer: it
// runs the AddLeaf once (first) and answers repeats of the same code with
// the stored reply (again), or refuses them (refuse).
type fakeInviter struct {
	mu      sync.Mutex
	sealed  []byte
	epoch   uint64
	adds    int
	repeats int
	refuse  bool
}

func (f *fakeInviter) first(ctx context.Context, c *cluster, aid journal.AuthorityID, j *dev) error {
	rep, err := c.devs[0].svc.Propose(ctx, aid, Change{Kind: tree.AddLeaf, Add: j.candidate()})
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.adds++
	f.sealed, f.epoch = rep.Sealed, rep.KeyEpoch
	return nil
}

func (f *fakeInviter) again(_ context.Context, p PendingJoin) ([]byte, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.repeats++
	if f.refuse || p.Code != testCode || f.sealed == nil {
		return nil, 0, fmt.Errorf("inviter reset: %w", ErrRejoinNeeded)
	}
	return f.sealed, f.epoch, nil
}

func (f *fakeInviter) counts() (adds, repeats int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.adds, f.repeats
}

const testCode = "aura-invite-1:test"

// crashBeforeReply runs a Join whose request commits the AddLeaf and then
// closes the joiner's Service before the reply (a crash): the record
// stays, without the sealed secret, with the code.
func crashBeforeReply(t *testing.T, c *cluster, aid journal.AuthorityID, f *fakeInviter) {
	ctx := context.Background()
	A, J := c.devs[0], c.devs[1]
	J.svc.SetResumeRequest(f.again)
	request := func(ctx context.Context) ([]byte, error) {
		if err := f.first(ctx, c, aid, J); err != nil {
			return nil, err
		}
		if p, ok := c.pendingOf(1, aid); !ok || p.Code != testCode {
			t.Errorf("pending record while the request runs: %v %+v", ok, p)
		}
		_ = J.svc.Close() // crash before the reply
		return nil, errors.New("crashed")
	}
	tk := Ticket{Authority: aid, InviterKey: A.key.pub(), Inviter: A.peer, Code: testCode,
		ExpiryMs: time.Now().Add(time.Hour).UnixMilli()}
	if _, err := J.svc.Join(ctx, tk, request); err == nil {
		t.Fatal("Join succeeded without the reply")
	}
	if p, ok := c.pendingOf(1, aid); !ok || p.Sealed != nil || p.Code != testCode {
		t.Fatalf("record after the crash: %v %+v, want kept without the sealed secret", ok, p)
	}
	st, _ := A.svc.State(aid)
	if _, ok := st.LeafByDevice(J.id()); !ok {
		t.Fatal("the inviter's AddLeaf did not commit (the case under test)")
	}
}

// TestJoinCrashBeforeReply: the AddLeaf commits but the joiner's Service
// dies before the inviter's reply arrives. The record keeps the
// invitation (Ticket.Code) but no sealed secret; the restarted Service
// re-sends the JoinRequest through its ResumeRequest, the inviter answers
// the same device again with the stored reply (no second AddLeaf), and
// the joiner installs the secret, pulls until listed, agrees with the
// inviter, drops the record and takes part in the next {2,2} ceremony.
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
		f := &fakeInviter{}
		crashBeforeReply(t, c, aid, f)
		c.startWith(1, func(s *Service) { s.SetResumeRequest(f.again) })
		st := c.converge(aid, 0, 1)
		if _, ok := st.LeafByDevice(J.id()); !ok {
			t.Fatal("resumed joiner not listed")
		}
		want, _ := A.svc.Secrets(aid)
		got, err := J.svc.Secrets(aid)
		if err != nil || string(got[st.KeyEpoch]) != string(want[st.KeyEpoch]) {
			t.Fatalf("resumed joiner's secret of key epoch %d differs (%v)", st.KeyEpoch, err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			if _, ok := c.pendingOf(1, aid); !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("pending record kept after the joiner was listed")
			}
			c.net.Advance(20 * time.Millisecond)
		}
		if adds, repeats := f.counts(); adds != 1 || repeats != 1 {
			t.Fatalf("AddLeaf ran %d times, request repeated %d times; want 1 and 1", adds, repeats)
		}
		if _, err := A.svc.Propose(ctx, aid, Change{Kind: tree.RotateEpoch, NewKey: true}); err != nil {
			t.Fatalf("rotation after the resumed join: %v", err)
		}
		c.converge(aid, 0, 1)
	})
}

// TestJoinCrashBeforeReplyRefused: as TestJoinCrashBeforeReply, but the
// inviter refuses the repeated request (another device used the code, or
// the result is gone): after resumeRefusals refusals the record is
// dropped (ErrRejoinNeeded) and the device stays outside the authority.
// Without a ResumeRequest the record is dropped at Start at once.
func TestJoinCrashBeforeReplyRefused(t *testing.T) {
	for _, withCallback := range []bool{true, false} {
		t.Run(fmt.Sprint("callback=", withCallback), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cryptotest.SetGlobalRandom(t, 13)
				c := newCluster(t, 2, 10*time.Millisecond, 13)
				defer c.close()
				A, J := c.devs[0], c.devs[1]
				aid, err := A.svc.Create(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				f := &fakeInviter{}
				crashBeforeReply(t, c, aid, f)
				f.mu.Lock()
				f.refuse = true
				f.mu.Unlock()
				c.startWith(1, func(s *Service) {
					if withCallback {
						s.SetResumeRequest(f.again)
					}
				})
				deadline := time.Now().Add(time.Minute)
				for {
					if _, ok := c.pendingOf(1, aid); !ok {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("refused record kept")
					}
					c.net.Advance(50 * time.Millisecond)
				}
				want := 0
				if withCallback {
					want = resumeRefusals
				}
				if _, repeats := f.counts(); repeats != want {
					t.Fatalf("request repeated %d times, want %d", repeats, want)
				}
				if _, err := J.svc.State(aid); !errors.Is(err, ErrUnknownAuthority) {
					t.Fatalf("joiner without the secret holds the authority: %v", err)
				}
			})
		})
	}
}

// TestJoinLostReplyResent: the first request's stream breaks after the
// AddLeaf committed (the reply is lost) while the joiner's Service stays
// up; Join re-sends at once through the ResumeRequest and completes:
// listed, agreeing, one AddLeaf.
func TestJoinLostReplyResent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 14)
		c := newCluster(t, 2, 10*time.Millisecond, 14)
		defer c.close()
		ctx := context.Background()
		A, J := c.devs[0], c.devs[1]
		aid, err := A.svc.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeInviter{}
		J.svc.SetResumeRequest(f.again)
		request := func(ctx context.Context) ([]byte, error) {
			if err := f.first(ctx, c, aid, J); err != nil {
				return nil, err
			}
			return nil, errors.New("stream reset")
		}
		rep, err := J.svc.Join(ctx, Ticket{Authority: aid, InviterKey: A.key.pub(), Inviter: A.peer, Code: testCode}, request)
		if err != nil {
			t.Fatalf("Join after a lost reply: %v", err)
		}
		st := c.converge(aid, 0, 1)
		if _, ok := st.LeafByDevice(J.id()); !ok || rep.Authority != aid {
			t.Fatal("joiner not listed")
		}
		if adds, repeats := f.counts(); adds != 1 || repeats != 1 {
			t.Fatalf("AddLeaf ran %d times, request repeated %d times; want 1 and 1", adds, repeats)
		}
		if _, ok := c.pendingOf(1, aid); ok {
			t.Fatal("pending record kept after Join")
		}
	})
}

// TestJoinAgainAfterLostReply: a first Join's reply is lost (no
// ResumeRequest installed: Join fails and drops its record); the user
// runs the join again with the same code and the inviter answers with
// its stored reply and key epoch (JoinWith). No DKG runs again, and
// JoinWith completes on the reply's key epoch without waiting for one.
func TestJoinAgainAfterLostReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 15)
		c := newCluster(t, 2, 10*time.Millisecond, 15)
		defer c.close()
		ctx := context.Background()
		A, J := c.devs[0], c.devs[1]
		aid, err := A.svc.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeInviter{}
		tk := Ticket{Authority: aid, InviterKey: A.key.pub(), Inviter: A.peer, Code: testCode}
		_, err = J.svc.Join(ctx, tk, func(ctx context.Context) ([]byte, error) {
			if err := f.first(ctx, c, aid, J); err != nil {
				return nil, err
			}
			return nil, errors.New("stream reset")
		})
		if err == nil {
			t.Fatal("Join succeeded without the reply")
		}
		if _, ok := c.pendingOf(1, aid); ok {
			t.Fatal("record kept without a ResumeRequest")
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		rep, err := J.svc.JoinWith(rctx, tk, func(ctx context.Context) ([]byte, uint64, error) {
			return f.again(ctx, PendingJoin{Code: testCode})
		})
		if err != nil {
			t.Fatalf("second Join with the stored reply: %v", err)
		}
		st := c.converge(aid, 0, 1)
		if _, ok := st.LeafByDevice(J.id()); !ok || rep.Authority != aid {
			t.Fatal("joiner not listed")
		}
		if adds, _ := f.counts(); adds != 1 {
			t.Fatalf("AddLeaf ran %d times", adds)
		}
	})
}

// FuzzDecodePending: arbitrary stored bytes never panic; a decoded
// record re-encodes to a record that decodes to the same value.
func FuzzDecodePending(f *testing.F) {
	p := PendingJoin{Authority: journal.AuthorityID{1}, InviterKey: [32]byte{2}, Inviter: "peer",
		Addrs: [][]byte{{4, 127, 0, 0, 1}}, ExpiryMs: 5, Sealed: []byte{6}, KeyEpoch: 7, Code: testCode}
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
