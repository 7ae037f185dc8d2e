package dkgsvc

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
	pb "github.com/aura-p2p/aura-p2p/protocols/dkgpb"
)

func seedFrames(tb testing.TB) [][]byte {
	tb.Helper()
	b32 := bytes.Repeat([]byte{7}, 32)
	b64 := bytes.Repeat([]byte{9}, 64)
	start := testStart(3)
	start.Sign(deviceKey(0))
	frames := []*pb.DKGFrame{
		{Body: &pb.DKGFrame_Round1{Round1: &pb.DKGRound1{Sid: b32, From: 2, Commitments: [][]byte{b32, b32, b32}, R: b32, Mu: b32, Sig: b64}}},
		{Body: &pb.DKGFrame_Round2{Round2: &pb.DKGRound2{Sid: b32, From: 2, To: 3, Share: b32, Sig: b64}}},
		{Body: &pb.DKGFrame_Confirm{Confirm: &pb.DKGConfirm{Sid: b32, TranscriptHash: b32, Sig: b64}}},
		startPBFrame(&start),
	}
	var out [][]byte
	for _, f := range frames {
		b, err := marshal(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// testStart is an unsigned t-of-3 DKGStart over deviceKey(0..2).
func testStart(t uint16) Start {
	var ms []StartMember
	for i := range 3 {
		pub := [32]byte(deviceKey(i).Public().(ed25519.PublicKey))
		ms = append(ms, StartMember{ID: journal.DeviceIDOf(pub), FrostID: uint16(i + 1), SignKey: pub})
	}
	return NewStart(testNS, 2, 1, [32]byte{1}, t, ms, [32]byte{2})
}

// FuzzDecodeFrame: no input panics the inbound decoder; an accepted round
// message re-encodes to a frame that decodes to the same canonical bytes,
// an accepted DKGStart re-encodes identically, and errors are ErrBadFrame.
func FuzzDecodeFrame(f *testing.F) {
	for _, b := range seedFrames(f) {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("error %v is not ErrBadFrame", err)
			}
			return
		}
		if fr.Start != nil {
			again, err := marshal(startPBFrame(fr.Start))
			if err != nil {
				t.Fatal(err)
			}
			fr2, err := DecodeFrame(again)
			if err != nil || !bytes.Equal(fr2.Start.Unsigned(), fr.Start.Unsigned()) || fr2.Start.Sig != fr.Start.Sig {
				t.Fatalf("start does not round-trip: %v", err)
			}
			_ = fr.Start.Verify() // must not panic
			return
		}
		again, err := encodeMessage(fr.Data)
		if err != nil {
			t.Fatalf("accepted message does not re-encode: %v", err)
		}
		fr2, err := DecodeFrame(again)
		if err != nil || !bytes.Equal(fr2.Data, fr.Data) || fr2.SID != fr.SID {
			t.Fatalf("message does not round-trip: %v", err)
		}
	})
}

// FuzzDecodeRecord: no stored record panics the loader's decoder.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(2, [32]byte{1}, map[uint16][32]byte{1: {2}, 2: {3}}, make([]byte, 40)))
	f.Add([]byte{1, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, sealed, err := decodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrStore) {
				t.Fatalf("error %v is not ErrStore", err)
			}
			return
		}
		if !bytes.Equal(encodeRecord(s.Threshold, s.GroupKey, s.VerShares, sealed), b) {
			t.Fatal("record does not round-trip")
		}
	})
}

// TestDecodeFrameRejects: wrong sizes, ids out of range and empty frames
// are ErrBadFrame.
func TestDecodeFrameRejects(t *testing.T) {
	b32 := bytes.Repeat([]byte{7}, 32)
	b64 := bytes.Repeat([]byte{9}, 64)
	cases := map[string]*pb.DKGFrame{
		"no body":       {},
		"short sid":     {Body: &pb.DKGFrame_Confirm{Confirm: &pb.DKGConfirm{Sid: b32[:31], TranscriptHash: b32, Sig: b64}}},
		"short sig":     {Body: &pb.DKGFrame_Round2{Round2: &pb.DKGRound2{Sid: b32, From: 1, To: 2, Share: b32, Sig: b64[:63]}}},
		"from 0":        {Body: &pb.DKGFrame_Round2{Round2: &pb.DKGRound2{Sid: b32, From: 0, To: 2, Share: b32, Sig: b64}}},
		"to > u16":      {Body: &pb.DKGFrame_Round2{Round2: &pb.DKGRound2{Sid: b32, From: 1, To: 1 << 16, Share: b32, Sig: b64}}},
		"bad commit":    {Body: &pb.DKGFrame_Round1{Round1: &pb.DKGRound1{Sid: b32, From: 1, Commitments: [][]byte{b32[:3]}, R: b32, Mu: b32, Sig: b64}}},
		"start no t":    {Body: &pb.DKGFrame_Start{Start: &pb.DKGStart{Sid: b32, ParentRoot: b32, DkgNonce: b32, Sig: b64}}},
		"start bad key": {Body: &pb.DKGFrame_Start{Start: &pb.DKGStart{Sid: b32, T: 2, ParentRoot: b32, DkgNonce: b32, Sig: b64, Members: []*pb.DKGMember{{Id: b32[:16], FrostId: 1, SignKey: b32[:5], DhKey: b32}}}}},
	}
	for name, f := range cases {
		b, err := marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeFrame(b); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v, want ErrBadFrame", name, err)
		}
	}
	if _, err := DecodeFrame([]byte{0xff}); !errors.Is(err, ErrBadFrame) {
		t.Errorf("garbage: %v", err)
	}
	for _, b := range seedFrames(t) {
		if _, err := DecodeFrame(b); err != nil {
			t.Errorf("seed frame rejected: %v", err)
		}
	}
}

// TestStartVerify: a signed start verifies and names its proposer; a
// changed field, a non-member signature, FrostIDs out of order or a
// foreign namespace are ErrBadStart.
func TestStartVerify(t *testing.T) {
	s := testStart(2)
	s.Sign(deviceKey(1))
	if err := s.Verify(); err != nil || s.Proposer != 2 {
		t.Fatalf("Verify: %v proposer %d", err, s.Proposer)
	}
	if _, err := s.Session(testNS); err != nil {
		t.Fatal(err)
	}
	other := append([]byte{}, testNS...)
	other[5] ^= 1
	if _, err := s.Session(other); !errors.Is(err, ErrBadStart) {
		t.Fatalf("foreign namespace: %v", err)
	}
	mut := s
	mut.KeyEpoch++
	forged := testStart(2)
	forged.Sign(deviceKey(8))
	order := testStart(2)
	order.Members = []StartMember{order.Members[1], order.Members[0], order.Members[2]}
	order.Sign(deviceKey(0))
	for name, x := range map[string]Start{"changed": mut, "forged": forged, "order": order} {
		if err := x.Verify(); !errors.Is(err, ErrBadStart) {
			t.Errorf("%s: %v, want ErrBadStart", name, err)
		}
	}
}
