package frostx

import (
	"fmt"

	"github.com/bytemare/frost"
)

// pkgList validates a signing package against the committee and converts it
// to a library list: t ≤ len ≤ n commitments, re-decoded from their bytes,
// signers strictly ascending and members.
func (c *Committee) pkgList(pkg []Commitment) (frost.CommitmentList, error) {
	if len(pkg) < int(c.cfg.Threshold) || len(pkg) > int(c.cfg.MaxSigners) {
		return nil, fmt.Errorf("%w: %d commitments for t=%d n=%d", ErrBadPackage, len(pkg), c.cfg.Threshold, c.cfg.MaxSigners)
	}
	list := make(frost.CommitmentList, len(pkg))
	var prev uint16
	for i, pc := range pkg {
		dc, err := DecodeCommitment(pc.Bytes[:])
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadPackage, err)
		}
		if dc != pc {
			return nil, fmt.Errorf("%w: commitment fields disagree with its bytes", ErrBadPackage)
		}
		if dc.Signer <= prev || dc.Signer > c.cfg.MaxSigners {
			return nil, fmt.Errorf("%w: signer %d out of order or not a member", ErrBadPackage, dc.Signer)
		}
		prev = dc.Signer
		if list[i], err = dc.lib(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadPackage, err)
		}
	}
	return list, nil
}

// VerifyShare checks one signature share on T against its signer's
// VerShare and the package (SPEC §5.5 step 5).
func (c *Committee) VerifyShare(T []byte, sh Share, pkg []Commitment) error {
	list, err := c.pkgList(pkg)
	if err != nil {
		return err
	}
	fs, err := checkedShare(sh)
	if err != nil {
		return err
	}
	if list.Get(sh.Signer) == nil {
		return fmt.Errorf("%w: signer %d not in package", ErrShareSet, sh.Signer)
	}
	libMu.Lock()
	err = c.conf.VerifySignatureShare(fs, T, list)
	libMu.Unlock()
	if err != nil {
		return fmt.Errorf("%w: signer %d: %w", ErrInvalidShare, sh.Signer, err)
	}
	return nil
}

func checkedShare(sh Share) (*frost.SignatureShare, error) {
	ds, err := DecodeShare(sh.Bytes[:])
	if err != nil {
		return nil, err
	}
	if ds != sh {
		return nil, fmt.Errorf("%w: share fields disagree with its bytes", ErrBadEncoding)
	}
	return sh.lib()
}

// Aggregate combines exactly one share per package signer into a signature
// on T, verifying every share and then — always — the aggregate itself
// (the library's verify flag covers the shares, not the result; SPEC §5.4).
// It returns the 64-byte R ‖ z.
func (c *Committee) Aggregate(T []byte, shares []Share, pkg []Commitment) ([SignatureSize]byte, error) {
	var out [SignatureSize]byte
	list, err := c.pkgList(pkg)
	if err != nil {
		return out, err
	}
	fss, err := shareSet(shares, list)
	if err != nil {
		return out, err
	}
	return c.aggregate(T, fss, list)
}

// aggregate is Aggregate without the share-set shape check; tests use it to
// show that t−1 shares never verify.
func (c *Committee) aggregate(T []byte, fss []*frost.SignatureShare, list frost.CommitmentList) ([SignatureSize]byte, error) {
	var out [SignatureSize]byte
	libMu.Lock()
	defer libMu.Unlock()
	sig, err := c.conf.AggregateSignatures(T, fss, list, true)
	if err != nil {
		return out, fmt.Errorf("%w: %w", ErrInvalidShare, err)
	}
	if err := frost.VerifySignature(frost.Ed25519, T, sig, c.gk); err != nil {
		return out, fmt.Errorf("%w: aggregate: %w", ErrInvalidSignature, err)
	}
	copy(out[:], sig.Encode()[1:])
	return out, nil
}

func shareSet(shares []Share, list frost.CommitmentList) ([]*frost.SignatureShare, error) {
	if len(shares) != len(list) {
		return nil, fmt.Errorf("%w: %d shares for %d commitments", ErrShareSet, len(shares), len(list))
	}
	seen := make(map[uint16]bool, len(shares))
	fss := make([]*frost.SignatureShare, len(shares))
	for i, sh := range shares {
		if seen[sh.Signer] || list.Get(sh.Signer) == nil {
			return nil, fmt.Errorf("%w: signer %d duplicate or not in package", ErrShareSet, sh.Signer)
		}
		seen[sh.Signer] = true
		fs, err := checkedShare(sh)
		if err != nil {
			return nil, err
		}
		fss[i] = fs
	}
	return fss, nil
}
