package consensus

import "github.com/aura-p2p/aura-p2p/journal"

// Message is one /aura/consensus/1.0.0 message (SPEC §5.3). The set is
// closed: exactly the types of this file.
type Message interface{ isMessage() }

// Execute starts an instance at a witness (SPEC §5.5 step 1).
type Execute struct {
	CID, PrestateHash, OpHash [32]byte
	Nonce                     uint64
	Op                        []byte
	Scope                     journal.Namespace
	KeyEpoch                  uint64
	Packages                  []SigningPackage
	Evidence                  []EquivocationProof
}

// GetExecute asks any voter for the Execute of CID (SPEC §5.6).
type GetExecute struct{ CID [32]byte }

// NonceCommit carries a fresh commitment For the initiator (fast2).
type NonceCommit struct {
	CID        [32]byte
	Commitment SignedCommitment
}

// SignRequest asks a witness to sign Package (fast2).
type SignRequest struct {
	CID     [32]byte
	Package SigningPackage
}

// SignShare carries a witness's vote, shares and replacement commitments.
type SignShare struct {
	CID      [32]byte
	Vote     Vote
	Shares   []PackageShare
	Next     []SignedCommitment
	KeyEpoch uint64
	Evidence []EquivocationProof
}

// StateMismatch reports a witness whose prestate differs.
type StateMismatch struct {
	CID, Expected, Actual [32]byte
	Evidence              []EquivocationProof
}

// Conflict tells witnesses the initiator saw ≥ 2 rids or a mismatch.
type Conflict struct {
	CID      [32]byte
	Votes    []Vote
	Evidence []EquivocationProof
}

// Commit carries a Commit fact (ConsensusResult / ThresholdComplete).
type Commit struct {
	Fact     CommitFact
	Evidence []EquivocationProof
}

// CommitmentAnnounce gives the receiver fresh commitments For it.
type CommitmentAnnounce struct {
	KeyEpoch    uint64
	Commitments []SignedCommitment
}

func (*Execute) isMessage()            {}
func (*GetExecute) isMessage()         {}
func (*NonceCommit) isMessage()        {}
func (*SignRequest) isMessage()        {}
func (*SignShare) isMessage()          {}
func (*StateMismatch) isMessage()      {}
func (*Conflict) isMessage()           {}
func (*Commit) isMessage()             {}
func (*CommitmentAnnounce) isMessage() {}
func (*AggregateShare) isMessage()     {}

// Envelope is one message to send: directly to To, or — when Topic is
// set — sealed in a FallbackEnvelope on the neighbourhood fallback topic
// (SPEC §5.6; the driver seals, To is then zero).
type Envelope struct {
	To    WitnessID
	Topic bool
	Msg   Message
}

// OutcomeKind is what became of an instance (SPEC §5.10).
type OutcomeKind uint8

const (
	// Committed: a verified Commit fact is in this Ready's Commits (or was
	// stored earlier).
	Committed OutcomeKind = iota + 1
	// Applied / Superseded: reported through Node.Resolve by the tree or
	// context service after its chain walk.
	Applied
	Superseded
	// TimedOut: InstanceTimeout passed at the initiator (ErrConsensusTimeout).
	TimedOut
	// Conflicted: two verified Commits with different rids (a tripwire).
	Conflicted
)

// Outcome reports an instance result.
type Outcome struct {
	CID  [32]byte
	Kind OutcomeKind
	Fact *CommitFact // Committed, Conflicted
	Err  error       // TimedOut: ErrConsensusTimeout; Conflicted: ErrConflict
}

// Ready is the output batch of the core (raft's Ready). Ordering
// contract: the driver MUST make VoteWrites, Commits and Evidence durable
// in one synced journal batch (the JournalCoupler) before sending any of
// Messages; if the batch fails it MUST NOT send them and must restart the
// node from its durable state. Messages are sent in order. Outcomes may be
// delivered at any time.
type Ready struct {
	VoteWrites []VoteRecord
	Commits    []CommitFact
	Evidence   []EquivocationProof
	Messages   []Envelope
	Outcomes   []Outcome
}

// Empty reports whether the batch has nothing to do.
func (r *Ready) Empty() bool {
	return len(r.VoteWrites) == 0 && len(r.Commits) == 0 && len(r.Evidence) == 0 &&
		len(r.Messages) == 0 && len(r.Outcomes) == 0
}
