package dkg

import (
	"errors"
	"fmt"
	"io"

	"github.com/bytemare/ecc"
	secretsharing "github.com/bytemare/secret-sharing"

	"github.com/aura-p2p/aura-p2p/consensus/frostx/internal/edpoint"
	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// g is the DKG group (SPEC §4): ecc.Edwards25519Sha512. ecc and
// secret-sharing keep no shared mutable state, so the DKG does not take
// frostx's library lock (it never calls bytemare/frost).
const g = ecc.Edwards25519Sha512

// pokDST is the hash-to-scalar domain of the proof of knowledge.
const pokDST = "aura/dkg-pok/v1"

var errPoint = errors.New("not a canonical, non-identity, torsion-free point")

// decodePoint requires a canonical, non-identity, torsion-free point
// (P == [8]([8⁻¹ mod L]P)).
func decodePoint(b [32]byte) (*ecc.Element, error) {
	if !edpoint.Valid(b[:]) {
		return nil, errPoint
	}
	e := g.NewElement()
	if err := e.Decode(b[:]); err != nil {
		return nil, errPoint
	}
	return e, nil
}

func encodePoint(e *ecc.Element) [32]byte { return [32]byte(e.Encode()) }

// randomScalar draws a uniform non-zero scalar from 64 bytes of r.
func randomScalar(r io.Reader) (*ecc.Scalar, error) {
	var wide [64]byte
	for {
		if _, err := io.ReadFull(r, wide[:]); err != nil {
			return nil, fmt.Errorf("dkg: randomness: %w", err)
		}
		s := g.NewScalar()
		if err := s.DecodeWithReduction(wide[:]); err != nil {
			return nil, fmt.Errorf("dkg: randomness: %w", err)
		}
		clear(wide[:])
		if !s.IsZero() {
			return s, nil
		}
	}
}

// pokChallenge is c_i = HashToScalar(lp(u16 i) ‖ lp(sid) ‖ lp(C_i[0]) ‖
// lp(R_i), "aura/dkg-pok/v1").
func pokChallenge(i uint16, sid, c0, r [32]byte) (*ecc.Scalar, error) {
	var id, in canon.Encoder
	id.U16(i)
	in.LP(id.Bytes()).LP(sid[:]).LP(c0[:]).LP(r[:])
	return g.HashToScalar(in.Bytes(), []byte(pokDST))
}

// dealing is one member's secret round-1 state.
type dealing struct {
	poly secretsharing.Polynomial // f_i, t coefficients
	msg  Round1
}

// deal draws f_i of degree t−1 and builds the signed Round1 with its proof
// of knowledge of a_i0.
func deal(rnd io.Reader, sid [32]byte, self, t uint16) (*dealing, error) {
	poly := make(secretsharing.Polynomial, t)
	for k := range poly {
		s, err := randomScalar(rnd)
		if err != nil {
			return nil, err
		}
		poly[k] = s
	}
	coms, err := secretsharing.Commit(g, poly)
	if err != nil {
		return nil, fmt.Errorf("dkg: commit: %w", err)
	}
	k, err := randomScalar(rnd)
	if err != nil {
		return nil, err
	}
	m := Round1{SID: sid, From: self, C: make([][32]byte, t), R: encodePoint(g.Base().Multiply(k))}
	for j, c := range coms {
		m.C[j] = encodePoint(c)
	}
	c, err := pokChallenge(self, sid, m.C[0], m.R)
	if err != nil {
		return nil, fmt.Errorf("dkg: challenge: %w", err)
	}
	m.Mu = [32]byte(k.Add(c.Multiply(poly[0])).Encode())
	return &dealing{poly: poly, msg: m}, nil
}

// share evaluates f_i(to).
func (d *dealing) share(to uint16) *ecc.Scalar {
	return d.poly.Evaluate(g.NewScalar().SetUInt64(uint64(to)))
}

func (d *dealing) zero() {
	for _, c := range d.poly {
		c.Zero()
	}
}

// checkRound1 runs every receiver check of SPEC §4 round 1 except the
// signature and returns the decoded commitments.
func checkRound1(m *Round1, sid [32]byte, t uint16) ([]*ecc.Element, error) {
	if m.SID != sid {
		return nil, badProof(m.From, "wrong sid")
	}
	if len(m.C) != int(t) {
		return nil, badProof(m.From, "%d commitments, want t=%d", len(m.C), t)
	}
	coms := make([]*ecc.Element, len(m.C))
	for j := range m.C {
		var err error
		if coms[j], err = decodePoint(m.C[j]); err != nil {
			return nil, badProof(m.From, "C[%d]: %v", j, err)
		}
	}
	if _, err := decodePoint(m.R); err != nil {
		return nil, badProof(m.From, "R: %v", err)
	}
	c, err := pokChallenge(m.From, sid, m.C[0], m.R)
	if err != nil {
		return nil, badProof(m.From, "challenge: %v", err)
	}
	// μ·G == R + c·C[0]; SchnorrHolds also rejects a non-canonical μ.
	if !edpoint.SchnorrHolds(m.R[:], m.C[0][:], c.Encode(), m.Mu[:]) {
		return nil, badProof(m.From, "proof of knowledge fails")
	}
	return coms, nil
}

// combine returns Ĉ = Σ_i C_i element-wise.
func combine(all [][]*ecc.Element) []*ecc.Element {
	out := make([]*ecc.Element, len(all[0]))
	for j := range out {
		out[j] = g.NewElement()
		for _, c := range all {
			out[j].Add(c[j])
		}
	}
	return out
}

// publicKeys derives GroupKey = Ĉ[0] and VerShare_j for j = 1..n, checking
// each is a valid point.
func publicKeys(chat []*ecc.Element, n uint16) ([32]byte, map[uint16][32]byte, error) {
	gk := encodePoint(chat[0])
	if _, err := decodePoint(gk); err != nil {
		return gk, nil, fmt.Errorf("%w: group key: %v", ErrDKGInconsistent, err)
	}
	vs := make(map[uint16][32]byte, n)
	for j := uint16(1); j <= n; j++ {
		pk, err := secretsharing.PubKeyForCommitment(g, j, chat)
		if err != nil {
			return gk, nil, fmt.Errorf("%w: VerShare %d: %v", ErrDKGInconsistent, j, err)
		}
		if vs[j] = encodePoint(pk); pk.IsIdentity() {
			return gk, nil, fmt.Errorf("%w: VerShare %d is the identity", ErrDKGInconsistent, j)
		}
	}
	return gk, vs, nil
}
