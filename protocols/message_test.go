package protocols_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/protocols"
	"github.com/aura-p2p/aura-p2p/protocols/syncpb"
)

func TestMarshalCap(t *testing.T) {
	m := &syncpb.SyncFrame{Body: &syncpb.SyncFrame_Ids{Ids: &syncpb.Ids{Ids: make([]byte, 100)}}}
	b, err := protocols.Marshal(m, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := protocols.Marshal(m, len(b)); err != nil {
		t.Fatalf("exact cap: %v", err)
	}
	if _, err := protocols.Marshal(m, len(b)-1); !errors.Is(err, protocols.ErrFrameTooLarge) {
		t.Fatalf("cap-1: got %v, want ErrFrameTooLarge", err)
	}
}

func TestUnmarshalBadMessage(t *testing.T) {
	for _, b := range [][]byte{
		{0x0a},                   // tag without length
		{0x0a, 0x05, 0x01},       // length past the end
		{0x3a, 0x02, 0x0a, 0x7f}, // nested Ids.ids longer than its message
		{0x07},                   // wire type 7 (invalid)
		{0x00, 0x01},             // field number 0
	} {
		var f syncpb.SyncFrame
		if err := protocols.Unmarshal(b, &f); !errors.Is(err, protocols.ErrBadMessage) {
			t.Errorf("%x: got %v, want ErrBadMessage", b, err)
		}
	}
}

// TestUnmarshalResets: a decoded frame never carries state from a previous one.
func TestUnmarshalResets(t *testing.T) {
	f := &syncpb.SyncFrame{Body: &syncpb.SyncFrame_More{More: &syncpb.More{Credit: 5}}}
	b, _ := protocols.Marshal(&syncpb.SyncFrame{Body: &syncpb.SyncFrame_End{End: &syncpb.End{}}}, 100)
	if err := protocols.Unmarshal(b, f); err != nil {
		t.Fatal(err)
	}
	if f.GetMore() != nil || f.GetEnd() == nil {
		t.Fatalf("got %v, want only End", f)
	}
}

// TestFrameAndMessage runs a frame through WriteFrame/FrameReader and
// Marshal/Unmarshal together, as a protocol handler does.
func TestFrameAndMessage(t *testing.T) {
	in := &syncpb.SyncFrame{Body: &syncpb.SyncFrame_Facts{Facts: &syncpb.Facts{
		Entries: [][]byte{[]byte("fact-1"), []byte("fact-2")}, Receipt: []byte("r")}}}
	b, err := protocols.Marshal(in, protocols.MaxSyncFrame)
	if err != nil {
		t.Fatal(err)
	}
	var wire bytes.Buffer
	if err := protocols.WriteFrame(&wire, b, protocols.MaxSyncFrame); err != nil {
		t.Fatal(err)
	}
	got, err := protocols.NewFrameReader(&wire, protocols.MaxSyncFrame).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	var out syncpb.SyncFrame
	if err := protocols.Unmarshal(got, &out); err != nil {
		t.Fatal(err)
	}
	if e := out.GetFacts().GetEntries(); len(e) != 2 || string(e[1]) != "fact-2" {
		t.Fatalf("got %v", &out)
	}
}
