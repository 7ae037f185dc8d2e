package sync

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

func sampleHelloBox() HelloBox {
	b := HelloBox{Mode: ModeReconcile, Sig: bytes.Repeat([]byte{5}, 64), Receipt: []byte("receipt")}
	b.Author[0] = 1
	b.Token.Hash[0] = 2
	b.Sym0 = riblt.Symbol{Chk: 9, Count: 10_000}
	return b
}

// TestBoxSealOpen: boxes are exactly 512 B (1536 B with a full token),
// round-trip, and fail to open under another key, resized, or with a
// flipped bit.
func TestBoxSealOpen(t *testing.T) {
	var key, other [32]byte
	key[0], other[0] = 1, 2
	for _, full := range []bool{false, true} {
		b := sampleHelloBox()
		want := BoxSize
		if full {
			b.Token.Full, want = bytes.Repeat([]byte{3}, 900), BoxSizeFullToken
		}
		ct, err := seal(key, b.canonical(true), helloBoxSize(&b))
		if err != nil || len(ct) != want {
			t.Fatalf("seal: %d bytes, %v", len(ct), err)
		}
		body, err := open(key, ct, BoxSize, BoxSizeFullToken)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeHelloBox(body)
		if err != nil || !bytes.Equal(got.canonical(true), b.canonical(true)) {
			t.Fatalf("round trip: %v", err)
		}
		if _, err := open(other, ct, BoxSize, BoxSizeFullToken); !errors.Is(err, ErrNotMember) {
			t.Fatalf("wrong key: %v", err)
		}
		ct[len(ct)-1] ^= 1
		if _, err := open(key, ct, BoxSize, BoxSizeFullToken); !errors.Is(err, ErrNotMember) {
			t.Fatalf("bit flip: %v", err)
		}
		if _, err := open(key, ct[:len(ct)-1], BoxSize, BoxSizeFullToken); !errors.Is(err, ErrNotMember) {
			t.Fatalf("resized: %v", err)
		}
	}
	if _, err := seal(key, make([]byte, BoxSize), BoxSize); !errors.Is(err, ErrFrameLimit) {
		t.Fatalf("oversize body: %v", err)
	}
}

// TestAckBoxRoundTrip covers Box_R's plaintext.
func TestAckBoxRoundTrip(t *testing.T) {
	b := AckBox{Sig: bytes.Repeat([]byte{1}, 64), SetSize: 123456, Status: StatusEqual, Receipt: []byte{}}
	got, err := DecodeAckBox(b.canonical(true))
	if err != nil || got.SetSize != b.SetSize || got.Status != b.Status {
		t.Fatalf("got %+v, %v", got, err)
	}
	bad := b
	bad.Status = 7
	if _, err := DecodeAckBox(bad.canonical(true)); !errors.Is(err, ErrBadBox) {
		t.Fatalf("bad status: %v", err)
	}
}

// FuzzDecodeHelloBox: no panic; whatever decodes re-encodes to the input.
func FuzzDecodeHelloBox(f *testing.F) {
	b := sampleHelloBox()
	f.Add(b.canonical(true))
	b.Token.Full = []byte("token")
	f.Add(b.canonical(true))
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		box, err := DecodeHelloBox(in)
		if err != nil {
			if !errors.Is(err, ErrBadBox) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(box.canonical(true), in) {
			t.Fatalf("round trip differs")
		}
	})
}

// FuzzDecodeAckBox: no panic; whatever decodes re-encodes to the input.
func FuzzDecodeAckBox(f *testing.F) {
	f.Add((&AckBox{Sig: make([]byte, 64), SetSize: 5}).canonical(true))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		box, err := DecodeAckBox(in)
		if err != nil {
			if !errors.Is(err, ErrBadBox) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(box.canonical(true), in) {
			t.Fatalf("round trip differs")
		}
	})
}

// FuzzOpenBox: arbitrary ciphertexts never panic and fail with a typed
// error.
func FuzzOpenBox(f *testing.F) {
	var key [32]byte
	ct, _ := seal(key, []byte("hello"), BoxSize)
	f.Add(ct)
	f.Add(make([]byte, BoxSize))
	f.Fuzz(func(t *testing.T, in []byte) {
		if _, err := open(key, in, BoxSize, BoxSizeFullToken); err != nil && !errors.Is(err, ErrNotMember) && !errors.Is(err, ErrBadBox) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// FuzzDecodePackedIDs: no panic, ≤ max ids, round trip.
func FuzzDecodePackedIDs(f *testing.F) {
	f.Add(AppendPackedIDs(nil, []journal.EntryID{{1}, {2}}))
	f.Add(make([]byte, 31))
	f.Fuzz(func(t *testing.T, in []byte) {
		ids, err := DecodePackedIDs(in, IdsPerFrame)
		if err != nil {
			if !errors.Is(err, ErrFrameLimit) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(ids) > IdsPerFrame || !bytes.Equal(AppendPackedIDs(nil, ids), in) {
			t.Fatalf("bad decode")
		}
	})
}
