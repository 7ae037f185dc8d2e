package treesvc

import (
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/journal"
)

// gatedSync counts catch-up pulls; each blocks until release is closed
// (or its context ends), like a slow or malicious sync peer.
type gatedSync struct {
	release chan struct{}
	mu      sync.Mutex
	pulls   int
}

func (g *gatedSync) SetSecrets(context.Context, journal.Namespace, [][]byte) error { return nil }

func (g *gatedSync) Pull(ctx context.Context, _ journal.Namespace, _ peer.ID) error {
	g.mu.Lock()
	g.pulls++
	g.mu.Unlock()
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gatedSync) count() int { g.mu.Lock(); defer g.mu.Unlock(); return g.pulls }

// TestBogusStartFloodBounded: an outsider that knows the AuthorityId
// floods a member with DKGStarts signed by a key it lists itself. Starts
// at a parent not ahead of ours are refused without any pull; starts
// claiming a parent ahead trigger at most one catch-up pull per
// catchUpInterval, never two at once, and every other Authorise call
// returns at once (no handler goroutine waits on the pull). A start by a
// current leaf still gets its own catch-up while the outsiders' pull is
// in flight.
func TestBogusStartFloodBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 11)
		c := newCluster(t, 1, 10*time.Millisecond, 11)
		defer c.close()
		V := c.devs[0]
		aid, err := V.svc.Create(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_ = V.svc.Close()
		g := &gatedSync{release: make(chan struct{})}
		defer func() {
			select {
			case <-g.release:
			default:
				close(g.release)
			}
		}()
		svc, err := New(Config{Device: V.key, Self: V.peer, Sender: V.snd, Journal: V.j, Datastore: V.d,
			Peers: c.peers, Syncer: g})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		V.svc = svc
		st, err := svc.State(aid)
		if err != nil {
			t.Fatal(err)
		}

		outsider := ed25519.NewKeyFromSeed(make([]byte, 32))
		opub := [32]byte(outsider.Public().(ed25519.PublicKey))
		members := []dkgsvc.StartMember{{ID: V.id(), FrostID: 1, SignKey: V.key.pub(), DHKey: V.key.dhPub()},
			{ID: journal.DeviceIDOf(opub), FrostID: 2, SignKey: opub, DHKey: [32]byte{9}}}
		ns := journal.AuthorityNS(aid).Bytes()
		mkBy := func(key ed25519.PrivateKey, parentEpoch uint64, nonce byte) dkgsvc.Start {
			s := dkgsvc.NewStart(ns, st.KeyEpoch+1, parentEpoch, [32]byte{0xbb}, 2, members, [32]byte{nonce})
			s.Sign(key)
			if err := s.Verify(); err != nil {
				t.Fatal(err)
			}
			s.From = peer.ID("evil")
			return s
		}
		mk := func(parentEpoch uint64, nonce byte) dkgsvc.Start { return mkBy(outsider, parentEpoch, nonce) }
		const flood = 50
		// flood runs n Authorise calls concurrently and returns how many
		// have returned once every goroutine of the bubble is blocked.
		results := make(chan error, 4*flood)
		flood1 := func(parentEpoch uint64) int {
			for i := range flood {
				go func() { results <- svc.authorise(mk(parentEpoch, byte(i))) }()
			}
			synctest.Wait()
			return len(results)
		}
		drain := func(n int) {
			for range n {
				if err := <-results; err == nil {
					t.Fatal("a bogus DKGStart was authorised")
				}
			}
		}

		// Stale or current parent, unknown proposer: no pull at all.
		if got := flood1(st.Epoch); got != flood || g.count() != 0 {
			t.Fatalf("stale-parent flood: %d of %d returned, %d pulls (want all, 0)", got, flood, g.count())
		}
		for range flood {
			if err := <-results; !errors.Is(err, ErrNotMember) {
				t.Fatalf("stale-parent bogus start: %v, want ErrNotMember", err)
			}
		}

		// Parent "ahead": one pull in flight, everyone else refused at once.
		if got := flood1(st.Epoch + 3); got != flood-1 || g.count() != 1 {
			t.Fatalf("ahead flood: %d of %d returned while one pull blocks, %d pulls (want %d, 1)",
				got, flood, g.count(), flood-1)
		}
		drain(flood - 1)
		// A current leaf's start (here V's own key) at a parent we do not
		// hold is not starved by the outsiders' pull in flight.
		go func() { results <- svc.authorise(mkBy(V.key.Key, st.Epoch, 0xff)) }()
		synctest.Wait()
		if len(results) != 0 || g.count() != 2 {
			t.Fatalf("member start while the outsiders' pull blocks: %d returned, %d pulls (want 0, 2)",
				len(results), g.count())
		}
		close(g.release)
		synctest.Wait()
		drain(2)

		// Within catchUpInterval of that pull: still no further pull.
		time.Sleep(catchUpInterval / 2)
		if got := flood1(st.Epoch + 3); got != flood || g.count() != 2 {
			t.Fatalf("flood within the interval: %d returned, %d pulls (want %d, 2)", got, g.count(), flood)
		}
		drain(flood)

		// After the interval: exactly one more.
		time.Sleep(catchUpInterval)
		if got := flood1(st.Epoch + 3); got != flood || g.count() != 3 {
			t.Fatalf("flood after the interval: %d returned, %d pulls (want %d, 3)", got, g.count(), flood)
		}
		drain(flood)
	})
}
