package protocols

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// fuzzMax is small so the fuzzer reaches the over-cap path easily.
const fuzzMax = 300

// FuzzFrameReader feeds arbitrary streams to FrameReader: it never panics,
// never returns a frame over the cap, fails only with io.EOF (exactly at the
// end of the input, between frames), ErrFrameTooLarge or ErrBadFrame, and
// every accepted frame re-encodes (AppendFrame) to exactly the bytes it was
// read from.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte{})
	f.Add(AppendFrame(AppendFrame(nil, []byte("hello")), nil))
	f.Add(AppendFrame(nil, bytes.Repeat([]byte{1}, fuzzMax)))
	f.Add(AppendFrame(nil, bytes.Repeat([]byte{1}, fuzzMax+1)))
	f.Add([]byte{0x80, 0x00})
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{0x05, 'a'})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := NewFrameReader(bytes.NewReader(data), fuzzMax)
		off := 0
		for {
			frame, err := fr.ReadFrame()
			if err != nil {
				checkFuzzEnd(t, err, off, len(data))
				return
			}
			if len(frame) > fuzzMax {
				t.Fatalf("frame of %d bytes over cap %d", len(frame), fuzzMax)
			}
			enc := AppendFrame(nil, frame)
			if off+len(enc) > len(data) || !bytes.Equal(enc, data[off:off+len(enc)]) {
				t.Fatalf("frame at offset %d does not re-encode to its input bytes", off)
			}
			off += len(enc)
		}
	})
}

func checkFuzzEnd(t *testing.T, err error, off, n int) {
	t.Helper()
	switch {
	case err == io.EOF:
		if off != n {
			t.Fatalf("io.EOF at offset %d of %d", off, n)
		}
	case errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrBadFrame):
		if off == n {
			t.Fatalf("%v at end of input, want io.EOF", err)
		}
	default:
		t.Fatalf("unexpected error %v", err)
	}
}
