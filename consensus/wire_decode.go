package consensus

import (
	"fmt"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/journal"
	pb "github.com/aura-p2p/aura-p2p/protocols/consensuspb"
)

// dec accumulates the first decoding error.
type dec struct{ err error }

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, what)
	}
}

func fixed[A ~[16]byte | ~[32]byte | ~[64]byte](d *dec, b []byte, what string) A {
	var a A
	if len(b) != len(a) {
		d.fail(what)
		return a
	}
	switch p := any(&a).(type) {
	case *[16]byte:
		copy(p[:], b)
	case *[32]byte:
		copy(p[:], b)
	case *[64]byte:
		copy(p[:], b)
	case *WitnessID:
		copy(p[:], b)
	}
	return a
}

func list[T, U any](d *dec, in []T, limit int, what string, f func(*dec, T) U) []U {
	if len(in) > limit {
		d.fail(what + " count")
		return nil
	}
	if len(in) == 0 {
		return nil
	}
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(d, v)
	}
	return out
}

// FromProto maps a decoded frame to a typed message, checking sizes.
func FromProto(f *pb.ConsensusFrame) (Message, error) {
	d := &dec{}
	var m Message
	switch b := f.GetBody().(type) {
	case *pb.ConsensusFrame_Execute:
		m = d.execute(b.Execute)
	case *pb.ConsensusFrame_FetchExecute:
		m = &GetExecute{CID: fixed[[32]byte](d, b.FetchExecute.GetCid(), "cid")}
	case *pb.ConsensusFrame_NonceCommit:
		m = &NonceCommit{CID: fixed[[32]byte](d, b.NonceCommit.GetCid(), "cid"), Commitment: d.sc(b.NonceCommit.GetCommitment())}
	case *pb.ConsensusFrame_SignRequest:
		m = &SignRequest{CID: fixed[[32]byte](d, b.SignRequest.GetCid(), "cid"), Package: d.pkg(b.SignRequest.GetPackage())}
	case *pb.ConsensusFrame_SignShare:
		m = d.signShare(b.SignShare)
	case *pb.ConsensusFrame_StateMismatch:
		s := b.StateMismatch
		m = &StateMismatch{CID: fixed[[32]byte](d, s.GetCid(), "cid"), Expected: fixed[[32]byte](d, s.GetExpected(), "expected"),
			Actual: fixed[[32]byte](d, s.GetActual(), "actual"), Evidence: list(d, s.GetEvidence(), maxEvidence, "evidence", (*dec).proof)}
	case *pb.ConsensusFrame_Conflict:
		c := b.Conflict
		m = &Conflict{CID: fixed[[32]byte](d, c.GetCid(), "cid"), Votes: list(d, c.GetVotes(), maxList, "votes", (*dec).vote),
			Evidence: list(d, c.GetEvidence(), maxEvidence, "evidence", (*dec).proof)}
	case *pb.ConsensusFrame_Commit:
		m = d.commit(b.Commit)
	case *pb.ConsensusFrame_CommitmentAnnounce:
		a := b.CommitmentAnnounce
		m = &CommitmentAnnounce{KeyEpoch: a.GetKeyEpoch(), Commitments: list(d, a.GetCommitments(), maxList, "commitments", (*dec).sc)}
	case *pb.ConsensusFrame_AggregateShare:
		m = d.aggShare(b.AggregateShare)
	default:
		return nil, fmt.Errorf("%w: empty frame", ErrMalformed)
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}

func (d *dec) ns(n *pb.Namespace) journal.Namespace {
	k := n.GetKind()
	if k > 255 || !journal.Kind(k).Valid() {
		d.fail("namespace kind")
	}
	return journal.Namespace{Kind: journal.Kind(k), ID: fixed[[16]byte](d, n.GetId(), "namespace id")}
}

func (d *dec) vote(v *pb.Vote) Vote {
	return Vote{CID: fixed[[32]byte](d, v.GetCid(), "vote cid"), PrestateHash: fixed[[32]byte](d, v.GetPrestateHash(), "vote prestate"),
		RID: fixed[[32]byte](d, v.GetRid(), "vote rid"), Witness: fixed[WitnessID](d, v.GetWitness(), "vote witness"),
		KeyEpoch: v.GetKeyEpoch(), Sig: fixed[[64]byte](d, v.GetSig(), "vote sig")}
}

func (d *dec) sc(c *pb.SignedCommitment) SignedCommitment {
	if len(c.GetCommitment()) != frostx.CommitmentSize {
		d.fail("commitment size")
	}
	return SignedCommitment{Witness: fixed[WitnessID](d, c.GetWitness(), "commitment witness"), KeyEpoch: c.GetKeyEpoch(),
		Gen: c.GetGen(), For: fixed[[32]byte](d, c.GetFor(), "commitment for"), Commitment: c.GetCommitment(),
		Sig: fixed[[64]byte](d, c.GetSig(), "commitment sig")}
}

func (d *dec) pkg(p *pb.SigningPackage) SigningPackage {
	sp := SigningPackage{Commitments: list(d, p.GetCommitments(), maxList, "package commitments", func(d *dec, b []byte) []byte {
		if len(b) != frostx.CommitmentSize {
			d.fail("package commitment size")
		}
		return b
	})}
	sp.Signers = list(d, p.GetSigners(), maxList, "package signers", func(d *dec, s uint32) uint16 {
		if s == 0 || s > 0xffff {
			d.fail("package signer id")
		}
		return uint16(s)
	})
	if len(sp.Signers) != len(sp.Commitments) {
		d.fail("package signers and commitments differ in length")
	}
	return sp
}

func (d *dec) share(s *pb.PackageShare) PackageShare {
	if len(s.GetShare()) != frostx.ShareSize {
		d.fail("share size")
	}
	return PackageShare{PackageID: fixed[[32]byte](d, s.GetPackageId(), "package id"), Share: s.GetShare()}
}

func (d *dec) proof(p *pb.EquivocationProof) EquivocationProof {
	return EquivocationProof{Vote1: d.vote(p.GetVote1()), Vote2: d.vote(p.GetVote2())}
}

func (d *dec) execute(x *pb.Execute) *Execute {
	return &Execute{CID: fixed[[32]byte](d, x.GetCid(), "cid"), PrestateHash: fixed[[32]byte](d, x.GetPrestateHash(), "prestate"),
		OpHash: fixed[[32]byte](d, x.GetOpHash(), "op hash"), Nonce: x.GetNonce(), Op: x.GetOp(), Scope: d.ns(x.GetScope()),
		KeyEpoch: x.GetKeyEpoch(), Packages: list(d, x.GetPackages(), maxList, "packages", (*dec).pkg),
		Evidence: list(d, x.GetEvidence(), maxEvidence, "evidence", (*dec).proof)}
}

func (d *dec) signShare(s *pb.SignShare) *SignShare {
	return &SignShare{CID: fixed[[32]byte](d, s.GetCid(), "cid"), Vote: d.vote(s.GetVote()),
		Shares: list(d, s.GetShares(), maxList, "shares", (*dec).share), Next: list(d, s.GetNext(), maxList, "next", (*dec).sc),
		KeyEpoch: s.GetKeyEpoch(), Evidence: list(d, s.GetEvidence(), maxEvidence, "evidence", (*dec).proof)}
}

func (d *dec) commit(c *pb.Commit) *Commit {
	jf, err := journal.DecodeFact(c.GetFact())
	if err != nil {
		d.fail("commit fact framing")
		return &Commit{}
	}
	f, err := CommitFromFact(jf)
	if err != nil {
		d.fail("commit fact body")
	}
	return &Commit{Fact: f, Evidence: list(d, c.GetEvidence(), maxEvidence, "evidence", (*dec).proof)}
}

func (d *dec) aggShare(a *pb.AggregateShare) *AggregateShare {
	return &AggregateShare{CID: fixed[[32]byte](d, a.GetCid(), "cid"), Round: a.GetRound(),
		Witness: fixed[WitnessID](d, a.GetWitness(), "witness"), Votes: list(d, a.GetVotes(), maxList, "votes", (*dec).vote),
		Commitments: list(d, a.GetCommitments(), maxList, "commitments", (*dec).sc),
		Shares:      list(d, a.GetShares(), maxList, "shares", (*dec).share),
		Evidence:    list(d, a.GetEvidence(), maxEvidence, "evidence", (*dec).proof), Sig: fixed[[64]byte](d, a.GetSig(), "sig")}
}
