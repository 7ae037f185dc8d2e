package invite

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/aura-p2p/aura-p2p/consensus/driver"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/protocols"
	pb "github.com/aura-p2p/aura-p2p/protocols/invitepb"
)

func TestJoinRequestRoundTripAndMAC(t *testing.T) {
	inv := mint(t, 1, simnet.PeerID(0), t0)
	c := candidate(1, simnet.PeerID(1))
	req := NewJoinRequest(inv, c)
	b, err := EncodeJoinRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeJoinRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if got != req || !got.Verify(inv) {
		t.Fatalf("round trip: %+v vs %+v, verify %v", got, req, got.Verify(inv))
	}
	// The MAC binds every part: change any one and Verify fails.
	other := inv
	other.Secret[0] ^= 1
	otherAuth := inv
	otherAuth.Authority[15] ^= 1
	mut := []struct {
		name string
		inv  Invite
		c    Candidate
	}{
		{"secret", other, c},
		{"authority", otherAuth, c},
		{"device key", inv, Candidate{DeviceKey: deviceKey(2), DHKey: c.DHKey, Peer: c.Peer}},
		{"dh key", inv, Candidate{DeviceKey: c.DeviceKey, DHKey: key32(9, 9), Peer: c.Peer}},
		{"peer", inv, Candidate{DeviceKey: c.DeviceKey, DHKey: c.DHKey, Peer: simnet.PeerID(2)}},
	}
	for _, m := range mut {
		r := req
		r.Candidate = m.c
		if r.Verify(m.inv) {
			t.Fatalf("%s: changed input still verifies", m.name)
		}
	}
	if want := JoinMAC(inv, c); want != req.MAC {
		t.Fatal("JoinMAC differs from NewJoinRequest's MAC")
	}
}

func TestBudgetCtxMatchesDriver(t *testing.T) {
	if budgetCtx(testAuthority) != driver.AuthorityCtx(testAuthority) {
		t.Fatal("invite's authority budget context differs from consensus/driver.AuthorityCtx")
	}
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func joinFrame(dk, dh, pid, mac []byte) *pb.InviteFrame {
	return &pb.InviteFrame{Body: &pb.InviteFrame_JoinRequest{JoinRequest: &pb.JoinRequest{
		DeviceKey: dk, DhKey: dh, PeerId: pid, Mac: mac}}}
}

// badJoinFrames are frames DecodeJoinRequest must refuse.
func badJoinFrames(t testing.TB) map[string][]byte {
	k := make([]byte, 32)
	pid := []byte(simnet.PeerID(1))
	return map[string][]byte{
		"empty":         {},
		"garbage":       {0xff, 0xff, 0xff},
		"truncated":     marshal(t, joinFrame(k, k, pid, k))[:40],
		"short key":     marshal(t, joinFrame(k[:31], k, pid, k)),
		"long dh":       marshal(t, joinFrame(k, append(k, 0), pid, k)),
		"no mac":        marshal(t, joinFrame(k, k, pid, nil)),
		"bad peer":      marshal(t, joinFrame(k, k, []byte{1, 2, 3}, k)),
		"empty peer":    marshal(t, joinFrame(k, k, nil, k)),
		"long peer":     marshal(t, joinFrame(k, k, bytes.Repeat([]byte{0}, MaxPeerIDBytes+1), k)),
		"invite accept": marshal(t, &pb.InviteFrame{Body: &pb.InviteFrame_InviteAccept{InviteAccept: &pb.InviteAccept{}}}),
		"join result":   marshal(t, &pb.InviteFrame{Body: &pb.InviteFrame_JoinResult{JoinResult: &pb.JoinResult{SealedSecret: sealedFixture()}}}),
		"no body":       marshal(t, &pb.InviteFrame{}),
		"over the cap":  append(marshal(t, joinFrame(k, k, pid, k)), make([]byte, protocols.MaxInviteFrame)...),
	}
}

func TestDecodeJoinRequestRejects(t *testing.T) {
	for name, b := range badJoinFrames(t) {
		if _, err := DecodeJoinRequest(b); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v, want ErrBadFrame", name, err)
		}
	}
}

func TestJoinResultRoundTripAndRejects(t *testing.T) {
	b, err := EncodeJoinResult(sealedFixture(), 7)
	if err != nil {
		t.Fatal(err)
	}
	s, e, err := DecodeJoinResult(b)
	if err != nil || !bytes.Equal(s, sealedFixture()) || e != 7 {
		t.Fatalf("round trip: %v %d %v", s, e, err)
	}
	if _, err := EncodeJoinResult(sealedFixture()[1:], 1); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("short sealed secret encoded: %v", err)
	}
	bad := map[string][]byte{
		"empty":   {},
		"request": marshal(t, joinFrame(make([]byte, 32), make([]byte, 32), []byte(simnet.PeerID(1)), make([]byte, 32))),
		"short":   marshal(t, &pb.InviteFrame{Body: &pb.InviteFrame_JoinResult{JoinResult: &pb.JoinResult{SealedSecret: []byte{1}}}}),
		"garbage": {0x1a, 0x05, 0x01},
	}
	for name, b := range bad {
		if _, _, err := DecodeJoinResult(b); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v, want ErrBadFrame", name, err)
		}
	}
}

// FuzzDecodeJoinRequest: never a panic; errors wrap ErrBadFrame; an
// accepted frame re-encodes to a frame that decodes equal.
func FuzzDecodeJoinRequest(f *testing.F) {
	good, _ := EncodeJoinRequest(NewJoinRequest(mint(f, 1, simnet.PeerID(0), t0), candidate(1, simnet.PeerID(1))))
	f.Add(good)
	for _, b := range badJoinFrames(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeJoinRequest(b)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("error does not wrap ErrBadFrame: %v", err)
			}
			return
		}
		again, err := EncodeJoinRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := DecodeJoinRequest(again)
		if err != nil || r2 != r {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// FuzzDecodeJoinResult: never a panic; accepted results round-trip.
func FuzzDecodeJoinResult(f *testing.F) {
	good, _ := EncodeJoinResult(sealedFixture(), 3)
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{0x1a, 0x02, 0x10, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, e, err := DecodeJoinResult(b)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("error does not wrap ErrBadFrame: %v", err)
			}
			return
		}
		again, err := EncodeJoinResult(s, e)
		if err != nil {
			t.Fatal(err)
		}
		s2, e2, err := DecodeJoinResult(again)
		if err != nil || !bytes.Equal(s, s2) || e != e2 {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
