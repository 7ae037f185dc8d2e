package invite

import (
	"crypto/subtle"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/internal/seal"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/protocols"
	pb "github.com/aura-p2p/aura-p2p/protocols/invitepb"
)

// SealedSecretLen is the size of a JoinResult's sealed secret:
// Seal(DHKey, AuthoritySecret) of a 32-byte secret (SPEC §0).
const SealedSecretLen = seal.Overhead + 32

// Candidate is the joining device as the tree service's AddLeaf needs it
// (journal/tree/treesvc defines the same fields; node converts).
type Candidate struct {
	DeviceKey, DHKey [32]byte
	Peer             peer.ID
}

// JoinRequest is a decoded JoinRequest frame (SPEC §4.1 step 2).
type JoinRequest struct {
	Candidate
	MAC [32]byte
}

// JoinMAC is MAC(Secret, AuthorityId, DeviceKey, DHKey, PeerID) with
// canon.MAC; PeerID is the peer id's binary multihash.
func JoinMAC(inv Invite, c Candidate) [32]byte {
	return canon.MAC(inv.Secret[:], inv.Authority[:], c.DeviceKey[:], c.DHKey[:], []byte(c.Peer))
}

// NewJoinRequest is the joiner's request for candidate c under inv.
func NewJoinRequest(inv Invite, c Candidate) JoinRequest {
	return JoinRequest{Candidate: c, MAC: JoinMAC(inv, c)}
}

// Verify reports, in constant time over the MAC, whether r was made with
// inv's Secret and Authority (recomputed from the decoded values).
func (r JoinRequest) Verify(inv Invite) bool {
	want := JoinMAC(inv, r.Candidate)
	return subtle.ConstantTimeCompare(want[:], r.MAC[:]) == 1
}

// EncodeJoinRequest is the InviteFrame carrying r.
func EncodeJoinRequest(r JoinRequest) ([]byte, error) {
	f := &pb.InviteFrame{Body: &pb.InviteFrame_JoinRequest{JoinRequest: &pb.JoinRequest{
		DeviceKey: r.DeviceKey[:], DhKey: r.DHKey[:], PeerId: []byte(r.Peer), Mac: r.MAC[:]}}}
	return protocols.Marshal(f, protocols.MaxInviteFrame)
}

// DecodeJoinRequest decodes one inbound frame strictly: an InviteFrame
// holding a JoinRequest with 32-byte keys and MAC and a valid peer id.
// Every failure wraps ErrBadFrame. It does not check the MAC.
func DecodeJoinRequest(b []byte) (JoinRequest, error) {
	if len(b) > protocols.MaxInviteFrame {
		return JoinRequest{}, fmt.Errorf("%w: %d bytes", ErrBadFrame, len(b))
	}
	var f pb.InviteFrame
	if err := protocols.Unmarshal(b, &f); err != nil {
		return JoinRequest{}, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	m := f.GetJoinRequest()
	if m == nil {
		return JoinRequest{}, fmt.Errorf("%w: not a JoinRequest", ErrBadFrame)
	}
	var r JoinRequest
	if !fixed(r.DeviceKey[:], m.DeviceKey) || !fixed(r.DHKey[:], m.DhKey) || !fixed(r.MAC[:], m.Mac) {
		return JoinRequest{}, fmt.Errorf("%w: field size", ErrBadFrame)
	}
	if len(m.PeerId) > MaxPeerIDBytes {
		return JoinRequest{}, fmt.Errorf("%w: peer id size", ErrBadFrame)
	}
	p, err := peer.IDFromBytes(m.PeerId)
	if err != nil {
		return JoinRequest{}, fmt.Errorf("%w: peer id: %w", ErrBadFrame, err)
	}
	r.Peer = p
	return r, nil
}

// EncodeJoinResult is the InviteFrame carrying the inviter's reply.
func EncodeJoinResult(sealed []byte, keyEpoch uint64) ([]byte, error) {
	if len(sealed) != SealedSecretLen {
		return nil, fmt.Errorf("%w: sealed secret is %d bytes, want %d", ErrBadFrame, len(sealed), SealedSecretLen)
	}
	f := &pb.InviteFrame{Body: &pb.InviteFrame_JoinResult{JoinResult: &pb.JoinResult{
		SealedSecret: sealed, KeyEpoch: keyEpoch}}}
	return protocols.Marshal(f, protocols.MaxInviteFrame)
}

// DecodeJoinResult decodes the inviter's reply strictly (a JoinResult
// with a SealedSecretLen-byte sealed secret); failures wrap ErrBadFrame.
func DecodeJoinResult(b []byte) (sealed []byte, keyEpoch uint64, err error) {
	if len(b) > protocols.MaxInviteFrame {
		return nil, 0, fmt.Errorf("%w: %d bytes", ErrBadFrame, len(b))
	}
	var f pb.InviteFrame
	if err := protocols.Unmarshal(b, &f); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	m := f.GetJoinResult()
	if m == nil || len(m.SealedSecret) != SealedSecretLen {
		return nil, 0, fmt.Errorf("%w: not a JoinResult", ErrBadFrame)
	}
	return append([]byte(nil), m.SealedSecret...), m.KeyEpoch, nil
}

// fixed copies src into dst iff the sizes match.
func fixed(dst, src []byte) bool {
	if len(src) != len(dst) {
		return false
	}
	copy(dst, src)
	return true
}

// budgetCtx is the authority's internal budget context, the same as
// consensus/driver.AuthorityCtx: Trunc16(H("aura/authority-ctx/v1", a)).
func budgetCtx(a journal.AuthorityID) journal.ContextID {
	return journal.ContextID(canon.Trunc16(canon.H("aura/authority-ctx/v1", a[:])))
}

// deviceDst is a device's id as an authority-scope budget destination.
func deviceDst(deviceKey [32]byte) journal.AuthorityID {
	return journal.AuthorityID(journal.DeviceIDOf(deviceKey))
}
