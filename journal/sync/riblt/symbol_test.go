package riblt

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// TestSymbolWireRoundTrip: encode/decode is the identity, the length is
// 40 + zigzag varint, and the layout is Sum ‖ Chk BE ‖ zigzag Count.
func TestSymbolWireRoundTrip(t *testing.T) {
	for _, c := range []int64{0, 1, -1, 63, -64, 64, 10_000, math.MaxInt64, math.MinInt64} {
		s := Symbol{Chk: 0x0102030405060708, Count: c}
		s.Sum[0], s.Sum[31] = 0xAB, 0xCD
		b := AppendSymbol(nil, s)
		if len(b) != EncodedLen(s) {
			t.Fatalf("len %d != EncodedLen %d", len(b), EncodedLen(s))
		}
		if b[0] != 0xAB || b[31] != 0xCD || b[32] != 0x01 || b[39] != 0x08 {
			t.Fatalf("layout: % x", b[:40])
		}
		got, n, err := DecodeSymbol(b)
		if err != nil || n != len(b) || got != s {
			t.Fatalf("count %d: got %+v n=%d err=%v", c, got, n, err)
		}
	}
	if b := AppendSymbol(nil, Symbol{Count: -1}); b[40] != 1 {
		t.Fatalf("zigzag(-1) = %#x, want 1", b[40])
	}
	if b := AppendSymbol(nil, Symbol{Count: 1}); b[40] != 2 {
		t.Fatalf("zigzag(1) = %#x, want 2", b[40])
	}
}

// TestDecodeSymbolRejects: truncated, overlong and non-minimal encodings
// are ErrMalformed; DecodeSymbols enforces its maximum.
func TestDecodeSymbolRejects(t *testing.T) {
	good := AppendSymbol(nil, Symbol{Count: 5})
	bad := [][]byte{
		nil,
		good[:40],
		append(bytes.Clone(good[:40]), 0x80),
		append(bytes.Clone(good[:40]), 0x8a, 0x00),
		append(bytes.Clone(good[:40]), bytes.Repeat([]byte{0xff}, 10)...),
	}
	for i, b := range bad {
		if _, _, err := DecodeSymbol(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("case %d: err = %v", i, err)
		}
	}
	packed := AppendSymbols(nil, []Symbol{{Count: 1}, {Count: 2}, {Count: 3}})
	if _, err := DecodeSymbols(packed, 2); !errors.Is(err, ErrMalformed) {
		t.Fatalf("max not enforced: %v", err)
	}
	if got, err := DecodeSymbols(packed, 3); err != nil || len(got) != 3 || got[2].Count != 3 {
		t.Fatalf("DecodeSymbols = %v, %v", got, err)
	}
}

// FuzzDecodeSymbols: arbitrary bytes never panic, never yield more than
// max symbols, and whatever decodes re-encodes to the same bytes.
func FuzzDecodeSymbols(f *testing.F) {
	f.Add([]byte{})
	f.Add(AppendSymbol(nil, Symbol{Count: 1}))
	f.Add(AppendSymbols(nil, []Symbol{{Count: 10_000, Chk: 7}, {Count: -3}}))
	f.Add(append(make([]byte, 40), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01))
	f.Add(append(make([]byte, 40), 0x80, 0x00))
	f.Fuzz(func(t *testing.T, b []byte) {
		const max = 1024
		syms, err := DecodeSymbols(b, max)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(syms) > max {
			t.Fatalf("%d symbols > max", len(syms))
		}
		if re := AppendSymbols(nil, syms); !bytes.Equal(re, b) {
			t.Fatalf("round trip differs")
		}
	})
}
