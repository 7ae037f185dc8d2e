package sync

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

// sentinels every Step error must wrap.
var stepSentinels = []error{
	ErrNotMember, ErrDenied, ErrBadSymbols, ErrUnexpectedFrame, ErrFrameLimit,
	ErrSessionLimit, ErrBadIds, ErrBadBox, ErrFinished,
}

func typed(err error) bool {
	for _, s := range stepSentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// handshake returns an initiator and responder past Hello/HelloAck.
func handshake(t *testing.T, w *world) (*Initiator, *Responder, []Frame) {
	in, err := NewInitiator(w.iCfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewResponder(w.rCfg)
	if err != nil {
		t.Fatal(err)
	}
	hello, err := in.Start()
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Step(hello[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Step(out[0]); err != nil {
		t.Fatal(err)
	}
	return in, r, out[1:]
}

// frameFrom builds one frame from fuzz bytes: a kind byte, then fields.
func frameFrom(b []byte) (Frame, []byte) {
	if len(b) < 3 {
		return End{}, nil
	}
	kind, n := FrameKind(b[0]%10+1), int(binary.BigEndian.Uint16(b[1:3]))
	b = b[3:]
	body := b[:min(n, len(b))]
	rest := b[len(body):]
	u32 := uint32(0)
	if len(body) >= 4 {
		u32 = binary.BigEndian.Uint32(body)
	}
	ids, _ := DecodePackedIDs(body[:len(body)/32*32], 1<<20)
	switch kind {
	case KindSymbols:
		syms, _ := riblt.DecodeSymbols(body[min(4, len(body)):], 1<<20)
		return Symbols{First: u32, Syms: syms}, rest
	case KindMore:
		return More{Credit: u32 % 100_000}, rest
	case KindDone:
		return Done{Received: u32}, rest
	case KindFull:
		return Full{}, rest
	case KindIds:
		return Ids{IDs: ids}, rest
	case KindWant:
		return Want{IDs: ids}, rest
	case KindFacts:
		return Facts{Entries: [][]byte{body, body}}, rest
	case KindHello:
		return Hello{Box: body}, rest
	case KindHelloAck:
		return HelloAck{Box: body}, rest
	}
	return End{}, rest
}

// FuzzSessionFrames feeds arbitrary frame sequences to both cores after a
// valid handshake: no panic, and every error wraps a package sentinel.
func FuzzSessionFrames(f *testing.F) {
	f.Add([]byte{2, 0, 50, 0, 0, 0, 0})
	f.Add([]byte{3, 0, 4, 0, 0, 1, 0, 4, 0, 4, 0, 0, 0, 5})
	f.Add([]byte{5, 0, 0, 6, 0, 64})
	f.Fuzz(func(t *testing.T, b []byte) {
		w := newWorld(7, 60, 5, 5)
		in, r, _ := handshake(t, w)
		for len(b) > 0 {
			var fr Frame
			fr, b = frameFrom(b)
			if _, err := in.Step(fr); err != nil && !typed(err) {
				t.Fatalf("initiator: untyped error %v", err)
			}
			if _, err := r.Step(fr); err != nil && !typed(err) {
				t.Fatalf("responder: untyped error %v", err)
			}
		}
	})
}

// TestSessionFramesSeeds runs the fuzz target's shapes deterministically:
// each kind of garbage frame after a handshake gives a typed error.
func TestSessionFramesSeeds(t *testing.T) {
	w := newWorld(7, 60, 5, 5)
	for k := range 10 {
		in, r, _ := handshake(t, w)
		fr, _ := frameFrom([]byte{byte(k), 0, 8, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4})
		if _, err := in.Step(fr); err != nil && !typed(err) {
			t.Fatalf("%v: initiator untyped %v", fr.Kind(), err)
		}
		if _, err := r.Step(fr); err != nil && !typed(err) {
			t.Fatalf("%v: responder untyped %v", fr.Kind(), err)
		}
	}
}
