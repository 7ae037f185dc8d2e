package sync

import (
	"fmt"
	"log/slog"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

// Frame is one /aura/sync/1.0.0 message (SPEC §9 "Frames"). These Go
// structs are what the cores consume and produce; a thin separate file
// will map them to the generated protobuf types. Receipt fields are filled and checked by
// the guarded sender (SPEC §6.4, §9 "Guards"); the cores leave them nil
// and ignore them.
type Frame interface {
	// Kind names the frame type.
	Kind() FrameKind
}

// FrameKind enumerates the frame types.
type FrameKind uint8

// Frame kinds, in protocol order.
const (
	KindHello FrameKind = iota + 1
	KindHelloAck
	KindSymbols
	KindMore
	KindDone
	KindFull
	KindIds
	KindWant
	KindFacts
	KindEnd
)

var kindNames = [...]string{"", "hello", "hello_ack", "symbols", "more", "done", "full", "ids", "want", "facts", "end"}

func (k FrameKind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Hello is I→R step 1: NonceI, Ref and the sealed Box_I.
type Hello struct {
	NonceI [16]byte
	Ref    [16]byte
	Box    []byte
}

// HelloAck is R→I step 2: Ack and the sealed Box_R.
type HelloAck struct {
	Ack [16]byte
	Box []byte
}

// Symbols is R→I step 3: coded symbols First, First+1, ….
type Symbols struct {
	First   uint32
	Syms    []riblt.Symbol
	Receipt []byte
}

// More is I→R step 4: the new total credit.
type More struct {
	Credit  uint32
	Receipt []byte
}

// Done is I→R step 5 on success: symbols received when decoding
// succeeded.
type Done struct {
	Received uint32
	Receipt  []byte
}

// Full is I→R step 5 past the cap: send every id.
type Full struct{ Receipt []byte }

// Ids is R→I step 5 fallback: sorted EntryIDs, packed, ≤ 2048 per frame.
type Ids struct {
	IDs     []journal.EntryID
	Receipt []byte
}

// Want is I→R step 6: entries to fetch, ≤ 128.
type Want struct {
	IDs     []journal.EntryID
	Receipt []byte
}

// Facts carries canonical facts (stored entries), ≤ 128 and
// ≤ FactsFrameBytes: R→I answering Want, I→R pushing.
type Facts struct {
	Entries [][]byte
	Receipt []byte
}

// End is I→R step 7.
type End struct{ Receipt []byte }

func (Hello) Kind() FrameKind    { return KindHello }
func (HelloAck) Kind() FrameKind { return KindHelloAck }
func (Symbols) Kind() FrameKind  { return KindSymbols }
func (More) Kind() FrameKind     { return KindMore }
func (Done) Kind() FrameKind     { return KindDone }
func (Full) Kind() FrameKind     { return KindFull }
func (Ids) Kind() FrameKind      { return KindIds }
func (Want) Kind() FrameKind     { return KindWant }
func (Facts) Kind() FrameKind    { return KindFacts }
func (End) Kind() FrameKind      { return KindEnd }

// LogValue logs sizes, never payloads (STYLE §6).
func (s Symbols) LogValue() slog.Value {
	return slog.GroupValue(slog.Uint64("first", uint64(s.First)), slog.Int("n", len(s.Syms)))
}

// LogValue logs the entry count only.
func (f Facts) LogValue() slog.Value { return slog.GroupValue(slog.Int("n", len(f.Entries))) }

// entryWireSize is the protobuf size of one repeated-bytes entry.
func entryWireSize(n int) int {
	size := 1 + n
	for v := uint64(n); ; v >>= 7 {
		size++
		if v < 0x80 {
			return size
		}
	}
}

// checkFacts validates a received Facts frame's limits.
func checkFacts(f Facts) error {
	if len(f.Entries) > FactsPerFrame {
		return fmt.Errorf("%w: %d entries in one Facts frame", ErrFrameLimit, len(f.Entries))
	}
	total := 0
	for _, e := range f.Entries {
		total += entryWireSize(len(e))
	}
	if total > FactsFrameBytes {
		return fmt.Errorf("%w: Facts frame of %d bytes", ErrFrameLimit, total)
	}
	return nil
}

// packFacts loads ids from src and packs them into Facts frames of
// ≤ FactsPerFrame entries and ≤ FactsFrameBytes, skipping ids src no
// longer holds and entries too large for any frame. It returns the frames
// and the number of entries packed.
func packFacts(src Entries, ids []journal.EntryID) ([]Frame, int) {
	var out []Frame
	var cur Facts
	size, n := 0, 0
	for _, id := range ids {
		e, ok := src.Entry(id)
		if !ok || entryWireSize(len(e)) > FactsFrameBytes {
			continue
		}
		w := entryWireSize(len(e))
		if len(cur.Entries) == FactsPerFrame || size+w > FactsFrameBytes {
			out = append(out, cur)
			cur, size = Facts{}, 0
		}
		cur.Entries = append(cur.Entries, e)
		size += w
		n++
	}
	if len(cur.Entries) > 0 {
		out = append(out, cur)
	}
	return out, n
}
