package consensus

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/quorum"
)

// maxLoop bounds the self-addressed messages processed per input (a broken
// invariant, not an input, would exceed it).
const maxLoop = 1024

// maxStubs bounds instances created for unknown CIDs (AggregateShare from
// peers before the Execute is known).
const maxStubs = 256

// Node is the deterministic consensus core of one member in one scope
// (SPEC §5). It does no I/O, starts no goroutines, reads no clock: inputs
// are Propose, Step, Tick and SetScope, each carrying now; output is the
// Ready batch. A Node is not safe for concurrent use: one goroutine (the
// driver) owns it.
type Node struct {
	cfg   Config
	log   *slog.Logger
	m     Metrics
	sc    Scope
	com   Committee
	pre   [32]byte
	keys  Keys
	self  Member
	delta time.Duration
	rtt   map[WitnessID]time.Duration
	tm    timing
	gen   uint64

	votes   map[[64]byte][32]byte // vote log: cid ‖ pre → rid
	decided map[[32]byte]*CommitFact
	insts   map[[32]byte]*instance
	pool    pool
	cache   *VerifyCache

	now  time.Time
	out  Ready
	loop []Message
}

// New builds a Node from cfg (defaults applied with WithDefaults). It
// restores the vote log and decided set from cfg.Votes and cfg.Decided.
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	n := &Node{
		cfg: cfg, log: cfg.Logger, m: cfg.Metrics, delta: cfg.InitialDelta,
		rtt: make(map[WitnessID]time.Duration), votes: make(map[[64]byte][32]byte),
		decided: make(map[[32]byte]*CommitFact), insts: make(map[[32]byte]*instance),
		cache: cfg.Cache,
	}
	if n.cache == nil {
		n.cache = NewVerifyCache()
	}
	n.tm = deriveTiming(n.delta, cfg.GossipInterval, cfg.MinInstanceTimeout)
	if err := n.install(cfg.Scope, cfg.Keys); err != nil {
		return nil, err
	}
	for _, v := range cfg.Votes {
		n.votes[voteKey(v.CID, v.PrestateHash)] = v.RID
	}
	for i := range cfg.Decided {
		f := cfg.Decided[i]
		n.decided[f.CID] = &f
	}
	return n, nil
}

func voteKey(cid, pre [32]byte) [64]byte {
	var k [64]byte
	copy(k[:32], cid[:])
	copy(k[32:], pre[:])
	return k
}

// install adopts a scope and its keys after checking they agree.
func (n *Node) install(sc Scope, keys Keys) error {
	com := sc.Committee()
	t, size := com.Threshold, len(com.Members)
	if size > 0xffff || quorum.ValidConfig(t, uint16(size)) != nil || t < 2 {
		return fmt.Errorf("%w: t=%d n=%d", ErrInsufficientWitnesses, t, size)
	}
	self, ok := com.Member(n.cfg.Self)
	if !ok || [32]byte(n.cfg.VoteKey.Public().(ed25519.PublicKey)) != self.VoteKey {
		return fmt.Errorf("%w: self is not a member with this VoteKey", ErrConfig)
	}
	if keys.Frost == nil || keys.Signer == nil || keys.Frost.GroupKey() != com.GroupKey ||
		keys.Frost.Threshold() != t || int(keys.Frost.MaxSigners()) != size || keys.Signer.ID() != self.FrostID {
		return fmt.Errorf("%w: keys do not match the committee", ErrConfig)
	}
	epochChanged := n.sc == nil || n.com.KeyEpoch != com.KeyEpoch
	n.sc, n.com, n.pre, n.keys, n.self = sc, com, sc.PrestateHash(), keys, self
	if epochChanged {
		n.pool.reset()
		n.gen = n.randU64()
	}
	return nil
}

// Start emits CommitmentAnnounce to every other member (SPEC §5.4: on
// start and on each key-epoch change).
func (n *Node) Start(now time.Time) {
	n.now = now
	n.announce()
}

// SetScope installs a new reduced state (after a commit, anti-entropy or a
// key change). A key-epoch change drops every commitment and announces
// fresh ones; instances waiting for this prestate vote now (SPEC §16.6).
func (n *Node) SetScope(sc Scope, keys Keys, now time.Time) error {
	n.now = now
	oldEpoch := n.com.KeyEpoch
	if err := n.install(sc, keys); err != nil {
		return err
	}
	if n.com.KeyEpoch != oldEpoch {
		n.announce()
	}
	n.retryAfterScope()
	n.drain()
	return nil
}

// ObserveRTT feeds one RTT sample to peer w; Δ̂ is the maximum over
// committee peers (SPEC §10).
func (n *Node) ObserveRTT(w WitnessID, rtt time.Duration) {
	n.rtt[w] = rtt
	d := n.cfg.InitialDelta
	if len(n.rtt) > 0 {
		d = 0
		for _, v := range n.rtt {
			d = max(d, v)
		}
	}
	n.delta = d
	n.tm = deriveTiming(d, n.cfg.GossipInterval, n.cfg.MinInstanceTimeout)
	n.m.DeltaEstimate(d)
}

// Step handles one verified-framing message from member from.
func (n *Node) Step(from WitnessID, msg Message, now time.Time) error {
	n.now = now
	if _, ok := n.com.Member(from); !ok || from == n.cfg.Self {
		return fmt.Errorf("%w: sender is not another member", ErrInvalidMessage)
	}
	err := n.dispatch(from, msg)
	n.drain()
	return err
}

func (n *Node) dispatch(from WitnessID, msg Message) error {
	switch m := msg.(type) {
	case *Execute:
		return n.onExecute(from, m)
	case *GetExecute:
		return n.onGetExecute(from, m)
	case *NonceCommit:
		return n.onNonceCommit(from, m)
	case *SignRequest:
		return n.onSignRequest(from, m)
	case *SignShare:
		return n.onSignShare(from, m)
	case *StateMismatch:
		return n.onStateMismatch(from, m)
	case *Conflict:
		return n.onConflict(from, m)
	case *Commit:
		return n.onCommit(from, m)
	case *CommitmentAnnounce:
		return n.onAnnounce(from, m)
	case *AggregateShare:
		return n.onAggregateShare(from, m)
	}
	return fmt.Errorf("%w: unknown message %T", ErrInvalidMessage, msg)
}

// drain processes self-addressed messages queued during an input.
func (n *Node) drain() {
	for i := 0; len(n.loop) > 0 && i < maxLoop; i++ {
		m := n.loop[0]
		n.loop = n.loop[1:]
		if err := n.dispatch(n.cfg.Self, m); err != nil {
			n.log.Debug("self message refused", "err", err)
		}
	}
	n.loop = nil
}

// send queues msg to w (loopback when w is self).
func (n *Node) send(w WitnessID, msg Message) {
	if w == n.cfg.Self {
		n.loop = append(n.loop, msg)
		return
	}
	n.out.Messages = append(n.out.Messages, Envelope{To: w, Msg: msg})
}

// sendAll sends msg to every member, self included (loopback).
func (n *Node) sendAll(msg Message) {
	for _, m := range n.com.Members {
		n.send(m.Witness, msg)
	}
}

// publish queues msg for the fallback topic and k random other members.
func (n *Node) publish(msg Message, except WitnessID) {
	n.out.Messages = append(n.out.Messages, Envelope{Topic: true, Msg: msg})
	n.sendFanout(msg, except)
}

// sendFanout sends msg directly to k random other members (SPEC §5.6).
func (n *Node) sendFanout(msg Message, except WitnessID) {
	var cands []WitnessID
	for _, m := range n.com.Members {
		if m.Witness != n.cfg.Self && m.Witness != except {
			cands = append(cands, m.Witness)
		}
	}
	k := min(n.cfg.fanout(n.com.N()), len(cands))
	for i := 0; i < k; i++ {
		j := i + int(n.randU64()%uint64(len(cands)-i))
		cands[i], cands[j] = cands[j], cands[i]
		n.send(cands[i], msg)
	}
}

func (n *Node) randU64() uint64 {
	var b [8]byte
	if _, err := io.ReadFull(n.cfg.Rand, b[:]); err != nil {
		panic("consensus: Config.Rand failed: " + err.Error()) // broken dependency
	}
	return binary.BigEndian.Uint64(b[:])
}

// HasReady reports whether Ready would return a non-empty batch.
func (n *Node) HasReady() bool { return !n.out.Empty() }

// Ready returns and clears the pending output batch (see Ready for the
// durability-before-send contract).
func (n *Node) Ready() Ready {
	r := n.out
	n.out = Ready{}
	return r
}

// Resolve reports the chain-walk result of a committed instance: the tree
// or context service calls it, and the core emits Applied or Superseded.
func (n *Node) Resolve(cid [32]byte, applied bool) {
	f := n.decided[cid]
	k := Superseded
	if applied {
		k = Applied
	}
	n.out.Outcomes = append(n.out.Outcomes, Outcome{CID: cid, Kind: k, Fact: f})
}

// Decided returns the stored Commit of cid, if any.
func (n *Node) Decided(cid [32]byte) (CommitFact, bool) {
	f, ok := n.decided[cid]
	if !ok {
		return CommitFact{}, false
	}
	return *f, true
}

// OldestUndecided returns the age at now of the oldest instance this node
// holds without a stored Commit, or 0 if it holds none
// (aura_consensus_oldest_instance_age_seconds, SPEC §14). It covers the
// instances InstancesActive counts: voting, waiting for a prestate, in
// fallback, timed out at the initiator, and stubs known only from gossip.
// An instance's age is now minus the input time that created it (Propose,
// its Execute, or the first message naming its cid); a now before that
// gives 0. It reads no clock and changes nothing: the driver calls it after
// Tick with the same now.
func (n *Node) OldestUndecided(now time.Time) time.Duration {
	var oldest time.Duration
	for _, inst := range n.insts {
		if inst.commit == nil {
			oldest = max(oldest, now.Sub(inst.created))
		}
	}
	return oldest
}

// Timing returns the current T_fallback, round length R and InstanceTimeout.
func (n *Node) Timing() (tFallback, round, instanceTimeout time.Duration) {
	return n.tm.fallback, n.tm.round, n.tm.timeout
}

// Tick advances timers: T_fallback, rounds, gossip, InstanceTimeout and
// retention.
func (n *Node) Tick(now time.Time) {
	n.now = now
	active := 0
	for _, inst := range n.sortedInstances() {
		if n.tickInstance(inst) {
			delete(n.insts, inst.cid)
			continue
		}
		if inst.commit == nil {
			active++
		}
	}
	n.m.InstancesActive(active)
	n.drain()
}

// tickInstance runs one instance's timers; true means free it.
func (n *Node) tickInstance(inst *instance) bool {
	if inst.commit != nil {
		return n.now.After(inst.retainUntil)
	}
	if inst.fb != nil && n.now.After(inst.fb.entered.Add(n.cfg.InstanceRetention)) {
		return true
	}
	if inst.fb == nil && n.now.After(inst.created.Add(n.tm.timeout+n.cfg.InstanceRetention)) {
		return true // never voted nor entered fallback (e.g. an invalid op)
	}
	if inst.exec == nil {
		return n.tickStub(inst)
	}
	if inst.isInit && !inst.timedOut && !inst.timeoutAt.IsZero() && !n.now.Before(inst.timeoutAt) {
		inst.timedOut = true
		if inst.fb == nil {
			inst.state = StateFailed
		}
		n.out.Outcomes = append(n.out.Outcomes, Outcome{CID: inst.cid, Kind: TimedOut, Err: ErrConsensusTimeout})
	}
	if inst.fb == nil && !inst.fbAt.IsZero() && !n.now.Before(inst.fbAt) {
		n.enterFallback(inst, FallbackTimer)
	}
	if inst.fb != nil {
		n.fallbackTick(inst)
	}
	return false
}

// tickStub retries GetExecute for an instance known only from gossip.
func (n *Node) tickStub(inst *instance) bool {
	if n.now.After(inst.created.Add(n.cfg.InstanceRetention)) {
		return true
	}
	if n.now.Sub(inst.lastFetch) >= n.cfg.GossipInterval && inst.fetchFrom != (WitnessID{}) {
		inst.lastFetch = n.now
		n.send(inst.fetchFrom, &GetExecute{CID: inst.cid})
	}
	return false
}

// sortedInstances lists instances by cid, so timer-driven output (and the
// Rand draws of fanout) does not depend on map order.
func (n *Node) sortedInstances() []*instance {
	out := make([]*instance, 0, len(n.insts))
	for _, inst := range n.insts {
		out = append(out, inst)
	}
	slices.SortFunc(out, func(a, b *instance) int { return bytes.Compare(a.cid[:], b.cid[:]) })
	return out
}

func (n *Node) stubs() int {
	c := 0
	for _, i := range n.insts {
		if i.exec == nil {
			c++
		}
	}
	return c
}

// retryAfterScope re-runs instances that waited for the new prestate and
// re-verifies commits that could not be verified before.
func (n *Node) retryAfterScope() {
	for _, inst := range n.sortedInstances() {
		if inst.commit == nil && inst.pendingCommit != nil {
			f := inst.pendingCommit
			inst.pendingCommit = nil
			_ = n.acceptCommit(inst, f, WitnessID{})
		}
		if inst.commit == nil && inst.exec != nil && !inst.voted && inst.exec.PrestateHash == n.pre {
			n.witnessExecute(inst, inst.initiator)
		}
	}
}
