package sync

import (
	"fmt"

	"github.com/aura-p2p/aura-p2p/journal"
)

// AppendPackedIDs appends ids as the packed form of Ids and Want: the
// 32-byte ids concatenated.
func AppendPackedIDs(dst []byte, ids []journal.EntryID) []byte {
	for _, id := range ids {
		dst = append(dst, id[:]...)
	}
	return dst
}

// DecodePackedIDs splits a packed id list of at most max ids. A length
// that is not a multiple of 32 or more than max ids is ErrFrameLimit.
func DecodePackedIDs(b []byte, max int) ([]journal.EntryID, error) {
	if len(b)%32 != 0 {
		return nil, fmt.Errorf("%w: packed ids of %d bytes", ErrFrameLimit, len(b))
	}
	if len(b)/32 > max {
		return nil, fmt.Errorf("%w: %d ids > %d", ErrFrameLimit, len(b)/32, max)
	}
	out := make([]journal.EntryID, len(b)/32)
	for i := range out {
		copy(out[i][:], b[32*i:])
	}
	return out, nil
}
