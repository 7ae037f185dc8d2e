// Package prototest holds test helpers shared by the fuzz targets and
// tests of the protocols/*pb packages. Only _test.go files import it.
//
// Invariants: RoundTrip fails the test unless every decodable input
// re-encodes to a message that decodes equal (proto.Equal) and re-encodes to
// the same bytes; CoverOneofs fails unless the samples set every case of
// every oneof of the frame message (so seed corpora cover all frame kinds).
package prototest

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/aura-p2p/aura-p2p/protocols"
)

// RoundTrip decodes data into newMsg(). If decoding fails it must fail with
// protocols.ErrBadMessage; if it succeeds, Marshal→Unmarshal must give an
// equal message, and marshalling that again must give identical bytes.
func RoundTrip(t testing.TB, data []byte, newMsg func() proto.Message) {
	t.Helper()
	m1 := newMsg()
	if err := protocols.Unmarshal(data, m1); err != nil {
		if !errors.Is(err, protocols.ErrBadMessage) {
			t.Fatalf("Unmarshal error %v does not wrap ErrBadMessage", err)
		}
		return
	}
	b1 := mustMarshal(t, m1)
	m2 := newMsg()
	if err := protocols.Unmarshal(b1, m2); err != nil {
		t.Fatalf("re-encoding of an accepted %T does not decode: %v", m1, err)
	}
	if !proto.Equal(m1, m2) {
		t.Fatalf("%T round trip differs:\n first: %v\nsecond: %v", m1, m1, m2)
	}
	if b2 := mustMarshal(t, m2); !bytes.Equal(b1, b2) {
		t.Fatalf("%T re-encoding unstable:\n%x\n%x", m1, b1, b2)
	}
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	// No cap here: re-encoding may legitimately grow (a 5-byte negative
	// enum becomes 10 bytes); caps are checked on the read side.
	b, err := protocols.Marshal(m, 1<<30)
	if err != nil {
		t.Fatalf("Marshal %T: %v", m, err)
	}
	return b
}

// Encode marshals m for a seed corpus, failing the test on error.
func Encode(t testing.TB, m proto.Message) []byte {
	t.Helper()
	return mustMarshal(t, m)
}

// CoverOneofs fails unless, for every oneof of the samples' message type,
// each of its cases is set in at least one sample.
func CoverOneofs(t testing.TB, samples []proto.Message) {
	t.Helper()
	if len(samples) == 0 {
		t.Fatal("no samples")
	}
	desc := samples[0].ProtoReflect().Descriptor()
	seen := map[protoreflect.FullName]bool{}
	for _, s := range samples {
		r := s.ProtoReflect()
		if r.Descriptor() != desc {
			t.Fatalf("sample %T is not a %s", s, desc.FullName())
		}
		for i := 0; i < desc.Oneofs().Len(); i++ {
			if f := r.WhichOneof(desc.Oneofs().Get(i)); f != nil {
				seen[f.FullName()] = true
			}
		}
	}
	for i := 0; i < desc.Oneofs().Len(); i++ {
		fields := desc.Oneofs().Get(i).Fields()
		for j := 0; j < fields.Len(); j++ {
			if !seen[fields.Get(j).FullName()] {
				t.Errorf("no sample sets %s", fields.Get(j).FullName())
			}
		}
	}
}

// Filled returns n bytes of value b (fixed-size test fields).
func Filled(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
