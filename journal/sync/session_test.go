package sync

import (
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

// TestSessionEqual: equal sets take Hello, HelloAck, End only.
func TestSessionEqual(t *testing.T) {
	w := newWorld(1, 500, 0, 0)
	res := w.run(t)
	mustOK(t, w, res, Equal, Equal)
	if res.frames[KindSymbols] != 0 || res.frames[KindEnd] != 1 || len(res.frames) != 2 {
		t.Fatalf("equal round sent %v, want HelloAck and End only", res.frames)
	}
}

// TestSessionDifferences: small and large differences in each direction
// end with identical stores and the right outcome; a difference that fits
// the first window is learned in one round trip.
func TestSessionDifferences(t *testing.T) {
	cases := []struct {
		name            string
		n, rOnly, lOnly int
		iOut, rOut      Outcome
		oneRTT          bool
	}{
		{"local behind", 300, 5, 0, LocalBehind, RemoteBehind, true},
		{"remote behind", 300, 0, 5, RemoteBehind, LocalBehind, true},
		{"diverged small", 1000, 10, 10, Diverged, Diverged, true},
		{"empty local", 0, 40, 0, LocalBehind, RemoteBehind, true},
		{"empty remote", 0, 0, 40, RemoteBehind, LocalBehind, true},
		{"diverged large", 3000, 300, 300, Diverged, Diverged, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(uint64(10+i), c.n, c.rOnly, c.lOnly)
			res := w.run(t)
			mustOK(t, w, res, c.iOut, c.rOut)
			st := res.in.Stats()
			if st.Wanted != c.rOnly || st.Pushed != c.lOnly || st.FactsReceived != c.rOnly {
				t.Fatalf("stats %+v, want %d wanted and received, %d pushed", st, c.rOnly, c.lOnly)
			}
			if c.oneRTT && (res.rtDone != 1 || res.frames[KindMore] != 0) {
				t.Fatalf("difference learned after %d round trips (%d More), want 1", res.rtDone, res.frames[KindMore])
			}
			if !c.oneRTT && res.frames[KindMore] == 0 {
				t.Fatalf("large difference used no More frame: %v", res)
			}
			if d := c.rOnly + c.lOnly; d >= 50 && float64(st.DecodedAt) > 2.0*float64(d) {
				t.Fatalf("decoded after %d symbols for d=%d", st.DecodedAt, d)
			}
		})
	}
}

// TestSessionFallback: past the cap the session ends FellBack and both
// stores are identical; also with an empty responder set (one empty Ids
// frame) and with more ids than one Ids frame holds.
func TestSessionFallback(t *testing.T) {
	cases := []struct {
		name            string
		n, rOnly, lOnly int
	}{
		{"small set big diff", 100, 250, 250},
		{"empty responder", 0, 0, 300},
		{"multi-frame ids", 2500, 1200, 1200},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(uint64(40+i), c.n, c.rOnly, c.lOnly)
			w.iCfg.Config.MaxFactsPerSession, w.rCfg.Config.MaxFactsPerSession = 2000, 2000
			res := w.run(t)
			mustOK(t, w, res, FellBack, FellBack)
			if res.frames[KindFull] != 1 || res.frames[KindIds] == 0 {
				t.Fatalf("no Full/Ids exchange: %v", res)
			}
			if c.name == "multi-frame ids" && res.frames[KindIds] < 2 {
				t.Fatalf("ids fit one frame: %v", res)
			}
		})
	}
}

// TestSessionFactsLimit: at most MaxFactsPerSession entries go each way;
// a second session finishes the job.
func TestSessionFactsLimit(t *testing.T) {
	w := newWorld(50, 200, 30, 20)
	w.iCfg.Config.MaxFactsPerSession, w.rCfg.Config.MaxFactsPerSession = 8, 8
	res := w.run(t)
	if res.iErr != nil || res.rErr != nil || res.in.Stats().Wanted != 8 || res.in.Stats().Pushed != 8 {
		t.Fatalf("first session: %v stats %+v", res, res.in.Stats())
	}
	for round := 0; round < 5 && len(w.iStore) != len(w.rStore); round++ {
		w.iCfg.Set, w.rCfg.Resolver = w.iStore.ids(), withSet(w.rCfg.Resolver, w.rStore.ids())
		w.iCfg.NonceI[1]++
		if res = w.run(t); res.iErr != nil || res.rErr != nil {
			t.Fatalf("round %d: %v", round, res)
		}
	}
	w.iCfg.Set, w.rCfg.Resolver = w.iStore.ids(), withSet(w.rCfg.Resolver, w.rStore.ids())
	mustOK(t, w, w.run(t), Equal, Equal)
}

func withSet(r Resolver, set []journal.EntryID) Resolver {
	rs := r.(resolver)
	rs.served.Set = set
	return rs
}

// TestSessionLargeFacts: entries near the 64 KiB fact limit split into
// one Facts frame each, all within FactsFrameBytes.
func TestSessionLargeFacts(t *testing.T) {
	w := newWorld(60, 10, 0, 0)
	for i := range 3 {
		big := make([]byte, 64<<10)
		big[0] = byte(i)
		w.rStore.ingest([][]byte{big})
	}
	w.rCfg.Resolver = withSet(w.rCfg.Resolver, w.rStore.ids())
	res := w.run(t)
	mustOK(t, w, res, LocalBehind, RemoteBehind)
	for _, f := range res.rToI {
		if fs, ok := f.(Facts); ok {
			if err := checkFacts(fs); err != nil || len(fs.Entries) != 1 {
				t.Fatalf("Facts frame of %d entries: %v", len(fs.Entries), err)
			}
		}
	}
}

// TestSessionPush: ModePush sends ≤ AnnounceMax entries after HelloAck.
func TestSessionPush(t *testing.T) {
	w := newWorld(70, 50, 0, 20)
	w.iCfg.Mode = ModePush
	w.iCfg.Announce = w.iStore.ids()
	res := w.run(t)
	if res.iErr != nil || res.rErr != nil || !res.r.Finished() {
		t.Fatalf("push: %v", res)
	}
	if res.in.Stats().Pushed != 16 || res.r.Stats().FactsReceived != 16 || res.frames[KindSymbols] != 0 {
		t.Fatalf("pushed %d, received %d, want 16: %v", res.in.Stats().Pushed, res.r.Stats().FactsReceived, res)
	}
	if res.in.Outcome() != RemoteBehind || res.r.Outcome() != LocalBehind {
		t.Fatalf("outcomes %v/%v", res.in.Outcome(), res.r.Outcome())
	}
}

// TestSessionBadSymbols: every bad_symbols condition aborts the initiator
// with an error wrapping ErrBadSymbols.
func TestSessionBadSymbols(t *testing.T) {
	foreign := journal.EntryID{0xEE, 0xEE}
	cases := []struct {
		name   string
		tamper func(w *world) func(Frame) Frame
		want   error
	}{
		{"count range", func(*world) func(Frame) Frame {
			return symTamper(func(s *Symbols) { s.Syms[3].Count = -1 })
		}, riblt.ErrCountRange},
		{"index gap", func(*world) func(Frame) Frame {
			return symTamper(func(s *Symbols) { s.First++ })
		}, riblt.ErrIndexGap},
		{"foreign id", func(w *world) func(Frame) Frame {
			k := DeriveKeys(w.iCfg.S, w.iCfg.NonceI, peerI, peerR).Sip
			return symTamper(func(s *Symbols) {
				if s.First == 0 {
					x := [32]byte(foreign)
					s.Syms[0].Sum = xor32(s.Syms[0].Sum, x)
					s.Syms[0].Chk ^= k.Chk(&x)
					s.Syms[0].Count--
				}
			})
		}, riblt.ErrForeignID},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(uint64(80+i), 100, 20, 20)
			w.tamper = c.tamper(w)
			res := w.run(t)
			if !errIs(res.iErr, c.want, ErrBadSymbols) || res.in.Outcome() != Aborted {
				t.Fatalf("initiator error %v outcome %v, want %v", res.iErr, res.in.Outcome(), c.want)
			}
		})
	}
	t.Run("beyond credit", func(t *testing.T) {
		w := newWorld(90, 1000, 300, 300)
		w.rCfg.Config.Window = 512 // R ignores I's credit of 256
		res := w.run(t)
		if !errIs(res.iErr, riblt.ErrBeyondCredit, ErrBadSymbols) {
			t.Fatalf("initiator error %v", res.iErr)
		}
	})
}

func symTamper(fn func(*Symbols)) func(Frame) Frame {
	return func(f Frame) Frame {
		if s, ok := f.(Symbols); ok && len(s.Syms) > 3 {
			s.Syms = append([]riblt.Symbol(nil), s.Syms...)
			fn(&s)
			return s
		}
		return f
	}
}

func xor32(a, b [32]byte) [32]byte {
	for i := range a {
		a[i] ^= b[i]
	}
	return a
}

// TestSessionNonMember: a Hello from a non-member, a removed member, an
// unknown namespace or with a tampered box gets no answer at all: the
// responder returns only a reset decision (error, no frames).
func TestSessionNonMember(t *testing.T) {
	cases := []struct {
		name  string
		setup func(w *world)
	}{
		{"not in roster", func(w *world) { w.iCfg.Signer = newMember(9) }},
		{"removed member", func(w *world) {
			rs := w.rCfg.Resolver.(resolver)
			rs.served.Members = rosterOf(newMember(2)) // I's author 1 removed at R
			w.rCfg.Resolver = rs
		}},
		{"unknown namespace", func(w *world) { w.iCfg.S = DeriveSecret([]byte("other context")) }},
		{"wrong peer binding", func(w *world) { w.rCfg.Remote = []byte("someone else") }},
		{"forged signature", func(w *world) { w.iCfg.Signer = impostor{newMember(1), newMember(9)} }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(uint64(100+i), 50, 1, 1)
			c.setup(w)
			res := w.run(t)
			if !errIs(res.rErr, ErrNotMember) || res.r.Outcome() != Aborted {
				t.Fatalf("responder error %v outcome %v", res.rErr, res.r.Outcome())
			}
			if len(res.rToI) != 0 || len(res.frames) != 0 {
				t.Fatalf("responder answered a non-member: %v", res)
			}
		})
	}
}

// impostor claims one author but signs with another key.
type impostor struct{ claimed, key member }

func (m impostor) Author() [16]byte                { return m.claimed.author }
func (m impostor) Sign(msg []byte) ([]byte, error) { return m.key.Sign(msg) }

// TestSessionOldKeyEpoch: an initiator on an older key epoch R still
// holds is served (R matches Ref under every epoch).
func TestSessionOldKeyEpoch(t *testing.T) {
	w := newWorld(120, 100, 3, 3)
	w.iCfg.S = DeriveSecret([]byte("context key epoch 2"))
	mustOK(t, w, w.run(t), Diverged, Diverged)
}

// TestInitiatorRejectsBadHelloAck: a HelloAck with a wrong Ack, a box
// under the wrong key, or a non-member author is an initiator reset.
func TestInitiatorRejectsBadHelloAck(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(w *world) func(Frame) Frame
	}{
		{"wrong ack", func(*world) func(Frame) Frame {
			return ackTamper(func(a *HelloAck) { a.Ack[0] ^= 1 })
		}},
		{"box bit flip", func(*world) func(Frame) Frame {
			return ackTamper(func(a *HelloAck) { a.Box = append([]byte(nil), a.Box...); a.Box[7] ^= 1 })
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(uint64(130+i), 20, 1, 0)
			w.tamper = c.tamper(w)
			if res := w.run(t); !errIs(res.iErr, ErrNotMember) {
				t.Fatalf("initiator error %v", res.iErr)
			}
		})
	}
	t.Run("responder not a member for I", func(t *testing.T) {
		w := newWorld(140, 20, 1, 0)
		w.iCfg.Members = rosterOf(newMember(1))
		if res := w.run(t); !errIs(res.iErr, ErrNotMember) {
			t.Fatalf("initiator error %v", res.iErr)
		}
	})
}

func ackTamper(fn func(*HelloAck)) func(Frame) Frame {
	return func(f Frame) Frame {
		if a, ok := f.(HelloAck); ok {
			fn(&a)
			return a
		}
		return f
	}
}

// TestSessionUnexpectedFrames: out-of-order frames reset the session.
func TestSessionUnexpectedFrames(t *testing.T) {
	r, err := NewResponder(newWorld(150, 5, 0, 0).rCfg)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := r.Step(More{Credit: 10}); !errIs(err, ErrUnexpectedFrame) || out != nil {
		t.Fatalf("More before Hello: %v %v", out, err)
	}
	if _, err := r.Step(Hello{}); !errIs(err, ErrFinished) {
		t.Fatalf("Step after abort: %v", err)
	}
	in, err := NewInitiator(newWorld(151, 5, 0, 0).iCfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Step(Symbols{}); !errIs(err, ErrUnexpectedFrame) || in.Outcome() != Aborted {
		t.Fatalf("Symbols before Start: %v", err)
	}
}

// TestResponderGrantBound: R serves a More whose grant it can charge
// (≤ MaxGrantSymbols, the most an honest I's Window asks) and refuses a
// larger one with ErrSessionLimit and zero frames, before computing a
// symbol; a Window above MaxGrantSymbols is an invalid Config.
func TestResponderGrantBound(t *testing.T) {
	if MaxGrantSymbols != 2413 {
		t.Fatalf("MaxGrantSymbols = %d, want 2413", MaxGrantSymbols)
	}
	serving := func(t *testing.T) (*Responder, uint64) {
		w := newWorld(170, 6000, 3, 3) // cap ⌈6003/2⌉+64 > W + MaxGrantSymbols
		in, err := NewInitiator(w.iCfg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewResponder(w.rCfg)
		if err != nil {
			t.Fatal(err)
		}
		hello, err := in.Start()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Step(hello[0]); err != nil {
			t.Fatal(err)
		}
		return r, r.Stats().Symbols
	}
	r, sent := serving(t)
	out, err := r.Step(More{Credit: uint32(sent) + MaxGrantSymbols})
	if err != nil || len(out) == 0 || r.Stats().Symbols != sent+MaxGrantSymbols {
		t.Fatalf("largest chargeable grant: %d frames, err %v, sent %d", len(out), err, r.Stats().Symbols)
	}
	r, sent = serving(t)
	out, err = r.Step(More{Credit: uint32(sent) + MaxGrantSymbols + 1})
	if !errIs(err, ErrSessionLimit) || out != nil || r.Stats().Symbols != sent || ResetReason(err) != "oversize" {
		t.Fatalf("oversized grant: %d frames, err %v, sent %d", len(out), err, r.Stats().Symbols)
	}
	c := DefaultConfig()
	c.Window = MaxGrantSymbols + 1
	if err := c.Validate(); !errIs(err, ErrConfig) {
		t.Fatalf("Window %d: %v", c.Window, err)
	}
}
