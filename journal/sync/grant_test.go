package sync

import (
	"context"
	"errors"
	"testing"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// TestGrantCoversOnlyItsCredit: at I, a Symbols frame without a receipt
// is admitted only while it lies within the credit the last admitted
// grant paid for; a frame reaching past it (R skipped a grant's charge
// after a More) is reset as errNoReceipt, and so is any receipt-less
// Symbols frame before the first grant or at R.
func TestGrantCoversOnlyItsCredit(t *testing.T) {
	fx := journaltest.NewStaticContext("grant-cover", 2)
	var d ds.Batching = dssync.MutexWrap(ds.NewMapDatastore())
	tr := &nullTransport{self: "grant-self"}
	snd, err := flow.New(tr, d, senderState(fx, fx.Founders[0], bigLimit), flow.Config{})
	if err != nil {
		t.Fatal(err)
	}
	syms := func(first uint32, n int) Symbols { return Symbols{First: first, Syms: make([]riblt.Symbol, n)} }
	cases := []struct {
		name      string
		initiator bool
		grants    uint32
		covered   uint64
		f         Symbols
		ok        bool
	}{
		{"within first grant", true, 1, 64, syms(0, 64), true},
		{"tail of first grant", true, 1, 64, syms(60, 4), true},
		{"past the grant", true, 1, 64, syms(64, 1), false},
		{"straddles the grant", true, 1, 64, syms(60, 5), false},
		{"within second grant", true, 2, 96, syms(64, 32), true},
		{"no grant yet", true, 0, 0, syms(0, 1), false},
		{"responder", false, 1, 64, syms(0, 1), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := snd.Open(context.Background(), "grant-peer", protocols.Sync)
			if err != nil {
				t.Fatal(err)
			}
			g := &sessionGuard{snd: snd, st: st, ctx: context.Background(), cid: fx.ID,
				peer: fx.Founders[1].Authority, initiator: c.initiator, mode: ModeReconcile,
				grants: c.grants, covered: c.covered}
			err = g.admitFrame(c.f, c.covered+1024)
			if c.ok {
				if err != nil || tr.last.reset != 0 {
					t.Fatalf("covered frame refused: %v (resets %d)", err, tr.last.reset)
				}
				return
			}
			if !errors.Is(err, errNoReceipt) || !errors.Is(err, ErrDenied) || tr.last.reset == 0 {
				t.Fatalf("uncovered frame: err %v, resets %d; want errNoReceipt and a reset", err, tr.last.reset)
			}
		})
	}
}
