package frostx

import (
	"fmt"

	"github.com/bytemare/frost"
	"github.com/bytemare/secret-sharing/keys"
)

const (
	// MaxOutstanding bounds the unused commitments one Signer holds; the
	// consensus policy (≤ 64, SPEC §5.4) is stricter and lives above.
	MaxOutstanding = 1024
	// usedMemory is how many consumed commitment ids a Signer remembers so a
	// repeat Sign gets ErrCommitmentUsed; older ones get ErrUnknownCommitment
	// (also a refusal).
	usedMemory = 4096
)

// Signer holds one member's key share and its outstanding nonces. Nonces
// live only in its memory: a Signer has no encoder and must never be
// persisted, logged or sent (SPEC §5.4). Methods are safe for concurrent
// use (they run under the process-wide lock).
type Signer struct {
	c      *Committee
	s      *frost.Signer
	issued map[uint64][CommitmentSize]byte
	used   map[uint64]struct{}
	order  []uint64 // used ids, oldest first
}

// NewSigner builds a fresh Signer (no nonces) from KeyShare.Encode() bytes,
// e.g. dkg.Result.KeyShare. The share must match the committee's group key
// and the VerShare of its FrostID.
func NewSigner(c *Committee, keyShare []byte) (*Signer, error) {
	ks := keys.NewKeyShareReceiver(group)
	if err := ks.Decode(keyShare); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKeyShare, err)
	}
	libMu.Lock()
	s, err := c.conf.Signer(ks)
	libMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKeyShare, err)
	}
	return &Signer{
		c: c, s: s,
		issued: make(map[uint64][CommitmentSize]byte),
		used:   make(map[uint64]struct{}),
	}, nil
}

// ID returns the signer's FrostID.
func (s *Signer) ID() uint16 { return s.s.KeyShare.Identifier() }

// Committee returns the committee the signer belongs to.
func (s *Signer) Committee() *Committee { return s.c }

// Outstanding returns the number of issued, unused commitments.
func (s *Signer) Outstanding() int {
	libMu.Lock()
	defer libMu.Unlock()
	return len(s.issued)
}

// Commit draws a fresh nonce pair and returns its public commitment. It is
// made before T exists (SPEC §5.4).
func (s *Signer) Commit() (Commitment, error) {
	libMu.Lock()
	defer libMu.Unlock()
	if len(s.issued) >= MaxOutstanding {
		return Commitment{}, ErrTooManyCommitments
	}
	fc := s.s.Commit()
	c := commitmentFromLib(fc)
	s.issued[c.ID] = c.Bytes
	if r := s.c.cfg.Recorder; r != nil {
		r.record(c, s.s.NonceCommitments[c.ID])
	}
	return c, nil
}

// Sign produces this signer's share on T for the package, consuming the
// commitment of its own that the package names. A second Sign naming a
// consumed commitment fails with ErrCommitmentUsed; a commitment never
// issued (or evicted) fails with ErrUnknownCommitment.
func (s *Signer) Sign(T []byte, pkg []Commitment) (Share, error) {
	list, err := s.c.pkgList(pkg)
	if err != nil {
		return Share{}, err
	}
	own := list.Get(s.ID())
	if own == nil {
		return Share{}, fmt.Errorf("%w: signer %d not in package", ErrBadPackage, s.ID())
	}
	libMu.Lock()
	defer libMu.Unlock()
	if err := s.checkOwn(own); err != nil {
		return Share{}, err
	}
	fs, err := s.s.Sign(T, list)
	if err != nil {
		return Share{}, fmt.Errorf("%w: %w", ErrBadPackage, err)
	}
	s.consume(own.CommitmentID)
	return Share{Signer: fs.SignerIdentifier, Bytes: [ShareSize]byte(fs.Encode())}, nil
}

func (s *Signer) checkOwn(own *frost.Commitment) error {
	if _, ok := s.used[own.CommitmentID]; ok {
		return fmt.Errorf("%w: id %d", ErrCommitmentUsed, own.CommitmentID)
	}
	b, ok := s.issued[own.CommitmentID]
	if !ok {
		return fmt.Errorf("%w: id %d", ErrUnknownCommitment, own.CommitmentID)
	}
	if [CommitmentSize]byte(own.Encode()) != b {
		return fmt.Errorf("%w: id %d has other points", ErrUnknownCommitment, own.CommitmentID)
	}
	return nil
}

func (s *Signer) consume(id uint64) {
	delete(s.issued, id)
	s.s.ClearNonceCommitment(id)
	s.used[id] = struct{}{}
	s.order = append(s.order, id)
	if len(s.order) > usedMemory {
		delete(s.used, s.order[0])
		s.order = s.order[1:]
	}
}

// ClearCommitment evicts an unused commitment and zeroes its nonces; later
// packages naming it are refused.
func (s *Signer) ClearCommitment(id uint64) {
	libMu.Lock()
	defer libMu.Unlock()
	delete(s.issued, id)
	s.s.ClearNonceCommitment(id)
}
