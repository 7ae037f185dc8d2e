package journal

import (
	"encoding/binary"
)

// reader decodes canonical bytes (SPEC §0). It never panics and never
// allocates more than the remaining input: every length is checked
// against what is left before a slice is taken. The first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = malformed("truncated or invalid %s", what)
	}
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail(what)
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8(what string) uint8 {
	b := r.take(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16(what string) uint16 {
	b := r.take(2, what)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (r *reader) u32(what string) uint32 {
	b := r.take(4, what)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func (r *reader) u64(what string) uint64 {
	b := r.take(8, what)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// raw copies exactly len(dst) bytes into dst (a fixed array).
func (r *reader) raw(dst []byte, what string) {
	if b := r.take(len(dst), what); b != nil {
		copy(dst, b)
	}
}

// uvarint reads a minimal uvarint.
func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n != uvarintLen(v) {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// lp reads lp(x) and returns a copy of x.
func (r *reader) lp(what string) []byte {
	n := r.uvarint(what)
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail(what)
		return nil
	}
	b := r.take(int(n), what)
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// count reads a list count and checks that at least count*minElem bytes
// remain, which bounds allocation by the input size.
func (r *reader) count(minElem int, what string) int {
	n := r.uvarint(what)
	if r.err != nil {
		return 0
	}
	if minElem < 1 {
		minElem = 1
	}
	if n > uint64(len(r.b)/minElem) {
		r.fail(what)
		return 0
	}
	return int(n)
}

// done fails unless all input was consumed.
func (r *reader) done(what string) error {
	if r.err == nil && len(r.b) != 0 {
		r.err = malformed("%d trailing bytes after %s", len(r.b), what)
	}
	return r.err
}

func uvarintLen(v uint64) int {
	var tmp [binary.MaxVarintLen64]byte
	return binary.PutUvarint(tmp[:], v)
}
