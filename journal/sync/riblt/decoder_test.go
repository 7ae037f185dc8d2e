package riblt

import (
	"errors"
	"testing"
)

// TestDecodeExactDifference: over many random sets and sizes, decoding
// yields exactly the symmetric difference, split by side.
func TestDecodeExactDifference(t *testing.T) {
	sizes := []struct{ n, d int }{
		{0, 0}, {1, 0}, {1, 1}, {0, 3}, {5, 5}, {10, 1}, {100, 0}, {100, 7},
		{1000, 1}, {1000, 64}, {1000, 300}, {3000, 1000},
	}
	for _, sz := range sizes {
		seeds := uint64(20)
		if sz.d >= 300 || raceEnabled {
			seeds = 4
		}
		for seed := range seeds {
			ts := makeSets(seed, sz.n, sz.d)
			if sz.n == 0 && sz.d == 0 {
				continue
			}
			dec := reconcile(t, ts, 1<<20)
			checkDiff(t, ts, dec)
			if sz.d == 0 && dec.Received() != 1 {
				t.Fatalf("equal sets need 1 symbol, used %d", dec.Received())
			}
		}
	}
}

// TestDecodeStaysDecoded: symbols past the decode point keep D zero.
func TestDecodeStaysDecoded(t *testing.T) {
	ts := makeSets(7, 500, 40)
	dec := reconcile(t, ts, 1<<20)
	at := dec.Received()
	enc := NewEncoder(ts.key, ts.remote)
	for range at {
		enc.Next()
	}
	for range 300 {
		if err := dec.AddSymbol(enc.Next()); err != nil {
			t.Fatal(err)
		}
		if !dec.Decoded() {
			t.Fatalf("lost decoded state at %d", dec.Received())
		}
	}
	checkDiff(t, ts, dec)
	if dec.DecodedAt() != at {
		t.Fatalf("DecodedAt %d, want %d", dec.DecodedAt(), at)
	}
}

// TestEncoderMatchesNaive: the heap encoder equals direct summation over
// each element's mapping.
func TestEncoderMatchesNaive(t *testing.T) {
	ts := makeSets(3, 300, 0)
	const m = 600
	naive := make([]Symbol, m)
	for _, x := range ts.remote {
		chk := ts.key.Chk(&x)
		mp := NewMapping(chk)
		for live := true; live && mp.Index() < m; live = mp.Next() {
			naive[mp.Index()].add(&x, chk, 1)
		}
	}
	enc := NewEncoder(ts.key, ts.remote)
	for i := range m {
		if got := enc.Next(); got != naive[i] {
			t.Fatalf("symbol %d differs", i)
		}
	}
	if Symbol0(ts.key, ts.remote) != naive[0] {
		t.Fatal("Symbol0 differs from C[0]")
	}
}

// TestBadSymbols covers each bad_symbols condition of SPEC §9.
func TestBadSymbols(t *testing.T) {
	ts := makeSets(11, 200, 10)
	newDec := func() (*Decoder, *Encoder) {
		return NewDecoder(ts.key, ts.local, uint64(len(ts.remote))), NewEncoder(ts.key, ts.remote)
	}
	t.Run("index gap", func(t *testing.T) {
		dec, enc := newDec()
		if err := dec.Add(1, []Symbol{enc.Next()}); !errors.Is(err, ErrIndexGap) || !errors.Is(err, ErrBadSymbols) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("beyond credit", func(t *testing.T) {
		dec, enc := newDec()
		dec.SetCredit(2)
		syms := []Symbol{enc.Next(), enc.Next(), enc.Next()}
		if err := dec.Add(0, syms); !errors.Is(err, ErrBeyondCredit) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("count range", func(t *testing.T) {
		for _, c := range []int64{-1, int64(len(ts.remote)) + 1} {
			dec, enc := newDec()
			s := enc.Next()
			s.Count = c
			if err := dec.AddSymbol(s); !errors.Is(err, ErrCountRange) {
				t.Fatalf("count %d: err = %v", c, err)
			}
		}
	})
	t.Run("foreign id", func(t *testing.T) {
		// The remote claims its C[0] lacks an element the local set
		// never had: a pure −1 symbol for a foreign x.
		dec := NewDecoder(ts.key, ts.local, uint64(len(ts.local)))
		s := Symbol0(ts.key, ts.local)
		var x [32]byte
		x[0] = 0xAA
		s.add(&x, ts.key.Chk(&x), 1)
		s.Count -= 2 // net: the local set has x with sign −1 relative
		if err := dec.AddSymbol(s); !errors.Is(err, ErrForeignID) {
			t.Fatalf("err = %v", err)
		}
	})
}
