package consensus

import (
	"bytes"
	"fmt"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/journal"
)

// issued is one unused commitment this witness created (SPEC §5.4).
type issued struct {
	c      frostx.Commitment
	signed SignedCommitment
	pooled bool // part of the pool For an initiator (Announce / Next)
}

// pool holds both sides of commitment pipelining: the commitments this
// witness issued (unused, oldest first) and, as initiator, the commitments
// other witnesses issued For it.
type pool struct {
	issued map[uint64]*issued
	order  []uint64
	cache  map[WitnessID][]SignedCommitment
	gen    map[WitnessID]uint64
}

func (p *pool) reset() {
	p.issued = make(map[uint64]*issued)
	p.order = nil
	p.cache = make(map[WitnessID][]SignedCommitment)
	p.gen = make(map[WitnessID]uint64)
}

// issue creates and signs one commitment For forKey, evicting the oldest
// unused one at MaxOutstanding.
func (n *Node) issue(forKey [32]byte, pooled bool) (SignedCommitment, error) {
	p := &n.pool
	for len(p.issued) >= n.cfg.MaxOutstanding && len(p.order) > 0 {
		n.evict(p.order[0])
	}
	c, err := n.keys.Signer.Commit()
	if err != nil {
		return SignedCommitment{}, err
	}
	sc := SignedCommitment{Witness: n.cfg.Self, KeyEpoch: n.com.KeyEpoch, Gen: n.gen, For: forKey, Commitment: c.Bytes[:]}
	sc.Sig = signHash(n.cfg.VoteKey, sc.SigningHash())
	p.issued[c.ID] = &issued{c: c, signed: sc, pooled: pooled}
	p.order = append(p.order, c.ID)
	return sc, nil
}

// evict drops an unused commitment and its nonces.
func (n *Node) evict(id uint64) {
	p := &n.pool
	if _, ok := p.issued[id]; ok {
		n.keys.Signer.ClearCommitment(id)
		delete(p.issued, id)
	}
	for i, x := range p.order {
		if x == id {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
}

// consumed forgets a commitment Sign used.
func (n *Node) consumed(id uint64) {
	delete(n.pool.issued, id)
	for i, x := range n.pool.order {
		if x == id {
			n.pool.order = append(n.pool.order[:i], n.pool.order[i+1:]...)
			return
		}
	}
}

// decodeCommitment is frostx.DecodeCommitment through the VerifyCache.
func (n *Node) decodeCommitment(b []byte) (frostx.Commitment, error) { return n.cache.decode(b) }

// own returns the unused commitment these bytes name, if this node issued it.
func (n *Node) own(b []byte) (*issued, bool) {
	c, err := n.decodeCommitment(b)
	if err != nil {
		return nil, false
	}
	is, ok := n.pool.issued[c.ID]
	if !ok || !bytes.Equal(is.c.Bytes[:], b) {
		return nil, false
	}
	return is, true
}

// poolCount counts pooled unused commitments For forKey.
func (n *Node) poolCount(forKey [32]byte) int {
	c := 0
	for _, is := range n.pool.issued {
		if is.pooled && is.signed.For == forKey {
			c++
		}
	}
	return c
}

// topUp issues commitments For initiator w until its pool is full: the
// SignShare Next (replacing exactly the consumed ones in steady state).
func (n *Node) topUp(w WitnessID) []SignedCommitment {
	var out []SignedCommitment
	f := initiatorFor(w)
	for c := n.poolCount(f); c < n.cfg.poolSize(n.com.N()); c++ {
		sc, err := n.issue(f, true)
		if err != nil {
			break
		}
		out = append(out, sc)
	}
	return out
}

// announce sends CommitmentAnnounce to every other member.
func (n *Node) announce() {
	for _, m := range n.com.Members {
		if m.Witness == n.cfg.Self {
			continue
		}
		if cs := n.topUp(m.Witness); len(cs) > 0 {
			n.send(m.Witness, &CommitmentAnnounce{KeyEpoch: n.com.KeyEpoch, Commitments: cs})
		}
	}
}

// checkCommitment verifies a received SignedCommitment: signature under
// the member's VoteKey, signer id = its FrostID, current key epoch, For.
func (n *Node) checkCommitment(sc *SignedCommitment, forKey [32]byte) (frostx.Commitment, error) {
	m, ok := n.com.Member(sc.Witness)
	if !ok || sc.KeyEpoch != n.com.KeyEpoch || sc.For != forKey {
		return frostx.Commitment{}, fmt.Errorf("%w: commitment member, epoch or For", ErrInvalidMessage)
	}
	c, err := n.decodeCommitment(sc.Commitment)
	if err != nil || c.Signer != m.FrostID {
		return frostx.Commitment{}, fmt.Errorf("%w: commitment encoding or signer id", ErrInvalidMessage)
	}
	if !n.sigOK(m.VoteKey, sc.SigningHash(), sc.Sig) {
		return frostx.Commitment{}, fmt.Errorf("%w: commitment signature", ErrInvalidMessage)
	}
	return c, nil
}

// sigOK verifies an Ed25519 signature through the VerifyCache.
func (n *Node) sigOK(pub, h [32]byte, sig [64]byte) bool { return n.cache.verify(pub, h, sig) }

// cacheCommitment stores a commitment For this initiator (SPEC §5.4): in
// authority scope a new Gen from w drops w's other Gens.
func (n *Node) cacheCommitment(sc SignedCommitment) {
	if _, err := n.checkCommitment(&sc, initiatorFor(n.cfg.Self)); err != nil {
		return
	}
	p := &n.pool
	w := sc.Witness
	if g, ok := p.gen[w]; ok && g != sc.Gen && n.com.Scope.Kind == journal.KindAuthority {
		p.cache[w] = nil
	}
	p.gen[w] = sc.Gen
	for _, x := range p.cache[w] {
		if bytes.Equal(x.Commitment, sc.Commitment) {
			return
		}
	}
	p.cache[w] = append(p.cache[w], sc)
	if lim := 2 * n.cfg.poolSize(n.com.N()); len(p.cache[w]) > lim {
		p.cache[w] = p.cache[w][len(p.cache[w])-lim:]
	}
}

// take pops w's oldest cached commitment.
func (n *Node) take(w WitnessID) (SignedCommitment, bool) {
	cs := n.pool.cache[w]
	if len(cs) == 0 {
		return SignedCommitment{}, false
	}
	n.pool.cache[w] = cs[1:]
	return cs[0], true
}
