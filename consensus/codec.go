package consensus

import (
	"encoding/binary"
	"fmt"

	"github.com/aura-p2p/aura-p2p/journal"
)

// maxSigners bounds decoded Signers lists.
const maxSigners = 1024

// DecodeCommitFact parses a canonical Commit fact body (CommitFact.Canonical).
// Only the canonical form is accepted (minimal uvarints, no trailing bytes),
// so an accepted body re-encodes to the same bytes.
func DecodeCommitFact(b []byte) (CommitFact, error) {
	r := byteReader{b: b}
	var f CommitFact
	r.raw(f.CID[:])
	r.raw(f.PrestateHash[:])
	r.raw(f.OpHash[:])
	r.raw(f.RID[:])
	f.Nonce = r.u64()
	f.Op = r.lp()
	f.Scope.Kind = journal.Kind(r.u8())
	r.raw(f.Scope.ID[:])
	f.KeyEpoch = r.u64()
	f.Threshold = r.u16()
	cnt := r.uvarint()
	if cnt > maxSigners {
		return CommitFact{}, fmt.Errorf("%w: %d signers", ErrMalformed, cnt)
	}
	for i := uint64(0); i < cnt && r.err == nil; i++ {
		f.Signers = append(f.Signers, r.u16())
	}
	r.raw(f.Signature[:])
	f.Path = r.u8()
	if r.err != nil || len(r.b) != 0 {
		return CommitFact{}, fmt.Errorf("%w: commit fact body", ErrMalformed)
	}
	if !f.Scope.Kind.Valid() {
		return CommitFact{}, fmt.Errorf("%w: namespace kind", ErrMalformed)
	}
	return f, nil
}

// CommitFromFact decodes a journal Commit fact (type 2, schema 1).
func CommitFromFact(jf journal.Fact) (CommitFact, error) {
	if jf.Type != journal.TypeCommit || jf.Schema != journal.SchemaV1 {
		return CommitFact{}, fmt.Errorf("%w: not a v1 Commit fact", ErrMalformed)
	}
	f, err := DecodeCommitFact(jf.Body)
	if err != nil {
		return CommitFact{}, err
	}
	if f.Scope != jf.NS {
		return CommitFact{}, fmt.Errorf("%w: commit scope differs from fact namespace", ErrMalformed)
	}
	return f, nil
}

// byteReader reads canonical encodings; the first error sticks.
type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		r.err = ErrMalformed
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *byteReader) raw(dst []byte) { copy(dst, r.take(len(dst))) }

func (r *byteReader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *byteReader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *byteReader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *byteReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	// Canonical encodings use the minimal uvarint: a padded one would
	// decode to a fact whose Canonical() differs from the bytes received.
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		r.err = ErrMalformed
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) lp() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = ErrMalformed
		return nil
	}
	return append([]byte(nil), r.take(int(n))...)
}
