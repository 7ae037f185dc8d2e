package invite

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

func TestJoinHappyPathThenReuseRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &fakeJoin{sealed: sealedFixture(), epoch: 4, delay: 90 * time.Second} // a slow ceremony
		w := newWorld(t, 3, j, nil)
		defer w.close()
		inv := w.add(1)
		c := candidate(1, w.nodes[1].Self())
		code := inv.Code()
		parsed, err := ParseCode(code) // the joiner only has the code
		if err != nil {
			t.Fatal(err)
		}
		res := w.request(1, parsed, c)
		if res.err != nil || !bytes.Equal(res.sealed, sealedFixture()) || res.epoch != 4 {
			t.Fatalf("join: %v, epoch %d", res.err, res.epoch)
		}
		// Both frames were guarded sends charged to the senders' own
		// per-device authority-scope budgets (50 units, MsgDKG).
		epoch := budget.DeviceSchedule().EpochAt(uint64(time.Now().UnixMilli()))
		joinerKey := budget.Key{Ctx: budgetCtx(testAuthority), Dst: deviceDst(inv.InviterKey), Epoch: epoch}
		inviterKey := budget.Key{Ctx: budgetCtx(testAuthority), Dst: deviceDst(c.DeviceKey), Epoch: epoch}
		if sp, err := w.snd[1].Executor().Spent(context.Background(), joinerKey); err != nil || sp != 50 {
			t.Fatalf("joiner charge %d (%v), want 50", sp, err)
		}
		if sp, err := w.snd[0].Executor().Spent(context.Background(), inviterKey); err != nil || sp != 50 {
			t.Fatalf("inviter charge %d (%v), want 50", sp, err)
		}
		calls := j.list()
		if len(calls) != 1 || calls[0].c != c || !equalInvite(calls[0].inv, inv) {
			t.Fatalf("OnJoin calls %+v, want one with the candidate", calls)
		}
		// The same code from another device: refused, OnJoin not called
		// (the same device gets its result again: TestJoinReplaySameDevice).
		res = w.request(2, parsed, candidate(2, w.nodes[2].Self()))
		if !errors.Is(res.err, ErrRefused) || !errors.Is(res.err, p2p.ErrStreamReset) {
			t.Fatalf("reuse: %v, want ErrRefused by reset", res.err)
		}
		if n := len(j.list()); n != 1 {
			t.Fatalf("OnJoin called %d times", n)
		}
		mis, ref, joined := w.met.snapshot()
		if joined != 1 || ref[ReasonUsed] != 1 || len(mis) != 0 {
			t.Fatalf("metrics: joined %d refused %v misbehaviour %v", joined, ref, mis)
		}
	})
}

// TestJoinRefusals: each bad request ends in a reset the joiner sees as
// ErrRefused; OnJoin runs only in the OnJoin-error case.
func TestJoinRefusals(t *testing.T) {
	cases := []struct {
		name   string
		join   func() *fakeJoin                  // nil: answers with sealedFixture
		prep   func(w *world, inv Invite) Invite // the joiner's copy of the invite
		calls  int
		reason string // Metrics.Refused reason, or
		kind   string // Metrics.Misbehaviour kind
	}{
		{name: "wrong MAC", prep: func(w *world, inv Invite) Invite { inv.Secret[3] ^= 1; return inv }, kind: KindBadMAC},
		{name: "unknown invite", prep: func(w *world, _ Invite) Invite {
			return mint(w.t, 9, w.nodes[0].Self(), time.Now().Add(time.Hour))
		}, kind: KindBadMAC},
		{name: "expired", prep: func(w *world, inv Invite) Invite { time.Sleep(2 * time.Hour); return inv }, reason: ReasonExpired},
		{name: "OnJoin error", join: func() *fakeJoin { return &fakeJoin{err: errors.New("dkg timeout")} }, calls: 1, reason: ReasonJoin},
		{name: "bad sealed secret", join: func() *fakeJoin { return &fakeJoin{sealed: []byte{1, 2, 3}} }, calls: 1, reason: ReasonJoin},
		{name: "join timeout", join: func() *fakeJoin { return &fakeJoin{block: true} }, calls: 1, reason: ReasonJoin},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				j := &fakeJoin{sealed: sealedFixture()}
				if tc.join != nil {
					j = tc.join()
				}
				w := newWorld(t, 2, j, nil)
				defer w.close()
				inv := w.add(1)
				if tc.prep != nil {
					inv = tc.prep(w, inv)
				}
				start := time.Now()
				res := w.request(1, inv, candidate(1, w.nodes[1].Self()))
				if !errors.Is(res.err, ErrRefused) || !errors.Is(res.err, p2p.ErrStreamReset) {
					t.Fatalf("joiner: %v, want ErrRefused by reset", res.err)
				}
				if n := len(j.list()); n != tc.calls {
					t.Fatalf("OnJoin called %d times, want %d", n, tc.calls)
				}
				if j.block && time.Since(start) < DefaultJoinTimeout {
					t.Fatalf("blocked ceremony refused after %v, before JoinTimeout", time.Since(start))
				}
				mis, ref, joined := w.met.snapshot()
				if joined != 0 {
					t.Fatal("counted a join")
				}
				if tc.kind != "" && (mis[tc.kind] != 1 || len(w.rep.list()) != 1) {
					t.Fatalf("misbehaviour %v reports %v, want one %s", mis, w.rep.list(), tc.kind)
				}
				if tc.reason != "" && (ref[tc.reason] != 1 || len(mis) != 0) {
					t.Fatalf("refused %v misbehaviour %v, want one %s and no point", ref, mis, tc.reason)
				}
			})
		})
	}
}

// rawExchange opens a raw (unguarded, test-only) stream from node i to
// the inviter, writes frames and reports how the stream ended.
func rawExchange(t *testing.T, w *world, i int, frames ...[]byte) error {
	t.Helper()
	st, err := w.nodes[i].Open(context.Background(), w.nodes[0].Self(), protocols.Invite)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := st.WriteFrame(f); err != nil {
			return err
		}
	}
	ch := make(chan error, 1)
	go func() { _, err := st.ReadFrame(); ch <- err }()
	select {
	case err := <-ch:
		synctest.Wait()
		return err
	case <-time.After(time.Hour):
		t.Fatal("no answer")
		return nil
	}
}

func TestJoinPeerIDMismatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &fakeJoin{sealed: sealedFixture()}
		w := newWorld(t, 3, j, nil)
		defer w.close()
		inv := w.add(1)
		// Node 1 sends a valid request made for node 2's peer id.
		f, _ := EncodeJoinRequest(NewJoinRequest(inv, candidate(2, w.nodes[2].Self())))
		if err := rawExchange(t, w, 1, f); !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("mismatched peer id: %v, want a reset", err)
		}
		mis, _, _ := w.met.snapshot()
		if mis[KindPeerMismatch] != 1 || len(j.list()) != 0 {
			t.Fatalf("misbehaviour %v, OnJoin calls %d", mis, len(j.list()))
		}
		// The invite was not spent: node 2 itself can still use it.
		res := w.request(2, inv, candidate(2, w.nodes[2].Self()))
		if res.err != nil {
			t.Fatalf("invite spent by a mismatched request: %v", res.err)
		}
		// Request refuses a candidate that is not the sender's own peer.
		if _, _, err := Request(context.Background(), w.snd[1], inv, candidate(2, w.nodes[2].Self())); !errors.Is(err, ErrConfig) {
			t.Fatalf("Request with a foreign peer: %v, want ErrConfig", err)
		}
	})
}

// TestJoinGarbageFrames: every undecodable frame resets the stream and
// costs the sender one misbehaviour point; nothing panics, OnJoin never
// runs, and the pending invite stays usable.
func TestJoinGarbageFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &fakeJoin{sealed: sealedFixture()}
		w := newWorld(t, 2, j, nil)
		defer w.close()
		inv := w.add(1)
		n := 0
		for name, f := range badJoinFrames(t) {
			if len(f) > protocols.MaxInviteFrame {
				continue // the transport refuses to send it (oversize: TestHandlerTransportErrors)
			}
			if err := rawExchange(t, w, 1, f); !errors.Is(err, p2p.ErrStreamReset) {
				t.Fatalf("%s: %v, want a reset", name, err)
			}
			n++
		}
		mis, _, _ := w.met.snapshot()
		if mis[KindUndecodable] != n || len(w.rep.list()) != n || len(j.list()) != 0 {
			t.Fatalf("misbehaviour %v reports %d, want %d undecodable; OnJoin %d", mis, len(w.rep.list()), n, len(j.list()))
		}
		for _, r := range w.rep.list() {
			if want := w.nodes[1].Self().String() + " " + string(protocols.Invite) + " " + KindUndecodable; r != want {
				t.Fatalf("report %q, want %q", r, want)
			}
		}
		if res := w.request(1, inv, candidate(1, w.nodes[1].Self())); res.err != nil {
			t.Fatalf("invite lost to garbage: %v", res.err)
		}
	})
}

func TestJoinReadTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 2, &fakeJoin{}, func(c *Config) { c.ReadTimeout = 5 * time.Second })
		defer w.close()
		start := time.Now()
		if err := rawExchange(t, w, 1); !errors.Is(err, p2p.ErrStreamReset) {
			t.Fatalf("silent joiner: %v, want a reset", err)
		}
		if d := time.Since(start); d < 5*time.Second || d > 6*time.Second {
			t.Fatalf("reset after %v, want ReadTimeout 5s", d)
		}
		if _, ref, _ := w.met.snapshot(); ref[ReasonTimeout] != 1 {
			t.Fatalf("refused %v", ref)
		}
	})
}

func TestRequestContextDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &fakeJoin{block: true}
		w := newWorld(t, 2, j, nil)
		defer w.close()
		inv := w.add(1)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _, err := Request(ctx, w.snd[1], inv, candidate(1, w.nodes[1].Self()))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Request: %v, want the ctx deadline", err)
		}
	})
}

func TestCloseCancelsJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &fakeJoin{block: true}
		w := newWorld(t, 2, j, nil)
		defer w.net.Close()
		inv := w.add(1)
		ch := make(chan result, 1)
		go func() {
			_, _, err := Request(context.Background(), w.snd[1], inv, candidate(1, w.nodes[1].Self()))
			ch <- result{err: err}
		}()
		synctest.Wait()
		time.Sleep(time.Second)
		synctest.Wait()
		if len(j.list()) != 1 {
			t.Fatal("ceremony not running")
		}
		if err := w.svc.Close(); err != nil {
			t.Fatal(err)
		}
		if res := w.wait(ch); !errors.Is(res.err, ErrRefused) {
			t.Fatalf("joiner after Close: %v, want ErrRefused", res.err)
		}
	})
}

func TestMaxInflight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 2, &fakeJoin{}, func(c *Config) { c.MaxInflight = 1; c.ReadTimeout = time.Minute })
		defer w.close()
		// One silent stream holds the only slot; a second is reset at once.
		st, err := w.nodes[1].Open(context.Background(), w.nodes[0].Self(), protocols.Invite)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		time.Sleep(time.Second)
		synctest.Wait()
		start := time.Now()
		if err := rawExchange(t, w, 1); !errors.Is(err, p2p.ErrStreamReset) || time.Since(start) > time.Second {
			t.Fatalf("second stream: %v after %v, want an immediate reset", err, time.Since(start))
		}
		if _, ref, _ := w.met.snapshot(); ref[ReasonBusy] != 1 {
			t.Fatalf("refused %v", ref)
		}
		_ = st.Reset()
	})
}

func TestConfigValidate(t *testing.T) {
	if _, err := NewService(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("empty config: %v", err)
	}
	if _, err := OpenRegistry(context.Background(), nil, RegistryConfig{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("nil datastore: %v", err)
	}
}
