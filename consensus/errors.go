package consensus

import (
	"errors"
	"fmt"
)

// Sentinels of SPEC §5.10 and §13. Match them with errors.Is; detail is
// added by wrapping with %w.
var (
	// ErrConsensusTimeout reports that InstanceTimeout passed at the
	// initiator: the outcome is unknown (a later commit via sync is still
	// accepted).
	ErrConsensusTimeout = errors.New("consensus: instance timed out, outcome unknown")
	// ErrInsufficientWitnesses reports a committee that cannot run consensus
	// here (fewer members than t, invalid t/n, t = 1, or self not a member).
	ErrInsufficientWitnesses = errors.New("consensus: insufficient witnesses")
	// ErrPrestateMismatch reports a prestate that differs from the local one.
	ErrPrestateMismatch = errors.New("consensus: prestate mismatch")
	// ErrConflict reports an instance for which two rids were seen.
	ErrConflict = errors.New("consensus: conflicting rids")
	// ErrInvalidOp reports an op that is invalid at the prestate (Scope.Execute).
	ErrInvalidOp = errors.New("consensus: invalid op")
	// ErrInvalidShare reports a signature share that fails verification.
	ErrInvalidShare = errors.New("consensus: invalid signature share")
	// ErrInvalidCommit reports a Commit fact that fails SPEC §5.8.
	ErrInvalidCommit = errors.New("consensus: invalid commit")
	// ErrInvalidMessage reports a peer message that is malformed, badly
	// signed, from a non-member, or for another key epoch or scope. The
	// driver resets the stream / counts misbehaviour; the core ignores it.
	ErrInvalidMessage = errors.New("consensus: invalid message")
	// ErrVoteRefused reports that the vote log holds another rid for the
	// (cid, prestateHash) (SPEC §5.5 step 3).
	ErrVoteRefused = errors.New("consensus: vote log holds another rid")
	// ErrConfig reports an invalid Config.
	ErrConfig = errors.New("consensus: invalid config")
)

// Reasons a Commit is rejected (SPEC §5.8). Each unwraps to ErrInvalidCommit.
var (
	// ErrCommitScope: the fact's Scope or prestate is not the verifier's.
	ErrCommitScope = fmt.Errorf("%w: scope or prestate", ErrInvalidCommit)
	// ErrCommitBinding: cid, OpHash or rid do not recompute from the fact.
	ErrCommitBinding = fmt.Errorf("%w: cid, op hash or rid binding", ErrInvalidCommit)
	// ErrCommitKey: KeyEpoch or Threshold differ from the reduced committee.
	ErrCommitKey = fmt.Errorf("%w: key epoch or threshold", ErrInvalidCommit)
	// ErrCommitSigners: Signers unsorted, duplicated, non-members or < t.
	ErrCommitSigners = fmt.Errorf("%w: signers", ErrInvalidCommit)
	// ErrCommitSignature: frostx.Verify rejects the signature under the
	// committee's group key.
	ErrCommitSignature = fmt.Errorf("%w: signature", ErrInvalidCommit)
	// ErrCommitPath: Path is not 1, 2 or 3.
	ErrCommitPath = fmt.Errorf("%w: path", ErrInvalidCommit)
)

// Decoding errors of the wire mapping (wire.go, codec.go).
var (
	// ErrMalformed reports wire bytes that do not decode to a well-formed
	// message (wrong sizes, missing fields, trailing bytes, over limits).
	ErrMalformed = fmt.Errorf("%w: malformed", ErrInvalidMessage)
)
