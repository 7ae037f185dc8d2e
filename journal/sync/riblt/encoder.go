package riblt

// Encoder produces the coded symbols C[0], C[1], … of a set (SPEC §9),
// each element added with sign +1. It keeps every element's next index in
// a min-heap, so producing m symbols costs O(|E| + (mappings hit)·log|E|),
// about O(|E| + |E|·log(m)·log|E|) in total, and chk is computed once per
// element.
//
// An Encoder is not safe for concurrent use. The set must hold distinct
// elements (a set); duplicates cancel each other.
type Encoder struct {
	key   Key
	elems [][32]byte
	chks  []uint64
	maps  []Mapping
	heap  minHeap
	sym0  Symbol
	next  uint64
}

// NewEncoder builds the encoder of set under key k. It copies set. C[0]
// (every element) is summed here and the heap is built in O(|E|) from
// each element's second index.
func NewEncoder[E ~[32]byte](k Key, set []E) *Encoder {
	e := &Encoder{
		key:   k,
		elems: make([][32]byte, len(set)),
		chks:  make([]uint64, len(set)),
		maps:  make([]Mapping, len(set)),
		heap:  make(minHeap, 0, len(set)),
	}
	for i, x := range set {
		e.elems[i] = [32]byte(x)
		e.chks[i] = k.Chk(&e.elems[i])
		e.sym0.add(&e.elems[i], e.chks[i], 1)
		e.maps[i] = NewMapping(e.chks[i])
		if e.maps[i].Next() {
			e.heap = append(e.heap, slot{idx: e.maps[i].Index(), i: int32(i)})
		}
	}
	for j := len(e.heap)/2 - 1; j >= 0; j-- {
		e.heap.down(j)
	}
	return e
}

// Produced is the number of symbols produced so far, i.e. the index of
// the symbol the next call to Next returns.
func (e *Encoder) Produced() uint64 { return e.next }

// Len is the size of the encoded set.
func (e *Encoder) Len() int { return len(e.elems) }

// Next returns the next coded symbol C[Produced()].
func (e *Encoder) Next() Symbol {
	if e.next == 0 {
		e.next++
		return e.sym0
	}
	var s Symbol
	i := e.next
	for len(e.heap) > 0 && e.heap[0].idx == i {
		j := e.heap[0].i
		s.add(&e.elems[j], e.chks[j], 1)
		if e.maps[j].Next() {
			e.heap.replaceTop(e.maps[j].Index())
		} else {
			e.heap.popTop()
		}
	}
	e.next++
	return s
}

// Symbol0 returns C[0] of set: the XOR of every element with Count |set|.
// It is what Hello carries as Sym0 and HelloAck compares against.
func Symbol0[E ~[32]byte](k Key, set []E) Symbol {
	var s Symbol
	for _, x := range set {
		a := [32]byte(x)
		s.add(&a, k.Chk(&a), 1)
	}
	return s
}
