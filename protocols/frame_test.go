package protocols

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func reader(b []byte, max int) *FrameReader { return NewFrameReader(bytes.NewReader(b), max) }

func TestReadFrameRoundTrip(t *testing.T) {
	payloads := [][]byte{{}, []byte("a"), bytes.Repeat([]byte{7}, 127), bytes.Repeat([]byte{8}, 128),
		bytes.Repeat([]byte{9}, 16383), bytes.Repeat([]byte{10}, 16384), bytes.Repeat([]byte{11}, MaxSyncFrame)}
	var wire bytes.Buffer
	for _, p := range payloads {
		if err := WriteFrame(&wire, p, MaxSyncFrame); err != nil {
			t.Fatalf("WriteFrame(%d bytes): %v", len(p), err)
		}
	}
	fr := reader(wire.Bytes(), MaxSyncFrame)
	for i, want := range payloads {
		got, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("frame %d: got %d bytes, want %d", i, len(got), len(want))
		}
	}
	// Clean end of stream between frames is io.EOF itself, not wrapped.
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Fatalf("after last frame: got %v, want io.EOF", err)
	}
}

func TestReadFrameExactCap(t *testing.T) {
	for _, max := range []int{1, 127, 128, MaxInviteFrame, MaxSyncFrame, MaxConsensusFrame} {
		p := bytes.Repeat([]byte{0xab}, max)
		got, err := reader(AppendFrame(nil, p), max).ReadFrame()
		if err != nil || len(got) != max {
			t.Fatalf("max %d: exact-cap frame: len %d, err %v", max, len(got), err)
		}
		_, err = reader(AppendFrame(nil, append(p, 0)), max).ReadFrame()
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("max %d: cap+1 frame: got %v, want ErrFrameTooLarge", max, err)
		}
	}
}

// TestReadFrameTooLargeDoesNotAllocate declares lengths far above the cap
// (up to 2^28−1, the largest 4-byte prefix) with no body: the reader must
// fail from the prefix alone, allocating nothing near the declared size.
func TestReadFrameTooLargeDoesNotAllocate(t *testing.T) {
	for _, n := range []uint64{MaxSyncFrame + 1, 1 << 20, 1<<28 - 1} {
		wire := uvarintForTest(n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := reader(wire, MaxSyncFrame).ReadFrame()
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("declared %d: got %v, want ErrFrameTooLarge", n, err)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
			t.Fatalf("declared %d: allocated %d bytes", n, d)
		}
	}
}

// uvarintForTest is an independent uvarint encoder (not binary.AppendUvarint).
func uvarintForTest(n uint64) []byte {
	var b []byte
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

func TestReadFrameMalformed(t *testing.T) {
	cases := []struct {
		name string
		wire []byte
	}{
		{"truncated prefix", []byte{0x80}},
		{"truncated long prefix", []byte{0xff, 0xff}},
		{"truncated body", []byte{0x05, 'a', 'b'}},
		{"missing body", []byte{0x03}},
		{"truncated second frame", []byte{0x01, 'x', 0x02, 'y'}},
		{"non-minimal zero", []byte{0x80, 0x00}},
		{"non-minimal one", []byte{0x81, 0x00, 'x'}},
		{"non-minimal three bytes", []byte{0x81, 0x80, 0x00, 'x'}},
		{"prefix longer than four bytes", []byte{0x81, 0x80, 0x80, 0x80, 0x00}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fr := reader(c.wire, MaxSyncFrame)
			var err error
			for err == nil {
				_, err = fr.ReadFrame()
			}
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("got %v, want ErrBadFrame", err)
			}
		})
	}
}

func TestReadFrameEmptyStream(t *testing.T) {
	if _, err := reader(nil, 10).ReadFrame(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
}

func TestReadFramePassesTransportErrors(t *testing.T) {
	boom := errors.New("stream reset")
	for _, r := range []io.Reader{
		iotest.ErrReader(boom),
		io.MultiReader(strings.NewReader("\x05ab"), iotest.ErrReader(boom)),
	} {
		_, err := NewFrameReader(r, 10).ReadFrame()
		if !errors.Is(err, boom) || errors.Is(err, ErrBadFrame) {
			t.Fatalf("got %v, want the transport error unchanged", err)
		}
	}
}

// TestReadFrameOneByteReads checks framing does not depend on read sizes.
func TestReadFrameOneByteReads(t *testing.T) {
	wire := AppendFrame(AppendFrame(nil, bytes.Repeat([]byte{1}, 300)), []byte("z"))
	fr := NewFrameReader(iotest.OneByteReader(bytes.NewReader(wire)), 300)
	a, err1 := fr.ReadFrame()
	b, err2 := fr.ReadFrame()
	_, err3 := fr.ReadFrame()
	if err1 != nil || err2 != nil || len(a) != 300 || string(b) != "z" || err3 != io.EOF {
		t.Fatalf("got %d %q, errs %v %v %v", len(a), b, err1, err2, err3)
	}
}

type countingWriter struct {
	writes int
	bytes.Buffer
}

func (w *countingWriter) Write(p []byte) (int, error) { w.writes++; return w.Buffer.Write(p) }

func TestWriteFrameCap(t *testing.T) {
	var w countingWriter
	if err := WriteFrame(&w, make([]byte, MaxDKGFrame), MaxDKGFrame); err != nil {
		t.Fatalf("exact cap: %v", err)
	}
	if w.writes != 1 {
		t.Fatalf("frame written in %d Write calls, want 1", w.writes)
	}
	n := w.Len()
	if err := WriteFrame(&w, make([]byte, MaxDKGFrame+1), MaxDKGFrame); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("cap+1: got %v, want ErrFrameTooLarge", err)
	}
	if w.Len() != n {
		t.Fatal("oversize frame wrote bytes")
	}
}

func TestAppendFrameMinimalPrefix(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, MaxConsensusFrame} {
		b := AppendFrame(nil, make([]byte, n))
		want := len(uvarintForTest(uint64(n)))
		if len(b)-n != want {
			t.Fatalf("len %d: prefix %d bytes, want %d", n, len(b)-n, want)
		}
	}
}

func TestMaxFrameTable(t *testing.T) {
	// SPEC §10 "max frame per protocol".
	want := map[string]int{
		"/aura/consensus/1.0.0": 128 << 10, "/aura/sync/1.0.0": 65 << 10, "/aura/ctx/1.0.0": 64 << 10,
		"/aura/relay/1.0.0": 65 << 10, "/aura/dkg/1.0.0": 16 << 10, "/aura/invite/1.0.0": 4 << 10,
		"/aura/rendezvous/1.0.0": 65535,
	}
	if len(All()) != len(want) {
		t.Fatalf("All() has %d protocols, SPEC §10 lists %d", len(All()), len(want))
	}
	for _, p := range All() {
		if MaxFrame(p) != want[string(p)] {
			t.Errorf("MaxFrame(%s) = %d, want %d", p, MaxFrame(p), want[string(p)])
		}
		// Every cap fits the 4-byte prefix the reader accepts.
		if MaxFrame(p) >= 1<<28 {
			t.Errorf("cap of %s exceeds the 4-byte prefix", p)
		}
	}
	if MaxFrame("/aura/unknown/1.0.0") != DefaultMaxFrame {
		t.Error("unknown protocol does not get DefaultMaxFrame")
	}
}
