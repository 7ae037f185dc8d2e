package flow

import (
	"crypto/ed25519"
	"sync"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Identity is this device's standing: its authority, its DeviceId and the
// authority's current AuthoritySecret (SPEC §1; keys receipt nonces).
type Identity struct {
	Authority journal.AuthorityID
	Device    journal.DeviceID
	Secret    []byte
}

// ContextView is what the guard chain reads about one context and one
// peer authority in it (the destination of a send, the source of a
// receive). The journal's context and authority reductions produce it;
// StaticState serves it from plain values in tests.
type ContextView struct {
	// Epoch is the effective flow epoch (max valid FlowEpochAdvance).
	Epoch uint64
	// Schedule is the context's nominal epoch schedule (Genesis fields).
	Schedule budget.Schedule
	// Default is the Genesis DefaultCaps and DefaultLimit.
	Default cap.Default
	// Grants are the context's CapGrant tokens (all of them; selection
	// filters by issuer and presenter).
	Grants [][]byte
	// PeerKey is the peer's current member key; zero if it is no member.
	PeerKey [32]byte
	// SelfKey is this authority's member signing key in the context.
	SelfKey ed25519.PrivateKey
	// Leaves are the LeafIds of this authority's Device leaves in its
	// current TreeState; SelfLeaf is this device's. A single-device
	// authority has Leaves = {SelfLeaf}.
	Leaves   []uint32
	SelfLeaf uint32
}

// selfPub is the public half of SelfKey (the issuer key of grants this
// authority gave).
func (v *ContextView) selfPub() [32]byte {
	var p [32]byte
	if len(v.SelfKey) == ed25519.PrivateKeySize {
		copy(p[:], v.SelfKey.Public().(ed25519.PublicKey))
	}
	return p
}

// State is the guard chain's read-only source of context state. Any error
// (or a missing context) denies a send and rejects a receive. It must be
// safe for concurrent use and return values the caller may keep (no
// shared mutable slices).
type State interface {
	Identity() (Identity, error)
	// Context returns the view of ctx for peer (dst or src).
	Context(ctx journal.ContextID, peer journal.AuthorityID) (ContextView, error)
}

// StaticState is a State of plain values, for tests and for nodes that
// have only static contexts wired by hand. Its methods are safe for
// concurrent use; Set* replace values atomically.
type StaticState struct {
	mu   sync.Mutex
	id   Identity
	ctxs map[journal.ContextID]*staticCtx
}

type staticCtx struct {
	view ContextView // PeerKey unused
	keys map[journal.AuthorityID][32]byte
}

// NewStaticState returns a state with identity id and no contexts.
func NewStaticState(id Identity) *StaticState {
	return &StaticState{id: id, ctxs: map[journal.ContextID]*staticCtx{}}
}

// Identity returns the identity.
func (s *StaticState) Identity() (Identity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id, nil
}

// SetContext installs (or replaces) ctx with view v and the member keys
// of its other members (PeerKey of v is ignored).
func (s *StaticState) SetContext(ctx journal.ContextID, v ContextView, members map[journal.AuthorityID][32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make(map[journal.AuthorityID][32]byte, len(members))
	for a, k := range members {
		keys[a] = k
	}
	s.ctxs[ctx] = &staticCtx{view: v, keys: keys}
}

// SetEpoch sets ctx's effective flow epoch (a FlowEpochAdvance reduced).
func (s *StaticState) SetEpoch(ctx journal.ContextID, epoch uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.ctxs[ctx]; ok {
		c.view.Epoch = epoch
	}
}

// AddGrant adds a CapGrant token to ctx (a grant fact synced).
func (s *StaticState) AddGrant(ctx journal.ContextID, token []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.ctxs[ctx]; ok {
		c.view.Grants = append(append([][]byte(nil), c.view.Grants...), append([]byte(nil), token...))
	}
}

// Context returns ctx's view for peer, or ErrUnknownContext if ctx is
// unknown or peer is not a member.
func (s *StaticState) Context(ctx journal.ContextID, peer journal.AuthorityID) (ContextView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.ctxs[ctx]
	if !ok {
		return ContextView{}, ErrUnknownContext
	}
	k, ok := c.keys[peer]
	if !ok {
		return ContextView{}, ErrUnknownContext
	}
	v := c.view
	v.PeerKey = k
	return v, nil
}
