package dkgsvc

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	pb "github.com/aura-p2p/aura-p2p/protocols/dkgpb"
)

// Frame is one decoded inbound DKGFrame: either a DKGStart (Start non-nil)
// or a round message, re-encoded canonically for dkg.Participant.Handle.
type Frame struct {
	// SID is the session the frame belongs to.
	SID [32]byte
	// Start is set for a DKGStart (signature not yet checked).
	Start *Start
	// Data is the canonical dkg encoding of a Round1, Round2 or Confirm
	// (first byte dkg.KindRound1/2/Confirm); nil for a DKGStart.
	Data []byte
}

// DecodeFrame decodes and shape-checks one DKGFrame. Every field must have
// its exact size and every id must fit a u16; anything else is
// ErrBadFrame. It never panics.
func DecodeFrame(b []byte) (Frame, error) {
	var f pb.DKGFrame
	if err := proto.Unmarshal(b, &f); err != nil {
		return Frame{}, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	switch body := f.Body.(type) {
	case *pb.DKGFrame_Start:
		return startFrame(body.Start)
	case *pb.DKGFrame_Round1:
		return round1Frame(body.Round1)
	case *pb.DKGFrame_Round2:
		return round2Frame(body.Round2)
	case *pb.DKGFrame_Confirm:
		return confirmFrame(body.Confirm)
	}
	return Frame{}, fmt.Errorf("%w: no body", ErrBadFrame)
}

// fixed copies b into an n-byte array slot, failing on any other length.
func fixed(dst []byte, b []byte, what string) error {
	if len(b) != len(dst) {
		return fmt.Errorf("%w: %s is %d bytes, want %d", ErrBadFrame, what, len(b), len(dst))
	}
	copy(dst, b)
	return nil
}

func u16(v uint32, what string) (uint16, error) {
	if v == 0 || v > math.MaxUint16 {
		return 0, fmt.Errorf("%w: %s %d out of range", ErrBadFrame, what, v)
	}
	return uint16(v), nil
}

func round1Frame(m *pb.DKGRound1) (Frame, error) {
	var r dkg.Round1
	from, err := u16(m.GetFrom(), "from")
	if err != nil {
		return Frame{}, err
	}
	r.From = from
	if len(m.GetCommitments()) > dkg.MaxParticipants {
		return Frame{}, fmt.Errorf("%w: %d commitments", ErrBadFrame, len(m.GetCommitments()))
	}
	r.C = make([][32]byte, len(m.GetCommitments()))
	for i, c := range m.GetCommitments() {
		if err := fixed(r.C[i][:], c, "commitment"); err != nil {
			return Frame{}, err
		}
	}
	if err := firstErr(fixed(r.SID[:], m.GetSid(), "sid"), fixed(r.R[:], m.GetR(), "R"),
		fixed(r.Mu[:], m.GetMu(), "mu"), fixed(r.Sig[:], m.GetSig(), "sig")); err != nil {
		return Frame{}, err
	}
	return Frame{SID: r.SID, Data: r.Encode()}, nil
}

func round2Frame(m *pb.DKGRound2) (Frame, error) {
	var r dkg.Round2
	from, err := u16(m.GetFrom(), "from")
	if err != nil {
		return Frame{}, err
	}
	to, err := u16(m.GetTo(), "to")
	if err != nil {
		return Frame{}, err
	}
	r.From, r.To = from, to
	if err := firstErr(fixed(r.SID[:], m.GetSid(), "sid"), fixed(r.Share[:], m.GetShare(), "share"),
		fixed(r.Sig[:], m.GetSig(), "sig")); err != nil {
		return Frame{}, err
	}
	return Frame{SID: r.SID, Data: r.Encode()}, nil
}

func confirmFrame(m *pb.DKGConfirm) (Frame, error) {
	var c dkg.Confirm
	if err := firstErr(fixed(c.SID[:], m.GetSid(), "sid"),
		fixed(c.TranscriptHash[:], m.GetTranscriptHash(), "transcript hash"),
		fixed(c.Sig[:], m.GetSig(), "sig")); err != nil {
		return Frame{}, err
	}
	return Frame{SID: c.SID, Data: c.Encode()}, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// encodeMessage turns a Participant's canonical message into the
// deterministic DKGFrame bytes that go on the wire.
func encodeMessage(data []byte) ([]byte, error) {
	f, err := messageFrame(data)
	if err != nil {
		return nil, err
	}
	return marshal(f)
}

func marshal(f *pb.DKGFrame) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(f)
}

func messageFrame(data []byte) (*pb.DKGFrame, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty message", ErrBadFrame)
	}
	switch data[0] {
	case dkg.KindRound1:
		m, err := dkg.DecodeRound1(data)
		if err != nil {
			return nil, err
		}
		return &pb.DKGFrame{Body: &pb.DKGFrame_Round1{Round1: round1PB(&m)}}, nil
	case dkg.KindRound2:
		m, err := dkg.DecodeRound2(data)
		if err != nil {
			return nil, err
		}
		return &pb.DKGFrame{Body: &pb.DKGFrame_Round2{Round2: &pb.DKGRound2{Sid: m.SID[:], From: uint32(m.From),
			To: uint32(m.To), Share: m.Share[:], Sig: m.Sig[:]}}}, nil
	case dkg.KindConfirm:
		m, err := dkg.DecodeConfirm(data)
		if err != nil {
			return nil, err
		}
		return &pb.DKGFrame{Body: &pb.DKGFrame_Confirm{Confirm: &pb.DKGConfirm{Sid: m.SID[:],
			TranscriptHash: m.TranscriptHash[:], Sig: m.Sig[:]}}}, nil
	}
	return nil, fmt.Errorf("%w: kind %d", ErrBadFrame, data[0])
}

func round1PB(m *dkg.Round1) *pb.DKGRound1 {
	cs := make([][]byte, len(m.C))
	for i := range m.C {
		cs[i] = m.C[i][:]
	}
	return &pb.DKGRound1{Sid: m.SID[:], From: uint32(m.From), Commitments: cs, R: m.R[:], Mu: m.Mu[:], Sig: m.Sig[:]}
}

func startPBFrame(s *Start) *pb.DKGFrame {
	return &pb.DKGFrame{Body: &pb.DKGFrame_Start{Start: s.pb()}}
}
