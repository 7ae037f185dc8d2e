package riblt

import (
	"encoding/binary"
	"fmt"
)

// SymbolMaxLen is the longest wire encoding of one symbol: 32-byte Sum,
// 8-byte Chk, and a zigzag uvarint of an int64 (≤ 10 bytes).
const SymbolMaxLen = 32 + 8 + binary.MaxVarintLen64

// SymbolMinLen is the shortest wire encoding (Count fits one byte).
const SymbolMinLen = 32 + 8 + 1

// Symbol is a coded symbol C{Sum, Chk, Count} (SPEC §9).
type Symbol struct {
	Sum   [32]byte
	Chk   uint64
	Count int64
}

// add folds element x with checksum chk into s with sign (+1 or −1).
func (s *Symbol) add(x *[32]byte, chk uint64, sign int64) {
	for i := range s.Sum {
		s.Sum[i] ^= x[i]
	}
	s.Chk ^= chk
	s.Count += sign
}

// sub sets s to s ⊖ o: XOR of Sum and Chk, difference of Count.
func (s *Symbol) sub(o *Symbol) {
	for i := range s.Sum {
		s.Sum[i] ^= o.Sum[i]
	}
	s.Chk ^= o.Chk
	s.Count -= o.Count
}

// IsZero reports Count 0, Chk 0 and Sum 0.
func (s *Symbol) IsZero() bool { return s.Count == 0 && s.Chk == 0 && s.Sum == [32]byte{} }

// pure reports whether s holds exactly one element: Count = ±1 and
// Chk = chk(Sum).
func (s *Symbol) pure(k Key) bool {
	return (s.Count == 1 || s.Count == -1) && s.Chk == k.Chk(&s.Sum)
}

// AppendSymbol appends the wire form Sum ‖ Chk (u64 BE) ‖ zigzag-uvarint
// Count.
func AppendSymbol(dst []byte, s Symbol) []byte {
	dst = append(dst, s.Sum[:]...)
	dst = binary.BigEndian.AppendUint64(dst, s.Chk)
	return binary.AppendVarint(dst, s.Count)
}

// EncodedLen is len(AppendSymbol(nil, s)).
func EncodedLen(s Symbol) int {
	var b [binary.MaxVarintLen64]byte
	return 40 + binary.PutVarint(b[:], s.Count)
}

// DecodeSymbol decodes one symbol from the front of b and returns it with
// the number of bytes read. Truncated input, an overlong varint or a
// non-minimal varint is ErrMalformed.
func DecodeSymbol(b []byte) (Symbol, int, error) {
	var s Symbol
	if len(b) < SymbolMinLen {
		return s, 0, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	copy(s.Sum[:], b[:32])
	s.Chk = binary.BigEndian.Uint64(b[32:40])
	c, n := binary.Varint(b[40:])
	if n <= 0 {
		return Symbol{}, 0, fmt.Errorf("%w: bad count varint", ErrMalformed)
	}
	if n > 1 && b[40+n-1] == 0 {
		return Symbol{}, 0, fmt.Errorf("%w: non-minimal count varint", ErrMalformed)
	}
	s.Count = c
	return s, 40 + n, nil
}

// AppendSymbols appends the packed concatenation of syms.
func AppendSymbols(dst []byte, syms []Symbol) []byte {
	for _, s := range syms {
		dst = AppendSymbol(dst, s)
	}
	return dst
}

// DecodeSymbols decodes a packed concatenation of at most max symbols.
// It allocates at most len(b)/SymbolMinLen symbols.
func DecodeSymbols(b []byte, max int) ([]Symbol, error) {
	out := make([]Symbol, 0, min(max, len(b)/SymbolMinLen))
	for len(b) > 0 {
		if len(out) == max {
			return nil, fmt.Errorf("%w: more than %d symbols", ErrMalformed, max)
		}
		s, n, err := DecodeSymbol(b)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		b = b[n:]
	}
	return out, nil
}
