package sync

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// sampleFrames has one frame of every kind with non-trivial fields.
func sampleFrames() []Frame {
	id := func(b byte) journal.EntryID { return journal.EntryID{0: b, 31: b} }
	sym := riblt.Symbol{Sum: [32]byte{1, 2, 3}, Chk: 0xfeedface, Count: -3}
	return []Frame{
		Hello{NonceI: [16]byte{1}, Ref: [16]byte{2}, Box: bytes.Repeat([]byte{7}, BoxSize)},
		Hello{NonceI: [16]byte{3}, Ref: [16]byte{4}, Box: bytes.Repeat([]byte{8}, BoxSizeFullToken)},
		HelloAck{Ack: [16]byte{5}, Box: bytes.Repeat([]byte{9}, BoxSize)},
		Symbols{First: 7, Syms: []riblt.Symbol{sym, {Count: 1}}, Receipt: []byte("r")},
		More{Credit: 512, Receipt: []byte("m")},
		Done{Received: 33},
		Full{},
		Ids{IDs: []journal.EntryID{id(1), id(2)}},
		Want{IDs: []journal.EntryID{id(3)}, Receipt: []byte("w")},
		Facts{Entries: [][]byte{[]byte("fact one"), []byte("fact two")}},
		End{},
	}
}

// normalize makes nil and empty slices compare equal.
func normalize(f Frame) Frame {
	switch f := f.(type) {
	case Symbols:
		if len(f.Receipt) == 0 {
			f.Receipt = nil
		}
		return f
	case More:
		if len(f.Receipt) == 0 {
			f.Receipt = nil
		}
		return f
	case Want:
		if len(f.Receipt) == 0 {
			f.Receipt = nil
		}
		if len(f.IDs) == 0 {
			f.IDs = nil
		}
		return f
	case Ids:
		if len(f.IDs) == 0 {
			f.IDs = nil
		}
		f.Receipt = nil
		return f
	case Facts:
		if len(f.Entries) == 0 {
			f.Entries = nil
		}
		f.Receipt = nil
		return f
	case Done:
		f.Receipt = nil
		return f
	case Full:
		f.Receipt = nil
		return f
	case End:
		f.Receipt = nil
		return f
	}
	return f
}

func TestWireRoundTrip(t *testing.T) {
	for _, f := range sampleFrames() {
		t.Run(f.Kind().String(), func(t *testing.T) {
			b, err := EncodeFrame(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := DecodeFrame(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normalize(f), normalize(g)) {
				t.Fatalf("round trip: %#v → %#v", f, g)
			}
		})
	}
}

func TestWireRejects(t *testing.T) {
	enc := func(f Frame) []byte {
		b, err := EncodeFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name string
		b    []byte
	}{
		{"garbage", []byte{0xff, 0xff, 0xff}},
		{"empty frame", nil},
		{"short nonce", enc(Hello{NonceI: [16]byte{}, Ref: [16]byte{}, Box: make([]byte, 100)})},
		{"box size", enc(HelloAck{Box: make([]byte, BoxSize+1)})},
		{"ids not 32-byte multiple", append(enc(Ids{IDs: []journal.EntryID{{1}}})[:2:2], make([]byte, 31)...)},
		{"too many wants", enc(Want{IDs: make([]journal.EntryID, WantPerFrame+1)})},
		{"too many facts", enc(Facts{Entries: make([][]byte, FactsPerFrame+1)})},
		{"oversize", make([]byte, protocols.MaxSyncFrame+1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := DecodeFrame(c.b)
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("got %v, %v; want ErrBadFrame", f, err)
			}
		})
	}
}

// FuzzDecodeFrame: arbitrary bytes never panic the decoder, every error
// wraps ErrBadFrame, and a decoded frame re-encodes to bytes that decode
// to the same frame.
func FuzzDecodeFrame(f *testing.F) {
	for _, fr := range sampleFrames() {
		b, err := EncodeFrame(fr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x4a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		b2, err := EncodeFrame(fr)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		fr2, err := DecodeFrame(b2)
		if err != nil {
			t.Fatalf("decode of re-encoding: %v", err)
		}
		if !reflect.DeepEqual(normalize(fr), normalize(fr2)) {
			t.Fatalf("unstable: %#v vs %#v", fr, fr2)
		}
	})
}
