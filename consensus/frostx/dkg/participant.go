package dkg

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"

	"github.com/bytemare/ecc"
	secretsharing "github.com/bytemare/secret-sharing"
	"github.com/bytemare/secret-sharing/keys"
)

type phase uint8

const (
	phaseRound1 phase = iota
	phaseRound2
	phaseConfirm
	phaseDone
	phaseFailed
)

// Message is one encoded DKG message for member To (direct stream).
type Message struct {
	To   uint16
	Data []byte
}

// Result is a completed DKG as seen by one member.
type Result struct {
	// Self is this member's FrostID.
	Self uint16
	// GroupKey and VerShares (FrostIDs 1..N) are the new committee key.
	GroupKey  [32]byte
	VerShares map[uint16][32]byte
	// KeyShare is keys.KeyShare.Encode() for frostx.NewSigner. SECRET:
	// persist only sealed (frostx.ShareSealer), never log or send.
	KeyShare []byte
	// Round1 holds the N signed round-1 encodings by FrostID, TranscriptHash
	// their hash and Confirms the N confirm signatures by FrostID: the
	// KeyRotation's DKG data (ValidateRotation checks it).
	Round1         [][]byte
	TranscriptHash [32]byte
	Confirms       [][64]byte
}

// LogValue keeps the key share out of logs.
func (r Result) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("self", int(r.Self)), slog.Int("n", len(r.VerShares)))
}

// Participant is one member's deterministic DKG state machine (SPEC §4):
// it is fed messages and returns messages to send. It does no I/O, reads no
// clock (DKGTimeout is the driver's: call Timeout) and draws randomness only
// from the reader given to NewParticipant. Not safe for concurrent use: one
// driver goroutine owns it.
type Participant struct {
	sess   Session
	sid    [32]byte
	self   uint16
	key    ed25519.PrivateKey
	deal   *dealing
	phase  phase
	err    error
	r1     []*Round1 // by FrostID−1
	r1enc  [][]byte
	coms   [][]*ecc.Element
	early  []*Round2 // round 2 received before round 1 completed
	shares []*ecc.Scalar
	r2raw  [][]byte
	conf   []*Confirm // verified signatures; hash checked once ours is known
	result Result
}

// NewParticipant sets up FrostID self of sess, signing with key (whose
// public half must be SignKeys[self−1]), and draws its polynomial and proof
// from rnd (crypto/rand.Reader in production, seeded in tests).
func NewParticipant(sess Session, self uint16, key ed25519.PrivateKey, rnd io.Reader) (*Participant, error) {
	if err := sess.Validate(); err != nil {
		return nil, err
	}
	n := sess.N()
	if self == 0 || self > n {
		return nil, fmt.Errorf("%w: self %d not in 1..%d", ErrSession, self, n)
	}
	if len(key) != ed25519.PrivateKeySize || !bytes.Equal(key.Public().(ed25519.PublicKey), sess.SignKeys[self-1][:]) {
		return nil, fmt.Errorf("%w: key is not SignKeys[%d]", ErrSession, self)
	}
	sid := sess.SID()
	d, err := deal(rnd, sid, self, sess.Threshold)
	if err != nil {
		return nil, err
	}
	d.msg.Sig = sign(key, d.msg.body())
	p := &Participant{
		sess: sess, sid: sid, self: self, key: key, deal: d,
		r1: make([]*Round1, n), r1enc: make([][]byte, n), coms: make([][]*ecc.Element, n),
		early: make([]*Round2, n), shares: make([]*ecc.Scalar, n), r2raw: make([][]byte, n),
		conf: make([]*Confirm, n),
	}
	if _, err := p.storeRound1(&d.msg); err != nil {
		return nil, err
	}
	return p, nil
}

// Start returns this member's round-1 broadcast, one Message per other
// member. It may be called again to retransmit.
func (p *Participant) Start() []Message {
	return p.toOthers(p.r1enc[p.self-1])
}

func (p *Participant) toOthers(data []byte) []Message {
	out := make([]Message, 0, len(p.r1)-1)
	for j := uint16(1); j <= p.sess.N(); j++ {
		if j != p.self {
			out = append(out, Message{To: j, Data: data})
		}
	}
	return out
}

// Handle feeds one message received from member from (the driver's
// authenticated mapping of the stream's peer) and returns messages to send.
// ErrBadMessage leaves the state unchanged; any other error aborts the DKG
// for good (later calls return it).
func (p *Participant) Handle(from uint16, data []byte) ([]Message, error) {
	if p.phase == phaseFailed {
		return nil, p.err
	}
	if from == 0 || from > p.sess.N() || from == p.self || len(data) == 0 {
		return nil, fmt.Errorf("%w: sender %d", ErrBadMessage, from)
	}
	switch data[0] {
	case KindRound1:
		return p.onRound1(from, data)
	case KindRound2:
		return p.onRound2(from, data)
	case KindConfirm:
		return p.onConfirm(from, data)
	}
	return nil, fmt.Errorf("%w: kind %d", ErrBadMessage, data[0])
}

// Done reports whether the DKG completed.
func (p *Participant) Done() bool { return p.phase == phaseDone }

// Err returns the error that aborted the DKG, if any.
func (p *Participant) Err() error { return p.err }

// Result returns the outcome once Done.
func (p *Participant) Result() (Result, error) {
	if p.phase != phaseDone {
		if p.err != nil {
			return Result{}, p.err
		}
		return Result{}, ErrNotDone
	}
	return p.result, nil
}

// Missing lists, ascending, the members whose message for the current
// phase has not arrived (empty when done or failed).
func (p *Participant) Missing() []uint16 {
	var out []uint16
	for i := range p.r1 {
		if p.waitingFor(i) {
			out = append(out, uint16(i+1))
		}
	}
	return out
}

func (p *Participant) waitingFor(i int) bool {
	switch p.phase {
	case phaseRound1:
		return p.r1[i] == nil
	case phaseRound2:
		return p.shares[i] == nil
	case phaseConfirm:
		return p.conf[i] == nil
	}
	return false
}

// Timeout is called by the driver when DKGTimeout expires: unless done, it
// aborts with a TimeoutError naming the silent members.
func (p *Participant) Timeout() error {
	switch p.phase {
	case phaseDone:
		return nil
	case phaseFailed:
		return p.err
	}
	return p.abort(timeoutErr(p.Missing()))
}

func (p *Participant) abort(err error) error {
	p.phase, p.err = phaseFailed, err
	p.wipe()
	return err
}

// wipe zeroes every secret scalar the participant still holds.
func (p *Participant) wipe() {
	if p.deal != nil {
		p.deal.zero()
		p.deal = nil
	}
	for _, s := range p.shares {
		if s != nil {
			s.Zero()
		}
	}
	if p.phase == phaseFailed {
		clear(p.result.KeyShare)
	}
}

func (p *Participant) onRound1(from uint16, data []byte) ([]Message, error) {
	m, err := DecodeRound1(data)
	if err != nil {
		return nil, err
	}
	if m.From != from || m.SID != p.sid {
		return nil, fmt.Errorf("%w: round 1 for another sender or session", ErrBadMessage)
	}
	if !verifySig(p.sess.signKey(from), m.body(), m.Sig) {
		return nil, p.abort(badProof(from, "round-1 signature"))
	}
	if prev := p.r1enc[from-1]; prev != nil {
		if bytes.Equal(prev, data) {
			return nil, nil
		}
		return nil, p.abort(inconsistent(from, "two different round-1 messages"))
	}
	return p.storeRound1(&m)
}

func (p *Participant) storeRound1(m *Round1) ([]Message, error) {
	coms, err := checkRound1(m, p.sid, p.sess.Threshold)
	if err != nil {
		return nil, p.abort(err)
	}
	i := m.From - 1
	p.r1[i], p.r1enc[i], p.coms[i] = m, m.Encode(), coms
	for _, r := range p.r1 {
		if r == nil {
			return nil, nil
		}
	}
	return p.startRound2()
}

// startRound2 sends f_self(j) to every other j, keeps f_self(self), and
// processes round-2 messages that arrived early.
func (p *Participant) startRound2() ([]Message, error) {
	p.phase = phaseRound2
	var out []Message
	for j := uint16(1); j <= p.sess.N(); j++ {
		if j == p.self {
			continue
		}
		m := Round2{SID: p.sid, From: p.self, To: j, Share: [32]byte(p.deal.share(j).Encode())}
		m.Sig = sign(p.key, m.body())
		out = append(out, Message{To: j, Data: m.Encode()})
	}
	p.shares[p.self-1] = p.deal.share(p.self)
	p.deal.zero()
	for i, m := range p.early {
		if m == nil {
			continue
		}
		p.early[i] = nil
		more, err := p.acceptShare(m)
		if err != nil {
			return out, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func (p *Participant) onRound2(from uint16, data []byte) ([]Message, error) {
	m, err := DecodeRound2(data)
	if err != nil {
		return nil, err
	}
	if m.From != from || m.To != p.self || m.SID != p.sid {
		return nil, fmt.Errorf("%w: round 2 for another sender, recipient or session", ErrBadMessage)
	}
	if !verifySig(p.sess.signKey(from), m.body(), m.Sig) {
		return nil, p.abort(inconsistent(from, "round-2 signature"))
	}
	if prev := p.r2raw[from-1]; prev != nil {
		if bytes.Equal(prev, data) {
			return nil, nil
		}
		return nil, p.abort(inconsistent(from, "two different round-2 messages"))
	}
	p.r2raw[from-1] = bytes.Clone(data)
	if p.phase == phaseRound1 {
		p.early[from-1] = &m
		return nil, nil
	}
	return p.acceptShare(&m)
}

// acceptShare checks secretsharing.Verify(g, self, f_i(self)·G, C_i) and,
// with every share in, assembles the key.
func (p *Participant) acceptShare(m *Round2) ([]Message, error) {
	s := g.NewScalar()
	if err := s.Decode(m.Share[:]); err != nil {
		return nil, p.abort(inconsistent(m.From, "round-2 share not a canonical scalar"))
	}
	if !secretsharing.Verify(g, p.self, g.Base().Multiply(s), p.coms[m.From-1]) {
		return nil, p.abort(inconsistent(m.From, "round-2 share fails its commitment"))
	}
	p.shares[m.From-1] = s
	for _, sh := range p.shares {
		if sh == nil {
			return nil, nil
		}
	}
	return p.finish()
}

// finish computes s_self, Ĉ, GroupKey, VerShares and the key share, then
// sends the confirm.
func (p *Participant) finish() ([]Message, error) {
	sum := g.NewScalar()
	for _, s := range p.shares {
		sum.Add(s)
	}
	defer sum.Zero()
	chat := combine(p.coms)
	gk, vs, err := publicKeys(chat, p.sess.N())
	if err != nil {
		return nil, p.abort(err)
	}
	if encodePoint(g.Base().Multiply(sum)) != vs[p.self] {
		return nil, p.abort(fmt.Errorf("%w: s·G ≠ own VerShare", ErrDKGInconsistent))
	}
	ks, err := keys.NewKeyShare(g, p.self, sum, chat[0], chat)
	if err != nil {
		return nil, p.abort(fmt.Errorf("%w: key share: %v", ErrDKGInconsistent, err))
	}
	p.wipe()
	p.result = Result{Self: p.self, GroupKey: gk, VerShares: vs, KeyShare: ks.Encode(), Round1: p.r1enc}
	return p.sendConfirm()
}

func (p *Participant) sendConfirm() ([]Message, error) {
	msgs := make([]Round1, len(p.r1))
	for i, m := range p.r1 {
		msgs[i] = *m
	}
	p.result.TranscriptHash = TranscriptHash(p.sess.KeyEpoch, msgs)
	own := Confirm{SID: p.sid, TranscriptHash: p.result.TranscriptHash}
	own.Sig = sign(p.key, own.body())
	p.phase = phaseConfirm
	pending := p.conf
	p.conf = make([]*Confirm, len(p.r1))
	p.conf[p.self-1] = &own
	out := p.toOthers(own.Encode())
	for i, c := range pending {
		if c == nil {
			continue
		}
		if _, err := p.acceptConfirm(uint16(i+1), c); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (p *Participant) onConfirm(from uint16, data []byte) ([]Message, error) {
	c, err := DecodeConfirm(data)
	if err != nil {
		return nil, err
	}
	if c.SID != p.sid {
		return nil, fmt.Errorf("%w: confirm for another session", ErrBadMessage)
	}
	if !verifySig(p.sess.signKey(from), c.body(), c.Sig) {
		return nil, p.abort(inconsistent(from, "confirm signature"))
	}
	if prev := p.conf[from-1]; prev != nil {
		if prev.TranscriptHash == c.TranscriptHash {
			return nil, nil
		}
		return nil, p.abort(inconsistent(from, "two different confirms"))
	}
	if p.phase < phaseConfirm {
		p.conf[from-1] = &c
		return nil, nil
	}
	return p.acceptConfirm(from, &c)
}

func (p *Participant) acceptConfirm(from uint16, c *Confirm) ([]Message, error) {
	if c.TranscriptHash != p.result.TranscriptHash {
		return nil, p.abort(inconsistent(from, "transcript hash differs: some member sent different round-1 data to different peers"))
	}
	p.conf[from-1] = c
	for _, x := range p.conf {
		if x == nil {
			return nil, nil
		}
	}
	p.result.Confirms = make([][64]byte, len(p.conf))
	for i, x := range p.conf {
		p.result.Confirms[i] = x.Sig
	}
	p.phase = phaseDone
	return nil, nil
}
