package sync

import (
	"context"
	"crypto/ed25519"
	"testing"
	"testing/synctest"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
	"testing/cryptotest"
)

// TestUnwantedFactsNotStored: a member responder that slips a valid but
// unrequested entry into its Facts answer is reset with ErrUnwanted, and
// the initiator stores nothing of that frame — the check runs before
// ingress, not after the merge batch.
func TestUnwantedFactsNotStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 13)
		net := simnet.New(simnet.Config{Seed: 13, Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond})
		defer net.Close()
		nodes := net.AddNodes(2)
		fx := journaltest.NewStaticContext("unwanted", 2)
		trs := []p2p.Transport{nodes[0], nodes[1]}
		cfg := DefaultServiceConfig()
		honest := startReplicas(t, fx, trs[:1], cfg, 13, nil)[0]
		defer honest.svc.Close()
		ctx := context.Background()
		if _, err := honest.j.Add(ctx, fx.NS(), time.Now(), journaltest.Raw(fx.DevicePeer(1, []byte(nodes[1].Self()), nil, 1))); err != nil {
			t.Fatal(err)
		}
		if err := honest.svc.Join(ctx, keysOf(fx, 0)); err != nil {
			t.Fatal(err)
		}
		unwanted := journaltest.Raw(fx.Generic(1, 2, []byte("never asked for")))
		ue, err := journal.NewEntry(mustFact(t, unwanted))
		if err != nil {
			t.Fatal(err)
		}
		startSmuggler(t, fx, nodes[1], unwanted)
		net.Advance(4 * cfg.SyncInterval)

		if _, err := honest.j.Get(ctx, fx.NS(), ue.ID); err == nil {
			t.Fatal("the unwanted entry was stored before the session was reset")
		}
		rounds, _, _, _, _ := honest.m.snapshot()
		if rounds["unwanted"] == 0 && rounds["aborted"] == 0 {
			t.Fatalf("no failed round recorded: %v", rounds)
		}
	})
}

func mustFact(t *testing.T, raw []byte) journal.Fact {
	t.Helper()
	f, err := journal.DecodeFact(raw)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// startSmuggler serves member 1 with a real Responder core that appends
// extra in place of the first entry of every Facts frame it sends.
func startSmuggler(t *testing.T, fx *journaltest.StaticContext, nd *simnet.Node, extra []byte) {
	j := memJournal(t, fx.NS())
	own := journaltest.Raw(fx.Generic(1, 1, []byte("wanted")))
	if _, err := j.Add(context.Background(), fx.NS(), time.Now(), journaltest.Raw(fx.Genesis()), own); err != nil {
		t.Fatal(err)
	}
	ids, _ := j.EntryIDs(context.Background(), fx.NS())
	members := memberKeys{}
	for _, f := range fx.Founders {
		members[f.Authority] = f.MemberKey.Public().(ed25519.PublicKey)
	}
	k := keysOf(fx, 1)
	rsv := resolver{secrets: k.Secrets, served: Served{Set: ids, Members: members,
		Entries: journalEntries{ctx: context.Background(), j: j, ns: fx.NS()}, Signer: k.Signer}}
	self := []byte(nd.Self())
	snd := guardedSender(t, nd, senderState(fx, fx.Founders[1], bigLimit), dssync.MutexWrap(ds.NewMapDatastore()))
	snd.Handle(protocols.Sync, func(st *flow.Stream) {
		g := &sessionGuard{snd: snd, st: st, ctx: context.Background()}
		r, err := NewResponder(ResponderConfig{Config: DefaultConfig(), Local: self, Remote: []byte(st.RemotePeer()),
			Resolver: guardedResolver{resolver: rsv, g: g, cid: fx.ID}})
		if err != nil {
			panic(err)
		}
		for {
			raw, err := st.ReadFrame()
			if err != nil {
				return
			}
			f, err := DecodeFrame(raw)
			if err != nil {
				_ = st.Reset()
				return
			}
			if f.Kind() == KindHello {
				g.helloLen = len(raw)
			}
			if g.admitFrame(f, 0) != nil {
				return
			}
			out, err := r.Step(f)
			if err != nil {
				_ = st.Reset()
				return
			}
			for i, o := range out {
				if fs, ok := o.(Facts); ok && len(fs.Entries) > 0 {
					fs.Entries[0] = extra // same count: passes the core's bound
					out[i] = fs
				}
			}
			if g.sendFrames(out, func(int) {}) != nil {
				return
			}
		}
	})
}
