package receipt

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Context schedule used by the verifier tests: epoch e starts at
// 1 000 000 + e·300 000 ms.
var sched = budget.ContextSchedule(1_000_000, 300_000)

func clockAt(current uint64, sinceStartMs uint64) Clock {
	return Clock{Current: current, Schedule: sched, NowMs: sched.Start(current) + sinceStartMs}
}

type fixture struct {
	key  ed25519.PrivateKey
	pub  [32]byte
	v    Verifier
	book Book
}

func newFixture() *fixture {
	k, pub := memberKey(1)
	return &fixture{key: k, pub: pub, v: NewVerifier(DefaultConfig())}
}

// direct builds a signed first-hop receipt for payload at epoch and the
// matching Expect.
func (f *fixture) direct(epoch uint64, nonce uint64, payload string) (Receipt, Expect) {
	ph := PayloadHash("/aura/ctx/1.0.0", []byte(payload))
	cost, _ := budget.SizeCost(len(payload))
	r := Receipt{Ctx: ctxSD, Src: srcA, Dst: dstB, Epoch: epoch, Cost: cost, Nonce: nonce,
		Prev: Root(ctxSD, ph), PayloadHash: ph}
	r.Sign(f.key)
	return r, Direct(ctxSD, dstB, f.pub, cost, ph)
}

// TestVerifyOutcomes is SPEC §16.20: each bad-receipt kind is refused with
// its own outcome, and nothing but an accepted receipt yields a Delta.
func TestVerifyOutcomes(t *testing.T) {
	f := newFixture()
	_, otherPub := memberKey(2)
	seen, _ := f.direct(5, 42, "seen")
	f.book.Apply(Delta{Key: WindowKey{Ctx: ctxSD, Src: srcA, Epoch: 5}, Nonce: seen.Nonce, Cost: seen.Cost})
	type mut func(r *Receipt, x *Expect, c *Clock, limit *uint64)
	resign := func(r *Receipt) { r.Sign(f.key) }
	cases := []struct {
		name string
		m    mut
		want Outcome
	}{
		{"accepted", func(*Receipt, *Expect, *Clock, *uint64) {}, Accepted},
		{"epoch e-2", func(r *Receipt, _ *Expect, _ *Clock, _ *uint64) { r.Epoch = 3; resign(r) }, StaleEpoch},
		{"replayed nonce", func(r *Receipt, _ *Expect, _ *Clock, _ *uint64) { r.Nonce = 42; resign(r) }, Replay},
		{"wrong dst", func(r *Receipt, _ *Expect, _ *Clock, _ *uint64) { r.Dst = srcA; resign(r) }, WrongDst},
		{"bad signature", func(r *Receipt, _ *Expect, _ *Clock, _ *uint64) { r.Sig[5] ^= 1 }, BadSig},
		{"field altered after signing", func(r *Receipt, _ *Expect, _ *Clock, _ *uint64) { r.Nonce++ }, BadSig},
		{"wrong member key", func(_ *Receipt, x *Expect, _ *Clock, _ *uint64) { x.SrcKey = otherPub }, BadSig},
		{"unknown src key", func(_ *Receipt, x *Expect, _ *Clock, _ *uint64) { x.SrcKey = [32]byte{} }, BadSig},
		{"mismatched cost", func(r *Receipt, _ *Expect, _ *Clock, _ *uint64) { r.Cost++; resign(r) }, BadChain},
		{"payload mismatch", func(_ *Receipt, x *Expect, _ *Clock, _ *uint64) { x.PayloadHash[0] ^= 1 }, BadChain},
		{"broken prev", func(r *Receipt, _ *Expect, _ *Clock, _ *uint64) { r.Prev[0] ^= 1; resign(r) }, BadChain},
		{"foreign ctx", func(r *Receipt, _ *Expect, _ *Clock, _ *uint64) { r.Ctx = ctxOth; resign(r) }, ForeignCtx},
		{"over limit", func(r *Receipt, _ *Expect, _ *Clock, l *uint64) { *l = uint64(seen.Cost+r.Cost) - 1 }, OverLimit},
		{"exactly at limit", func(r *Receipt, _ *Expect, _ *Clock, l *uint64) { *l = uint64(seen.Cost + r.Cost) }, Accepted},
		{"prev epoch in grace", func(_ *Receipt, _ *Expect, c *Clock, _ *uint64) { *c = clockAt(6, 29_999) }, Accepted},
		{"prev epoch after grace", func(_ *Receipt, _ *Expect, c *Clock, _ *uint64) { *c = clockAt(6, 30_000) }, StaleEpoch},
		{"next epoch in skew", func(_ *Receipt, _ *Expect, c *Clock, _ *uint64) { *c = clockAt(4, 270_000) }, Accepted},
		{"next epoch beyond skew", func(_ *Receipt, _ *Expect, c *Clock, _ *uint64) { *c = clockAt(4, 269_999) }, StaleEpoch},
		{"epoch e+2", func(_ *Receipt, _ *Expect, c *Clock, _ *uint64) { *c = clockAt(3, 299_999) }, StaleEpoch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, x := f.direct(5, 1000, "payload")
			clk, limit := clockAt(5, 1), uint64(10_000)
			c.m(&r, &x, &clk, &limit)
			o, d := f.book.Verify(f.v, &r, x, clk, limit)
			if o != c.want {
				t.Fatalf("outcome %s, want %s", o, c.want)
			}
			if (d != Delta{}) != (o == Accepted) {
				t.Fatalf("delta %+v with outcome %s", d, o)
			}
			if o == Accepted && (d.Nonce != r.Nonce || d.Cost != r.Cost || d.Key.Epoch != r.Epoch) {
				t.Fatalf("delta %+v does not match receipt", d)
			}
			if err := o.Err(); (err == nil) != (o == Accepted) || (err != nil && !errors.Is(err, ErrRejected)) {
				t.Fatalf("Err() = %v", err)
			}
		})
	}
}

func TestNextEpochAdvance(t *testing.T) {
	f := newFixture()
	r, x := f.direct(5, 1, "p")
	o, d := f.book.Verify(f.v, &r, x, clockAt(4, 290_000), 10_000)
	if o != Accepted || !d.Advance {
		t.Fatalf("next-epoch receipt: %s advance=%v", o, d.Advance)
	}
	o, d = f.book.Verify(f.v, &r, x, clockAt(5, 0), 10_000)
	if o != Accepted || d.Advance {
		t.Fatalf("current-epoch receipt: %s advance=%v", o, d.Advance)
	}
}

// TestReplayAndLimitAcrossApply: a receipt accepted and applied is a
// replay the second time; the accepted-cost sum never exceeds the limit.
func TestReplayAndLimitAcrossApply(t *testing.T) {
	f := newFixture()
	const limit = 100
	var sum uint64
	for n := range uint64(60) {
		r, x := f.direct(5, n, "0123456789")
		o, d := f.book.Verify(f.v, &r, x, clockAt(5, 0), limit)
		switch o {
		case Accepted:
			f.book.Apply(d)
			sum += uint64(d.Cost)
			f.book.Apply(d) // idempotent
			if o2, _ := f.book.Verify(f.v, &r, x, clockAt(5, 0), limit); o2 != Replay {
				t.Fatalf("second delivery: %s", o2)
			}
		case OverLimit:
		default:
			t.Fatalf("nonce %d: %s", n, o)
		}
	}
	w := f.book.Window(WindowKey{Ctx: ctxSD, Src: srcA, Epoch: 5})
	if sum != 100 || w.Accepted() != sum {
		t.Fatalf("accepted %d (window %d), want exactly the limit 100", sum, w.Accepted())
	}
}

func TestBookRollover(t *testing.T) {
	var b Book
	for e := uint64(0); e < 5; e++ {
		b.Apply(Delta{Key: WindowKey{Ctx: ctxSD, Src: srcA, Epoch: e}, Nonce: 1, Cost: 1})
	}
	b.Rollover(4)
	for e := uint64(0); e < 5; e++ {
		kept := b.Window(WindowKey{Ctx: ctxSD, Src: srcA, Epoch: e}).Seen(1)
		if kept != (e >= 3) {
			t.Fatalf("epoch %d kept=%v after Rollover(4)", e, kept)
		}
	}
}

func TestOutcomeLabels(t *testing.T) {
	want := []string{"accepted", "bad_sig", "bad_chain", "stale_epoch", "replay", "over_limit", "foreign_ctx", "wrong_dst"}
	got := Outcomes()
	if len(got) != len(want) {
		t.Fatalf("%d outcomes", len(got))
	}
	for i, o := range got {
		if o.String() != want[i] {
			t.Fatalf("outcome %d label %q, want %q", i, o, want[i])
		}
		if o.Misbehaviour() != (o == BadSig || o == BadChain) {
			t.Fatalf("%s misbehaviour flag wrong", o)
		}
	}
	if Outcome(200).String() != "unknown" {
		t.Fatal("out-of-range label")
	}
}

// TestMultiHopChain: S→R₁→R₂→D (SPEC §7.3, §16.21 at the receipt level).
// Each hop is in its own context with its own member key; every hop
// verifies its receipt alone (hop-local, Prev unchecked), D verifies r₀
// rooted in ctx_SD, and an auditor holding consecutive receipts checks
// Prev = H(previous). Altering a receipt or the payload is caught by the
// next check that covers it.
func TestMultiHopChain(t *testing.T) {
	v := NewVerifier(DefaultConfig())
	ids := []journal.AuthorityID{{0x50}, {0x51}, {0x52}, {0xd0}} // S, R1, R2, D
	ctxs := []journal.ContextID{{0x01}, {0x12}, {0x2d}}          // S-R1, R1-R2, R2-D
	ctxSD := journal.ContextID{0x5d}
	body := []byte("end-to-end body")
	inner := []byte("sealed inner envelope")
	clk := clockAt(5, 0)

	kS, pubS := memberKey(0x50)
	r0 := Receipt{Ctx: ctxSD, Src: ids[0], Dst: ids[3], Epoch: 5, Cost: 2, Nonce: 9,
		PayloadHash: PayloadHash("body", body)}
	r0.Prev = Root(ctxSD, r0.PayloadHash)
	r0.Sign(kS)

	hops := make([]Receipt, 3)
	pubs := make([][32]byte, 3)
	prev := r0.Hash()
	for j := range 3 {
		k, pub := memberKey(0x50 + byte(j))
		pubs[j] = pub
		hops[j] = Receipt{Ctx: ctxs[j], Src: ids[j], Dst: ids[j+1], Epoch: 5, Cost: 2, Nonce: uint64(j),
			Prev: prev, PayloadHash: PayloadHash("inner", inner)}
		hops[j].Sign(k)
		prev = hops[j].Hash()
	}
	hopExpect := func(j int) Expect {
		return Expect{Ctx: ctxs[j], Self: ids[j+1], SrcKey: pubs[j], Cost: 2,
			PayloadHash: PayloadHash("inner", inner)}
	}
	for j := range 3 {
		if o, _ := v.Verify(&hops[j], hopExpect(j), clk, &MemWindow{}, 10_000); o != Accepted {
			t.Fatalf("hop %d: %s", j, o)
		}
	}
	// D verifies r₀ rooted in its own context with S.
	rootX := Direct(ctxSD, ids[3], pubS, 2, PayloadHash("body", body))
	if o, _ := v.Verify(&r0, rootX, clk, &MemWindow{}, 10_000); o != Accepted {
		t.Fatalf("r0 at D: %s", o)
	}
	// Audit of the chain links.
	links := append([]Receipt{r0}, hops...)
	for j := 1; j < len(links); j++ {
		x := hopExpect(j - 1)
		x.Prev, x.CheckPrev = links[j-1].Hash(), true
		if o, _ := v.CheckChain(&links[j], x, clk); o != Accepted {
			t.Fatalf("link %d: %s", j, o)
		}
	}
	// Tampering: a forwarded receipt altered in flight, an altered
	// payload, an r₀ not rooted in ctx_SD, a broken link.
	bad := hops[1]
	bad.Cost = 3
	if o, _ := v.Verify(&bad, hopExpect(1), clk, &MemWindow{}, 10_000); o != BadSig {
		t.Fatalf("altered hop receipt: %s", o)
	}
	x := hopExpect(2)
	x.PayloadHash = PayloadHash("inner", []byte("altered"))
	if o, _ := v.Verify(&hops[2], x, clk, &MemWindow{}, 10_000); o != BadChain {
		t.Fatalf("altered payload: %s", o)
	}
	rootX.Prev = Root(ctxs[0], r0.PayloadHash)
	if o, _ := v.Verify(&r0, rootX, clk, &MemWindow{}, 10_000); o != BadChain {
		t.Fatalf("r0 rooted elsewhere: %s", o)
	}
	x = hopExpect(1)
	x.Prev, x.CheckPrev = r0.Hash(), true // skips hop 0
	if o, _ := v.CheckChain(&hops[1], x, clk); o != BadChain {
		t.Fatalf("skipped link: %s", o)
	}
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture()
	r, x := f.direct(5, 1, "payload")
	clk := clockAt(5, 0)
	w := &MemWindow{}
	for b.Loop() {
		if o, _ := f.v.Verify(&r, x, clk, w, 10_000); o != Accepted {
			b.Fatal(o)
		}
	}
}
