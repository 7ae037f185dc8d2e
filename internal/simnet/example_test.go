package simnet_test

// This file is the template to copy: a protocol service (here a toy
// "collect votes" round) driven on simnet inside a synctest bubble, then
// checked for invariants. Replace the toy service with the real one built
// on the node's p2p.Transport.

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/p2p"
)

const voteProto protocol.ID = "/aura/example-vote/1.0.0"

// voter answers every proposal frame with a vote frame.
func voter(tr p2p.Transport) {
	tr.Handle(voteProto, func(s p2p.Stream) {
		defer s.Close()
		prop, err := s.ReadFrame()
		if err != nil {
			_ = s.Reset()
			return
		}
		_ = s.WriteFrame(append([]byte("vote:"), prop...))
	})
}

// collect asks every peer for a vote and returns who answered before ctx
// ended. Each peer gets its own goroutine, as a real driver would; the
// result channel is the driver's single owner of state.
func collect(ctx context.Context, tr p2p.Transport, peers []peer.ID) map[peer.ID]bool {
	type vote struct {
		from peer.ID
		ok   bool
	}
	votes := make(chan vote, len(peers))
	for _, p := range peers {
		go func() {
			s, err := tr.Open(ctx, p, voteProto)
			if err != nil {
				votes <- vote{p, false}
				return
			}
			defer s.Close()
			if s.WriteFrame([]byte("proposal")) != nil {
				votes <- vote{p, false}
				return
			}
			_, err = s.ReadFrame()
			votes <- vote{p, err == nil}
		}()
	}
	got := map[peer.ID]bool{}
	for range peers {
		select {
		case v := <-votes:
			if v.ok {
				got[v.from] = true
			}
		case <-ctx.Done():
			return got
		}
	}
	return got
}

func TestExampleVoteRound(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		synctest.Test(t, func(t *testing.T) {
			// 1. Seed everything: simnet draws from Config.Seed; code that
			// reads crypto/rand (frost, keys) from SetGlobalRandom (SPEC §16).
			cryptotest.SetGlobalRandom(t, uint64(seed))
			net := simnet.New(simnet.Config{
				Seed: seed, Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond,
				DropRate: 0.05, Reorder: true,
			})
			defer net.Close() // resets streams, waits for every handler

			// 2. Nodes with stable IDs, 3. services on each node's Transport.
			nodes := net.AddNodes(5)
			peers := net.Peers()
			for _, nd := range nodes {
				voter(nd)
			}

			// 4. Faults: isolate node 4 for this round.
			net.Isolate(peers[4])

			// 5. Drive: the round runs in virtual time; ctx bounds it.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			votes := collect(ctx, nodes[0], peers[1:])

			// 6. Let in-flight traffic settle, then check invariants.
			if err := net.RunUntilQuiet(time.Minute); err != nil {
				t.Fatal(err)
			}
			if votes[peers[4]] {
				t.Fatalf("seed %d: isolated node voted", seed)
			}
			if len(votes) < 2 && net.Stats(peers[0]).Dropped == 0 {
				t.Fatalf("seed %d: only %d votes without any loss", seed, len(votes))
			}
			if elapsed := net.Elapsed(); elapsed > time.Second {
				t.Fatalf("seed %d: round took %v of virtual time", seed, elapsed)
			}
			t.Logf("seed %d: %d votes in %v virtual, trace %x", seed, len(votes), net.Elapsed(), net.TraceHash())
		})
	}
}

// TestExampleHealAfterPartition shows partition → heal and a stream that
// was in flight across the cut failing with p2p.ErrStreamReset.
func TestExampleHealAfterPartition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := simnet.New(simnet.Config{Seed: 1, Latency: 10 * time.Millisecond})
		defer net.Close()
		nodes := net.AddNodes(2)
		a, b := nodes[0], nodes[1]
		read := make(chan error, 1)
		b.Handle(voteProto, func(s p2p.Stream) {
			for {
				if _, err := s.ReadFrame(); err != nil {
					read <- err
					return
				}
			}
		})
		s, err := a.Open(context.Background(), b.Self(), voteProto)
		if err != nil {
			t.Fatal(err)
		}
		net.Advance(20 * time.Millisecond) // the open has arrived
		_ = s.WriteFrame([]byte("crossing"))
		net.Partition([]peer.ID{a.Self()}, []peer.ID{b.Self()})
		if err := <-read; !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("in-flight frame across the cut: %v", err)
		}
		net.Heal()
		s2, err := a.Open(context.Background(), b.Self(), voteProto)
		if err != nil {
			t.Fatal(err)
		}
		_ = s2.WriteFrame([]byte("after heal"))
		_ = s2.CloseWrite()
		if err := <-read; !errors.Is(err, io.EOF) {
			t.Fatalf("after heal: %v", err)
		}
	})
}
