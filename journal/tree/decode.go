package tree

import (
	"encoding/binary"
	"fmt"
)

// reader decodes canonical encodings; the first error sticks and every
// later read returns zero values. Counts are bounded by a hard limit and
// by the bytes left, so allocation is bounded by the input.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrMalformed, what)
	}
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.fail("short " + what)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8(what string) uint8 {
	if b := r.take(1, what); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16(what string) uint16 {
	if b := r.take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32(what string) uint32 {
	if b := r.take(4, what); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64(what string) uint64 {
	if b := r.take(8, what); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) raw(dst []byte, what string) { copy(dst, r.take(len(dst), what)) }

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n != uvarintLen(v) {
		r.fail(what + " varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// lp reads uvarint(len) ‖ bytes and returns a copy.
func (r *reader) lp(what string) []byte {
	n := r.uvarint(what + " length")
	if r.err == nil && n > uint64(len(r.b)) {
		r.fail("short " + what)
	}
	return append([]byte{}, r.take(int(n), what)...)
}

// count reads a list count: at most limit, and at most the remaining
// bytes divided by each element's minimum size.
func (r *reader) count(limit, minElem int, what string) int {
	n := r.uvarint(what + " count")
	if r.err == nil && (n > uint64(limit) || n*uint64(minElem) > uint64(len(r.b))) {
		r.fail(what + " count")
		return 0
	}
	return int(n)
}

// opt reads an optional marker: 0 absent, 1 present, else malformed.
func (r *reader) opt(what string) bool {
	switch r.u8(what) {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail(what + " marker")
	return false
}

func (r *reader) done(what string) error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes after " + what)
	}
	return r.err
}

func (p *Policy) decode(r *reader) {
	p.M = r.u16("policy m")
	p.N = r.u16("policy n")
}

func (l *Leaf) decode(r *reader) {
	l.ID = LeafID(r.u32("leaf id"))
	r.raw(l.Device[:], "device id")
	l.Role = r.u8("role")
	r.raw(l.DeviceKey[:], "device key")
	r.raw(l.DHKey[:], "dh key")
	l.FrostID = r.u16("frost id")
}

// decodeMap reads a count-prefixed map with strictly ascending keys (one
// canonical form). A zero count yields nil.
func decodeMap[K ~uint16 | ~uint32, V any](r *reader, limit, minElem int, what string,
	elem func(*reader) (K, V)) map[K]V {
	n := r.count(limit, minElem, what)
	if n == 0 {
		return nil
	}
	m := make(map[K]V, n)
	var prev K
	for i := 0; i < n && r.err == nil; i++ {
		k, v := elem(r)
		if r.err != nil {
			break
		}
		if i > 0 && k <= prev {
			r.fail(what + " order")
			break
		}
		m[k], prev = v, k
	}
	return m
}

func decodeVerShares(r *reader, what string) map[uint16][32]byte {
	return decodeMap(r, MaxDevices, 34, what, func(r *reader) (uint16, [32]byte) {
		id := r.u16("frost id")
		var v [32]byte
		r.raw(v[:], "ver share")
		return id, v
	})
}

func (k *KeyRotation) decode(r *reader) {
	r.raw(k.GroupKey[:], "group key")
	k.VerShares = decodeVerShares(r, "ver shares")
	k.KeyEpoch = r.u64("key epoch")
	k.FrostIDs = decodeMap(r, MaxDevices, 6, "frost ids", func(r *reader) (LeafID, uint16) {
		return LeafID(r.u32("leaf id")), r.u16("frost id")
	})
	r.raw(k.DKGNonce[:], "dkg nonce")
	n := r.count(MaxDevices, sigSize+2, "round1")
	for i := 0; i < n && r.err == nil; i++ {
		m := r.lp("round1 msg")
		if r.err == nil && len(m) <= sigSize {
			r.fail("round1 msg shorter than its signature")
		}
		k.Round1 = append(k.Round1, m)
	}
	r.raw(k.DKGTranscriptHash[:], "transcript hash")
	n = r.count(MaxDevices, sigSize, "confirms")
	for i := 0; i < n && r.err == nil; i++ {
		var c [64]byte
		r.raw(c[:], "confirm")
		k.Confirms = append(k.Confirms, c)
	}
	k.SealedSecrets = decodeMap(r, MaxDevices, 5, "sealed secrets", func(r *reader) (LeafID, []byte) {
		id := LeafID(r.u32("leaf id"))
		s := r.lp("sealed secret")
		if r.err == nil && len(s) > MaxSealedSecret {
			r.fail("sealed secret size")
		}
		return id, s
	})
}

func (op *TreeOp) decode(r *reader) {
	op.ParentEpoch = r.u64("parent epoch")
	r.raw(op.ParentRoot[:], "parent root")
	op.Version = r.u16("version")
	op.Kind = r.u8("kind")
	if r.opt("add") {
		op.Add = new(Leaf)
		op.Add.decode(r)
	}
	n := r.count(MaxDevices, 4, "remove")
	for i := 0; i < n && r.err == nil; i++ {
		id := LeafID(r.u32("remove id"))
		if i > 0 && id <= op.Remove[i-1] {
			r.fail("remove set order")
		}
		op.Remove = append(op.Remove, id)
	}
	op.Reason = r.u8("reason")
	if r.opt("new policy") {
		op.NewPolicy = new(Policy)
		op.NewPolicy.decode(r)
	}
	if r.opt("new key") {
		op.NewKey = new(KeyRotation)
		op.NewKey.decode(r)
	}
}

// DecodeTreeOp parses TreeOp.Canonical bytes strictly: one canonical form
// (sorted sets and maps, 0/1 optional markers, no trailing bytes). Errors
// wrap ErrMalformed; it never panics on any input (FuzzDecodeTreeOp).
func DecodeTreeOp(b []byte) (*TreeOp, error) {
	r := &reader{b: b}
	op := new(TreeOp)
	op.decode(r)
	if err := r.done("tree op"); err != nil {
		return nil, err
	}
	return op, nil
}

// DecodeKeyRotation parses KeyRotation.Canonical bytes strictly.
func DecodeKeyRotation(b []byte) (*KeyRotation, error) {
	r := &reader{b: b}
	k := new(KeyRotation)
	k.decode(r)
	if err := r.done("key rotation"); err != nil {
		return nil, err
	}
	return k, nil
}

// DecodeTreeState parses TreeState.Canonical bytes strictly. It checks
// the encoding only (leaves strictly ascending by ID), not that Root
// recomputes: callers that need it compare with ComputeRoot.
func DecodeTreeState(b []byte) (*TreeState, error) {
	r := &reader{b: b}
	s := new(TreeState)
	s.Epoch = r.u64("epoch")
	r.raw(s.Root[:], "root")
	s.Policy.decode(r)
	n := r.count(MaxDevices, 4+16+1+32+32+2, "leaves")
	for i := 0; i < n && r.err == nil; i++ {
		var l Leaf
		l.decode(r)
		if i > 0 && l.ID <= s.Leaves[i-1].ID {
			r.fail("leaf order")
		}
		s.Leaves = append(s.Leaves, l)
	}
	r.raw(s.GroupKey[:], "group key")
	s.VerShares = decodeVerShares(r, "ver shares")
	s.KeyEpoch = r.u64("key epoch")
	s.NextLeafId = r.u32("next leaf id")
	if err := r.done("tree state"); err != nil {
		return nil, err
	}
	return s, nil
}
