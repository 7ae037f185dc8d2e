package frostx

import "errors"

var (
	// ErrConfig reports an invalid committee configuration: threshold out of
	// range, VerShares not exactly 1..MaxSigners, or a key that is not a
	// canonical, torsion-free, non-identity Ed25519 point.
	ErrConfig = errors.New("frostx: invalid committee configuration")
	// ErrBadKeyShare reports a key share that does not decode or does not
	// belong to the committee (wrong group key or VerShare).
	ErrBadKeyShare = errors.New("frostx: invalid key share")
	// ErrBadEncoding reports commitment, share, signature or point bytes that
	// do not decode (wrong length, group, identifier, non-canonical or
	// small-order point, non-canonical scalar).
	ErrBadEncoding = errors.New("frostx: bad encoding")
	// ErrBadPackage reports a signing package that is not usable: wrong size,
	// unsorted or duplicate signers, non-members, or not naming this signer.
	ErrBadPackage = errors.New("frostx: invalid signing package")
	// ErrUnknownCommitment reports a package naming a commitment this signer
	// never issued, or one it has evicted.
	ErrUnknownCommitment = errors.New("frostx: unknown commitment")
	// ErrCommitmentUsed reports a package naming a commitment already consumed
	// by an earlier Sign (SPEC §5.4: the first Sign consumes it).
	ErrCommitmentUsed = errors.New("frostx: commitment already used")
	// ErrTooManyCommitments reports a Commit while MaxOutstanding commitments
	// are unused; the caller must evict (ClearCommitment) first.
	ErrTooManyCommitments = errors.New("frostx: too many outstanding commitments")
	// ErrInvalidShare reports a signature share that fails verification
	// against its signer's VerShare, T and the package.
	ErrInvalidShare = errors.New("frostx: invalid signature share")
	// ErrShareSet reports a share set that does not match the package (count,
	// duplicates, or a signer outside the package).
	ErrShareSet = errors.New("frostx: share set does not match package")
	// ErrInvalidSignature reports a signature that does not verify under the
	// group key.
	ErrInvalidSignature = errors.New("frostx: invalid signature")
	// ErrSealedShare reports a sealed share that cannot be opened (wrong
	// device key, truncated or tampered).
	ErrSealedShare = errors.New("frostx: cannot open sealed share")
)
