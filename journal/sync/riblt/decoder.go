package riblt

import (
	"fmt"
	"math"
)

// Decoder is the initiator side of SPEC §9 "Decoding (I)". It encodes the
// local set E_I in lock-step with the received symbols C_R[i], keeps
// D[i] = C_R[i] ⊖ C_I[i], and peels pure symbols as they appear: a
// recovered element is removed, with its sign, from every received symbol
// it maps to and from every later one as it arrives. It is decoded when
// every received D[i] is zero.
//
// A Decoder is not safe for concurrent use. After any error it must be
// discarded.
type Decoder struct {
	key     Key
	local   *Encoder
	inLocal map[[32]byte]struct{}
	setSize uint64
	credit  uint64

	d       []Symbol
	nonzero int
	queue   []uint64

	rec       minHeap // recovered elements' next index ≥ len(d)
	recElems  [][32]byte
	recChks   []uint64
	recMaps   []Mapping
	recSign   []int64
	recovered map[[32]byte]struct{}

	remoteOnly [][32]byte
	localOnly  [][32]byte
	decodedAt  uint64
}

// NewDecoder starts decoding against the local set (copied) for a remote
// set of remoteSetSize elements (SetSize from HelloAck). The credit starts
// unlimited; sessions set it with SetCredit.
func NewDecoder[E ~[32]byte](k Key, local []E, remoteSetSize uint64) *Decoder {
	in := make(map[[32]byte]struct{}, len(local))
	for _, x := range local {
		in[[32]byte(x)] = struct{}{}
	}
	return &Decoder{
		key:       k,
		local:     NewEncoder(k, local),
		inLocal:   in,
		setSize:   remoteSetSize,
		credit:    math.MaxUint64,
		recovered: make(map[[32]byte]struct{}),
	}
}

// SetCredit sets how many symbols in total may arrive; more is
// ErrBeyondCredit.
func (dec *Decoder) SetCredit(c uint64) { dec.credit = c }

// Received is the number of symbols received (the next expected index).
func (dec *Decoder) Received() uint64 { return uint64(len(dec.d)) }

// Decoded reports whether at least one symbol arrived and every received
// D[i] is zero.
func (dec *Decoder) Decoded() bool { return len(dec.d) > 0 && dec.nonzero == 0 }

// DecodedAt is the number of symbols received when decoding first
// succeeded, or 0 if it has not.
func (dec *Decoder) DecodedAt() uint64 { return dec.decodedAt }

// RemoteOnly lists the recovered elements only in the remote set, in
// recovery order. Complete once Decoded.
func (dec *Decoder) RemoteOnly() [][32]byte { return dec.remoteOnly }

// LocalOnly lists the recovered elements only in the local set.
func (dec *Decoder) LocalOnly() [][32]byte { return dec.localOnly }

// Add takes the contiguous symbols C_R[first], C_R[first+1], ….
// first must equal Received() (else ErrIndexGap).
func (dec *Decoder) Add(first uint64, syms []Symbol) error {
	if first != dec.Received() {
		return fmt.Errorf("%w: first %d, expected %d", ErrIndexGap, first, dec.Received())
	}
	for _, s := range syms {
		if err := dec.AddSymbol(s); err != nil {
			return err
		}
	}
	return nil
}

// AddSymbol takes C_R[Received()].
func (dec *Decoder) AddSymbol(s Symbol) error {
	i := dec.Received()
	if i >= dec.credit {
		return fmt.Errorf("%w: index %d, credit %d", ErrBeyondCredit, i, dec.credit)
	}
	if s.Count < 0 || uint64(s.Count) > dec.setSize {
		return fmt.Errorf("%w: index %d count %d, set size %d", ErrCountRange, i, s.Count, dec.setSize)
	}
	c := dec.local.Next()
	s.sub(&c)
	dec.applyRecovered(&s, i)
	dec.d = append(dec.d, s)
	if !s.IsZero() {
		dec.nonzero++
		if s.pure(dec.key) {
			dec.queue = append(dec.queue, i)
		}
	}
	if err := dec.peel(); err != nil {
		return err
	}
	if dec.decodedAt == 0 && dec.nonzero == 0 {
		dec.decodedAt = dec.Received()
	}
	return nil
}

// applyRecovered removes from the new symbol s (index i) every recovered
// element mapped to i.
func (dec *Decoder) applyRecovered(s *Symbol, i uint64) {
	for len(dec.rec) > 0 && dec.rec[0].idx == i {
		j := dec.rec[0].i
		s.add(&dec.recElems[j], dec.recChks[j], -dec.recSign[j])
		if dec.recMaps[j].Next() {
			dec.rec.replaceTop(dec.recMaps[j].Index())
		} else {
			dec.rec.popTop()
		}
	}
}

// peel recovers pure symbols until none is queued.
func (dec *Decoder) peel() error {
	for len(dec.queue) > 0 {
		j := dec.queue[len(dec.queue)-1]
		dec.queue = dec.queue[:len(dec.queue)-1]
		if dec.d[j].IsZero() || !dec.d[j].pure(dec.key) {
			continue
		}
		if err := dec.recover(dec.d[j].Sum, dec.d[j].Chk, dec.d[j].Count); err != nil {
			return err
		}
	}
	return nil
}

// recover records element x (checksum chk, sign +1 remote-only / −1
// local-only) and removes it from every received symbol it maps to.
func (dec *Decoder) recover(x [32]byte, chk uint64, sign int64) error {
	if _, dup := dec.recovered[x]; dup {
		return fmt.Errorf("%w: %x", ErrDuplicate, x[:8])
	}
	if sign < 0 {
		if _, ok := dec.inLocal[x]; !ok {
			return fmt.Errorf("%w: %x", ErrForeignID, x[:8])
		}
		dec.localOnly = append(dec.localOnly, x)
	} else {
		dec.remoteOnly = append(dec.remoteOnly, x)
	}
	dec.recovered[x] = struct{}{}
	m := NewMapping(chk)
	n := dec.Received()
	for live := true; live && m.Index() < n; live = m.Next() {
		dec.removeAt(m.Index(), &x, chk, sign)
	}
	if m.Index() >= n && m.Index() < indexLimit {
		dec.recElems = append(dec.recElems, x)
		dec.recChks = append(dec.recChks, chk)
		dec.recMaps = append(dec.recMaps, m)
		dec.recSign = append(dec.recSign, sign)
		dec.rec.push(slot{idx: m.Index(), i: int32(len(dec.recElems) - 1)})
	}
	return nil
}

// removeAt subtracts element x with the given sign from D[idx] and keeps
// the nonzero count and the pure queue current.
func (dec *Decoder) removeAt(idx uint64, x *[32]byte, chk uint64, sign int64) {
	s := &dec.d[idx]
	wasZero := s.IsZero()
	s.add(x, chk, -sign)
	switch isZero := s.IsZero(); {
	case wasZero && !isZero:
		dec.nonzero++
	case !wasZero && isZero:
		dec.nonzero--
	}
	if !s.IsZero() && s.pure(dec.key) {
		dec.queue = append(dec.queue, idx)
	}
}
