package protocols_test

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/aura-p2p/aura-p2p/protocols"
	"github.com/aura-p2p/aura-p2p/protocols/consensuspb"
	"github.com/aura-p2p/aura-p2p/protocols/dkgpb"
	"github.com/aura-p2p/aura-p2p/protocols/invitepb"
	"github.com/aura-p2p/aura-p2p/protocols/syncpb"
)

// Upper bounds from SPEC §0, §3, §5, §6.3, §9, §10 used to build the largest
// frames each protocol must carry.
const (
	receiptMax     = 256      // canonical Receipt is 196 B (§6.3); margin
	maxFact        = 64 << 10 // max fact body (§10)
	maxCanonFact   = maxFact + 1 + 16 + 2 + 2 + 3
	maxSymbol      = 32 + 8 + 10 // Sum ‖ Chk ‖ zigzag-uvarint int64
	symsPerFrame   = 1024
	idsPerFrame    = 2048
	wantPerFrame   = 128
	maxMembers     = 64 // MaxDevices (§10); also bounds committee size here
	maxEvidence    = 16
	maxOutstanding = 64 // commitments per witness (§5.4)
	spareSets      = 2  // FastPathSpareSets
)

var b = func(n int) []byte { return bytes.Repeat([]byte{0xff}, n) }

func vote() *consensuspb.Vote {
	return &consensuspb.Vote{Cid: b(32), PrestateHash: b(32), Rid: b(32), Witness: b(16), KeyEpoch: ^uint64(0), Sig: b(64)}
}

func signedCommitment() *consensuspb.SignedCommitment {
	return &consensuspb.SignedCommitment{Witness: b(16), KeyEpoch: ^uint64(0), Gen: ^uint64(0), For: b(32), Commitment: b(75), Sig: b(64)}
}

func evidence() (e []*consensuspb.EquivocationProof) {
	for range maxEvidence {
		e = append(e, &consensuspb.EquivocationProof{Vote1: vote(), Vote2: vote()})
	}
	return e
}

func fullPackage() *consensuspb.SigningPackage {
	p := &consensuspb.SigningPackage{}
	for i := range maxMembers {
		p.Signers = append(p.Signers, uint32(0xff00+i))
		p.Commitments = append(p.Commitments, b(75))
	}
	return p
}

func repeat[T any](n int, f func() T) (out []T) {
	for range n {
		out = append(out, f())
	}
	return out
}

func worstSync() map[string]proto.Message {
	w := func(body any) *syncpb.SyncFrame {
		f := &syncpb.SyncFrame{}
		switch x := body.(type) {
		case *syncpb.Hello:
			f.Body = &syncpb.SyncFrame_Hello{Hello: x}
		case *syncpb.Symbols:
			f.Body = &syncpb.SyncFrame_Symbols{Symbols: x}
		case *syncpb.Ids:
			f.Body = &syncpb.SyncFrame_Ids{Ids: x}
		case *syncpb.Want:
			f.Body = &syncpb.SyncFrame_Want{Want: x}
		case *syncpb.Facts:
			f.Body = &syncpb.SyncFrame_Facts{Facts: x}
		}
		return f
	}
	return map[string]proto.Message{
		"sync Hello (1536 B box + tag)": w(&syncpb.Hello{NonceI: b(16), Ref: b(16), BoxI: b(1536 + 16)}),
		"sync Symbols (1024 symbols)":   w(&syncpb.Symbols{First: ^uint32(0), Syms: b(symsPerFrame * maxSymbol), Receipt: b(receiptMax)}),
		"sync Ids (2048 ids)":           w(&syncpb.Ids{Ids: b(idsPerFrame * 32), Receipt: b(receiptMax)}),
		"sync Want (128 ids)":           w(&syncpb.Want{Ids: b(wantPerFrame * 32), Receipt: b(receiptMax)}),
		"sync Facts (one max fact)":     w(&syncpb.Facts{Entries: [][]byte{b(maxCanonFact)}, Receipt: b(receiptMax)}),
	}
}

func worstConsensus() map[string]proto.Message {
	ctx := func(f *consensuspb.ConsensusFrame) *consensuspb.ConsensusFrame {
		f.Receipt, f.TokenHash = b(receiptMax), b(32)
		return f
	}
	return map[string]proto.Message{
		"consensus Execute (max op, 1+2 packages of 64, 16 proofs)": ctx(&consensuspb.ConsensusFrame{
			Body: &consensuspb.ConsensusFrame_Execute{Execute: &consensuspb.Execute{
				Cid: b(32), PrestateHash: b(32), OpHash: b(32), Nonce: ^uint64(0), Op: b(maxCanonFact),
				Scope: &consensuspb.Namespace{Kind: 2, Id: b(16)}, KeyEpoch: ^uint64(0),
				Packages: repeat(1+spareSets, fullPackage), Evidence: evidence()}}}),
		"consensus Commit (max fact, 16 proofs)": ctx(&consensuspb.ConsensusFrame{
			Body: &consensuspb.ConsensusFrame_Commit{Commit: &consensuspb.Commit{Fact: b(maxCanonFact), Evidence: evidence()}}}),
		"consensus AggregateShare (64 votes, 64 commitments, 3 shares, 16 proofs)": ctx(&consensuspb.ConsensusFrame{
			Body: &consensuspb.ConsensusFrame_AggregateShare{AggregateShare: &consensuspb.AggregateShare{
				Cid: b(32), Round: ^uint32(0), Witness: b(16), Votes: repeat(maxMembers, vote),
				Commitments: repeat(maxMembers, signedCommitment),
				Shares: repeat(1+spareSets, func() *consensuspb.PackageShare {
					return &consensuspb.PackageShare{PackageId: b(32), Share: b(35)}
				}),
				Evidence: evidence(), Sig: b(64)}}}),
		"consensus CommitmentAnnounce (64 commitments)": ctx(&consensuspb.ConsensusFrame{
			Body: &consensuspb.ConsensusFrame_CommitmentAnnounce{CommitmentAnnounce: &consensuspb.CommitmentAnnounce{
				KeyEpoch: ^uint64(0), Commitments: repeat(maxOutstanding, signedCommitment)}}}),
		"consensus Conflict (64 votes, 16 proofs)": ctx(&consensuspb.ConsensusFrame{
			Body: &consensuspb.ConsensusFrame_Conflict{Conflict: &consensuspb.Conflict{
				Cid: b(32), Votes: repeat(maxMembers, vote), Evidence: evidence()}}}),
	}
}

func worstDKG() map[string]proto.Message {
	member := func() *dkgpb.DKGMember {
		return &dkgpb.DKGMember{Id: b(16), FrostId: 0xffff, SignKey: b(32), DhKey: b(32)}
	}
	ctx := func(f *dkgpb.DKGFrame) *dkgpb.DKGFrame { f.Receipt, f.TokenHash = b(receiptMax), b(32); return f }
	return map[string]proto.Message{
		"dkg DKGStart (64 members)": ctx(&dkgpb.DKGFrame{Body: &dkgpb.DKGFrame_Start{Start: &dkgpb.DKGStart{
			Sid: b(32), KeyEpoch: ^uint64(0), ParentEpoch: ^uint64(0), ParentRoot: b(32), T: 0xffff,
			Members: repeat(maxMembers, member), DkgNonce: b(32), Sig: b(64)}}}),
		"dkg DKGRound1 (t = 64)": ctx(&dkgpb.DKGFrame{Body: &dkgpb.DKGFrame_Round1{Round1: &dkgpb.DKGRound1{
			Sid: b(32), From: 0xffff, Commitments: repeat(maxMembers, func() []byte { return b(32) }),
			R: b(32), Mu: b(32), Sig: b(64)}}}),
	}
}

func worstInvite() map[string]proto.Message {
	return map[string]proto.Message{
		"invite JoinRequest": &invitepb.InviteFrame{Body: &invitepb.InviteFrame_JoinRequest{JoinRequest: &invitepb.JoinRequest{
			DeviceKey: b(32), DhKey: b(32), PeerId: b(64), Mac: b(32)}}},
		"invite InviteAccept": &invitepb.InviteFrame{Body: &invitepb.InviteFrame_InviteAccept{InviteAccept: &invitepb.InviteAccept{
			ContextId: b(16), Member: &invitepb.MemberKeys{AuthorityId: b(16), SignKey: b(32), DhKey: b(32), Sig: b(64)},
			EphX25519: b(32), Mac: b(32)}}},
	}
}

// TestWorstCaseFramesFitCaps builds the largest frame SPEC §4, §5 and §9
// allow of each bulky kind and checks it fits its protocol's cap (SPEC §10),
// so an honest sender never needs a frame its peer resets. Run with -v for
// the sizes.
func TestWorstCaseFramesFitCaps(t *testing.T) {
	groups := []struct {
		cap  int
		msgs map[string]proto.Message
	}{
		{protocols.MaxSyncFrame, worstSync()},
		{protocols.MaxConsensusFrame, worstConsensus()},
		{protocols.MaxDKGFrame, worstDKG()},
		{protocols.MaxInviteFrame, worstInvite()},
	}
	for _, g := range groups {
		for _, name := range slices.Sorted(maps.Keys(g.msgs)) {
			m := g.msgs[name]
			n := proto.Size(m)
			t.Logf("%-75s %6d B of %6d B (%.0f%%)", name, n, g.cap, 100*float64(n)/float64(g.cap))
			if _, err := protocols.Marshal(m, g.cap); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}
