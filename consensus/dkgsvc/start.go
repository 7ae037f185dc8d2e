package dkgsvc

import (
	"crypto/ed25519"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	pb "github.com/aura-p2p/aura-p2p/protocols/dkgpb"
)

// startTag is the hash tag of the DKGStart signature [GO-DECISION: SPEC
// §4.1 says "Sig by P" without naming the signed bytes]:
// Sig = Ed25519(P, H("aura/dkg-start/v1", canonical DKGStart without Sig)).
const startTag = "aura/dkg-start/v1"

// StartMember is one resulting member listed in a DKGStart (SPEC §4.1).
type StartMember struct {
	ID      [16]byte // DeviceId (authority) or AuthorityId (context)
	FrostID uint16   // 1..N, in list order
	SignKey [32]byte // Ed25519 key of its DKG messages
	DHKey   [32]byte // X25519 key for SealedSecrets
}

// Start is a DKGStart (SPEC §4.1 step 3a), proposer → every member.
type Start struct {
	SID         [32]byte
	KeyEpoch    uint64
	ParentEpoch uint64
	ParentRoot  [32]byte
	T           uint16
	Members     []StartMember
	Nonce       [32]byte
	Sig         [64]byte

	// Proposer is the FrostID whose SignKey verified Sig (set by Verify,
	// not on the wire).
	Proposer uint16
	// From is the peer the DKGStart arrived from (set by the service).
	From peer.ID
}

// NewStart builds an unsigned DKGStart for namespace ns (canonical
// u8 Kind ‖ ID) with sid computed as in SPEC §4.
func NewStart(ns []byte, keyEpoch, parentEpoch uint64, parentRoot [32]byte, t uint16, members []StartMember, nonce [32]byte) Start {
	s := Start{KeyEpoch: keyEpoch, ParentEpoch: parentEpoch, ParentRoot: parentRoot, T: t,
		Members: append([]StartMember(nil), members...), Nonce: nonce}
	s.SID = s.session(ns).SID()
	return s
}

func (s *Start) session(ns []byte) dkg.Session {
	sess := dkg.Session{Namespace: append([]byte(nil), ns...), KeyEpoch: s.KeyEpoch, Nonce: s.Nonce, Threshold: s.T}
	for _, m := range s.Members {
		sess.SignKeys = append(sess.SignKeys, m.SignKey)
	}
	return sess
}

// Unsigned is the canonical encoding without Sig.
func (s *Start) Unsigned() []byte {
	var e canon.Encoder
	e.Raw(s.SID[:]).U64(s.KeyEpoch).U64(s.ParentEpoch).Raw(s.ParentRoot[:]).U16(s.T).Count(len(s.Members))
	for _, m := range s.Members {
		e.Raw(m.ID[:]).U16(m.FrostID).Raw(m.SignKey[:]).Raw(m.DHKey[:])
	}
	return e.Raw(s.Nonce[:]).Bytes()
}

func (s *Start) digest() []byte {
	h := canon.H(startTag, s.Unsigned())
	return h[:]
}

// Sign signs s with the proposer's key (a resulting member's SignKey).
func (s *Start) Sign(key ed25519.PrivateKey) {
	copy(s.Sig[:], ed25519.Sign(key, s.digest()))
}

// Verify checks the member list (FrostIDs 1..N in order, 2 ≤ T ≤ N) and
// that Sig verifies under one member's SignKey, and sets Proposer.
func (s *Start) Verify() error {
	for i, m := range s.Members {
		if int(m.FrostID) != i+1 {
			return fmt.Errorf("%w: member %d has FrostID %d", ErrBadStart, i+1, m.FrostID)
		}
	}
	if s.T < 2 || int(s.T) > len(s.Members) || len(s.Members) > dkg.MaxParticipants {
		return fmt.Errorf("%w: t=%d N=%d", ErrBadStart, s.T, len(s.Members))
	}
	d := s.digest()
	for _, m := range s.Members {
		if ed25519.Verify(m.SignKey[:], d, s.Sig[:]) {
			s.Proposer = m.FrostID
			return nil
		}
	}
	return fmt.Errorf("%w: signature verifies under no member key", ErrBadStart)
}

// Session returns the dkg.Session of s in namespace ns, checking that the
// sid recomputes and the session is valid.
func (s *Start) Session(ns []byte) (dkg.Session, error) {
	sess := s.session(ns)
	if sess.SID() != s.SID {
		return dkg.Session{}, fmt.Errorf("%w: sid does not recompute", ErrBadStart)
	}
	if err := sess.Validate(); err != nil {
		return dkg.Session{}, fmt.Errorf("%w: %w", ErrBadStart, err)
	}
	return sess, nil
}

func (s *Start) pb() *pb.DKGStart {
	out := &pb.DKGStart{Sid: s.SID[:], KeyEpoch: s.KeyEpoch, ParentEpoch: s.ParentEpoch,
		ParentRoot: s.ParentRoot[:], T: uint32(s.T), DkgNonce: s.Nonce[:], Sig: s.Sig[:]}
	for _, m := range s.Members {
		out.Members = append(out.Members, &pb.DKGMember{Id: m.ID[:], FrostId: uint32(m.FrostID),
			SignKey: m.SignKey[:], DhKey: m.DHKey[:]})
	}
	return out
}

func startFrame(m *pb.DKGStart) (Frame, error) {
	s := Start{KeyEpoch: m.GetKeyEpoch(), ParentEpoch: m.GetParentEpoch()}
	t, err := u16(m.GetT(), "t")
	if err != nil {
		return Frame{}, err
	}
	s.T = t
	if len(m.GetMembers()) > dkg.MaxParticipants {
		return Frame{}, fmt.Errorf("%w: %d members", ErrBadFrame, len(m.GetMembers()))
	}
	for _, pm := range m.GetMembers() {
		sm, err := startMember(pm)
		if err != nil {
			return Frame{}, err
		}
		s.Members = append(s.Members, sm)
	}
	if err := firstErr(fixed(s.SID[:], m.GetSid(), "sid"), fixed(s.ParentRoot[:], m.GetParentRoot(), "parent root"),
		fixed(s.Nonce[:], m.GetDkgNonce(), "nonce"), fixed(s.Sig[:], m.GetSig(), "sig")); err != nil {
		return Frame{}, err
	}
	return Frame{SID: s.SID, Start: &s}, nil
}

func startMember(m *pb.DKGMember) (StartMember, error) {
	var sm StartMember
	id, err := u16(m.GetFrostId(), "frost id")
	if err != nil {
		return sm, err
	}
	sm.FrostID = id
	err = firstErr(fixed(sm.ID[:], m.GetId(), "member id"), fixed(sm.SignKey[:], m.GetSignKey(), "sign key"),
		fixed(sm.DHKey[:], m.GetDhKey(), "dh key"))
	return sm, err
}

// AuthoriseKeys returns an Authorise callback that accepts a DKGStart only
// when its proposer's SignKey is one of the given current member keys.
// Callers that know the tree state should also check ParentEpoch,
// ParentRoot and KeyEpoch.
func AuthoriseKeys(current ...[32]byte) func(Start) error {
	set := make(map[[32]byte]bool, len(current))
	for _, k := range current {
		set[k] = true
	}
	return func(s Start) error {
		if s.Proposer == 0 || int(s.Proposer) > len(s.Members) || !set[s.Members[s.Proposer-1].SignKey] {
			return fmt.Errorf("%w: proposer is not a current member", ErrStartRefused)
		}
		return nil
	}
}
