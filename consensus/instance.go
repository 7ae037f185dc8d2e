package consensus

import (
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
)

// State is an instance's SPEC §5.10 state.
type State uint8

const (
	StateIdle State = iota
	StateCollecting
	StateVoted
	StateMismatchWait
	StateFallback
	StateCommitted
	StateFailed
)

var stateNames = [...]string{"idle", "collecting", "voted", "mismatch-wait", "fallback", "committed", "failed"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(?)"
}

// State returns the §5.10 state of instance cid, if this node holds it.
func (n *Node) State(cid [32]byte) (State, bool) {
	if inst, ok := n.insts[cid]; ok {
		return inst.state, true
	}
	if _, ok := n.decided[cid]; ok {
		return StateCommitted, true
	}
	return StateIdle, false
}

// instance is one (cid) consensus instance at this node.
type instance struct {
	cid, pre, opHash [32]byte
	exec             *Execute
	initiator        WitnessID
	isInit           bool
	state            State
	created          time.Time

	// own vote
	voted  bool
	vote   Vote
	myT    []byte
	ownRID [32]byte

	// observed votes and evidence
	votes    map[WitnessID]Vote
	rids     [][32]byte
	equiv    map[WitnessID]bool
	proofs   []EquivocationProof
	proofIDs map[[32]byte]bool
	sentEv   map[WitnessID]map[[32]byte]bool

	// packages and share buckets (initiator and fallback aggregators)
	pkgs    []*pkg
	pkgKeys map[[32]byte]bool
	byID    map[[32]byte]pkgRef
	shares  map[[32]byte]map[uint16]frostx.Share
	pending map[WitnessID][]PackageShare

	// fast path (initiator)
	nonceCommits  []SignedCommitment
	ncFrom        map[WitnessID]bool
	signRequested bool
	conflictSent  bool
	fbAt          time.Time
	timeoutAt     time.Time
	timedOut      bool

	// fetching an unknown Execute (SPEC §5.6)
	fetchFrom WitnessID
	lastFetch time.Time

	fb *fallback

	commit        *CommitFact
	pendingCommit *CommitFact
	retainUntil   time.Time
	lastCommitTo  map[WitnessID]time.Time
}

// pkg is one signing package known to this node.
type pkg struct {
	signers []uint16
	cms     [][]byte
	list    []frostx.Commitment
	path    uint8
}

// pkgRef maps a PackageID to its package and the rid whose T it signs.
type pkgRef struct {
	p   *pkg
	rid [32]byte
}

// instance returns the instance of cid, creating an empty one.
func (n *Node) instance(cid [32]byte) *instance {
	if inst, ok := n.insts[cid]; ok {
		return inst
	}
	inst := &instance{
		cid: cid, created: n.now,
		votes: make(map[WitnessID]Vote), equiv: make(map[WitnessID]bool),
		proofIDs: make(map[[32]byte]bool), sentEv: make(map[WitnessID]map[[32]byte]bool),
		pkgKeys: make(map[[32]byte]bool), byID: make(map[[32]byte]pkgRef),
		shares: make(map[[32]byte]map[uint16]frostx.Share), pending: make(map[WitnessID][]PackageShare),
		ncFrom: make(map[WitnessID]bool), lastCommitTo: make(map[WitnessID]time.Time),
	}
	n.insts[cid] = inst
	return inst
}

// adoptExecute records a checked Execute on the instance.
func (n *Node) adoptExecute(inst *instance, x *Execute, from WitnessID) {
	if inst.exec != nil {
		return
	}
	cp := *x
	cp.Packages, cp.Evidence = nil, nil
	inst.exec = &cp
	inst.pre, inst.opHash, inst.initiator = x.PrestateHash, x.OpHash, from
}

// transcript is T for rid under the current committee.
func (n *Node) transcript(inst *instance, rid [32]byte) []byte {
	return Transcript(n.com.Scope, inst.cid, inst.pre, inst.opHash, rid, n.com.Threshold, n.com.GroupKey, n.com.KeyEpoch)
}

// armFallback sets T_fallback if not armed.
func (n *Node) armFallback(inst *instance) {
	if inst.fbAt.IsZero() {
		inst.fbAt = n.now.Add(n.tm.fallback)
	}
}
