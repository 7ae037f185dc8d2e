package jstate

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/journal"
)

// State is the journal-backed flow.State (SPEC §6.1–§6.5): the guard
// chain's view of each context is reduced from the context namespace
// (Genesis defaults and schedule, member keys, CapGrant tokens,
// FlowEpochAdvance, DevicePeer) and cached until the namespace's
// journal.Version changes — a lookup re-reduces at most once per
// journal change, never per send. Safe for concurrent use; the cache is
// its only mutable state, guarded by mu.
type State struct {
	j    *journal.Journal
	kr   *Keyring // nil: no authority
	red  journal.ContextReducer
	auth *journal.Registry // nil: slot table {Keyring.Leaf}
	m    Metrics

	mu    sync.Mutex
	ctxs  map[journal.ContextID]*reduced
	slots *slotCache // the last slot table (Options.Authorities), under mu
}

// slotCache is the slot table at one authority-namespace version.
type slotCache struct {
	aver   uint64
	leaves []uint32
	self   uint32
	err    error
}

// reduced is one context's cached reduction at journal version ver.
type reduced struct {
	ver  uint64
	aver uint64 // the authority namespace's version (Options.Authorities)
	st   *journal.ContextState
	view flow.ContextView // peer-independent part; PeerKey zero
	err  error
}

// New returns the state of journal j for the device of kr. A nil kr is a
// node without an authority: Identity and Context fail (context-scope
// traffic is refused) and only per-device budgets work. m may be nil.
func New(j *journal.Journal, kr *Keyring, m Metrics) (*State, error) {
	return NewWith(j, kr, m, Options{})
}

// Options are New's optional settings.
type Options struct {
	// Authorities reduces the keyring's authority namespace for
	// multi-device slot tables (SPEC §6.2): journal.NewRegistry(
	// tree.JournalReducer{R: r}, journal.ContextReducer{}). The slot
	// table is then the LeafIds of the reduced state's devices and this
	// device's slot its index; without a reduced Genesis it is
	// {Keyring.Leaf}; a reduced state that does not list this device
	// denies context sends (ErrNotMember: it was removed). Nil: always
	// {Keyring.Leaf}.
	Authorities *journal.Registry
}

// NewWith is New with Options.
func NewWith(j *journal.Journal, kr *Keyring, m Metrics, o Options) (*State, error) {
	if kr != nil {
		if err := kr.Validate(); err != nil {
			return nil, err
		}
		kr = kr.clone()
	}
	if m == nil {
		m = NopMetrics{}
	}
	return &State{j: j, kr: kr, m: m, auth: o.Authorities, ctxs: map[journal.ContextID]*reduced{}}, nil
}

// Identity implements flow.State.
func (s *State) Identity() (flow.Identity, error) {
	if s.kr == nil {
		return flow.Identity{}, ErrNoKeyring
	}
	return flow.Identity{Authority: s.kr.Authority, Device: s.kr.Device,
		Secret: slices.Clone(s.kr.Secret)}, nil
}

// Context implements flow.State: the view of ctx toward member peer
// (a send's dst or a receive's src). A non-member context, a context
// without a valid Genesis, a Genesis naming another member key for this
// authority, or a peer that is no member wraps flow.ErrUnknownContext.
func (s *State) Context(ctx journal.ContextID, peer journal.AuthorityID) (flow.ContextView, error) {
	r, err := s.reduce(ctx)
	if err != nil {
		return flow.ContextView{}, err
	}
	key, ok := memberKey(r.st, peer)
	if !ok {
		return flow.ContextView{}, flow.ErrUnknownContext
	}
	v := r.view
	v.PeerKey = key
	v.Grants = cloneAll(v.Grants)
	v.Leaves = slices.Clone(v.Leaves)
	v.Default.Caps = slices.Clone(v.Default.Caps)
	return v, nil
}

// AuthorityOf resolves a libp2p peer to the member authority whose
// context DevicePeer fact names it (SPEC §3: only through DevicePeer
// facts). A peer claimed by no member, or by several, is ErrUnknownPeer.
func (s *State) AuthorityOf(ctx journal.ContextID, p peer.ID) (journal.AuthorityID, error) {
	r, err := s.reduce(ctx)
	if err != nil {
		return journal.AuthorityID{}, err
	}
	var found []journal.AuthorityID
	for _, dp := range r.st.Peers {
		a := journal.AuthorityID(dp.Author)
		if bytes.Equal(dp.PeerID, []byte(p)) && !slices.Contains(found, a) {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		return journal.AuthorityID{}, ErrUnknownPeer
	}
	return found[0], nil
}

// PeersOf lists the peers member a's DevicePeer facts name in ctx,
// sorted, without duplicates.
func (s *State) PeersOf(ctx journal.ContextID, a journal.AuthorityID) ([]peer.ID, error) {
	r, err := s.reduce(ctx)
	if err != nil {
		return nil, err
	}
	var out []peer.ID
	for _, dp := range r.st.Peers {
		if journal.AuthorityID(dp.Author) == a {
			out = append(out, peer.ID(dp.PeerID))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// reduce returns ctx's reduction, re-reducing if its namespace changed
// since the cached one. The version is read before the entries, so a
// write racing the reduction only causes one more re-reduction.
func (s *State) reduce(ctx journal.ContextID) (*reduced, error) {
	ns := journal.ContextNS(ctx)
	if s.kr == nil {
		return nil, ErrNoKeyring
	}
	if !s.j.IsMember(ns) {
		return nil, flow.ErrUnknownContext
	}
	ver, aver := s.j.Version(ns), s.authVersion()
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.ctxs[ctx]; ok && r.ver == ver && r.aver == aver {
		return r, r.err
	}
	r := s.load(ns, ver, aver)
	r.aver = aver
	s.ctxs[ctx] = r
	return r, r.err
}

// load reduces ns at version ver (journal I/O; caller holds mu, so one
// reduction per change even under concurrent sends).
func (s *State) load(ns journal.Namespace, ver, aver uint64) *reduced {
	s.m.ContextReduced()
	set, err := s.j.Store().Set(context.Background(), ns)
	if err != nil && !errors.Is(err, journal.ErrCorrupt) {
		return &reduced{ver: ver, err: flow.ErrUnknownContext}
	}
	st, err := s.red.Reduce(ns, set.Entries())
	if err != nil {
		return &reduced{ver: ver, err: flow.ErrUnknownContext}
	}
	cs := st.(*journal.ContextState)
	view, err := s.baseView(cs, aver)
	return &reduced{ver: ver, st: cs, view: view, err: err}
}

// baseView is the peer-independent part of every view of cs.
func (s *State) baseView(cs *journal.ContextState, aver uint64) (flow.ContextView, error) {
	if !cs.HasGenesis {
		return flow.ContextView{}, ErrNotMember
	}
	if k, ok := memberKey(cs, s.kr.Authority); !ok || k != pub(s.kr.MemberKey) {
		return flow.ContextView{}, ErrNotMember
	}
	g := cs.Genesis
	v := flow.ContextView{
		Epoch:    cs.FlowEpoch,
		Schedule: budget.ContextSchedule(g.GenesisTimeMs, g.FlowEpochMs),
		Default:  genesisDefault(g),
		SelfKey:  s.kr.MemberKey,
	}
	var err error
	if v.Leaves, v.SelfLeaf, err = s.cachedSlots(aver); err != nil {
		return flow.ContextView{}, err
	}
	for _, gr := range cs.Grants {
		v.Grants = append(v.Grants, gr.Token)
	}
	return v, nil
}

// genesisDefault is the Genesis DefaultCaps and DefaultLimit; an empty
// DefaultCaps is every name and a zero DefaultLimit the SPEC §10
// default (SPEC §6.1).
func genesisDefault(g *journal.ContextGenesis) cap.Default {
	d := cap.Default{Caps: slices.Clone(g.DefaultCaps), Limit: g.DefaultLimit}
	if len(d.Caps) == 0 {
		d.Caps = cap.AllNames()
	}
	if d.Limit == 0 {
		d.Limit = budget.DefaultContextLimit
	}
	return d
}

func cloneAll(bs [][]byte) [][]byte {
	out := make([][]byte, len(bs))
	for i, b := range bs {
		out[i] = slices.Clone(b)
	}
	return out
}

// memberKey is a's member signing key at its newest key epoch.
func memberKey(cs *journal.ContextState, a journal.AuthorityID) ([32]byte, bool) {
	var key [32]byte
	var epoch uint64
	found := false
	for _, k := range cs.MemberKeys {
		if k.AuthorityID == a && (!found || k.KeyEpoch >= epoch) {
			key, epoch, found = k.SignKey, k.KeyEpoch, true
		}
	}
	return key, found
}

var _ flow.State = (*State)(nil)

// authVersion is the keyring authority namespace's change counter (0
// without Options.Authorities or membership).
func (s *State) authVersion() uint64 {
	if s.auth == nil || s.kr == nil || !s.j.IsMember(s.kr.NS()) {
		return 0
	}
	return s.j.Version(s.kr.NS())
}

// cachedSlots is slotTable, reduced once per authority version (caller
// holds mu).
func (s *State) cachedSlots(aver uint64) ([]uint32, uint32, error) {
	if c := s.slots; c != nil && c.aver == aver && s.auth != nil {
		return slices.Clone(c.leaves), c.self, c.err
	}
	leaves, self, err := s.slotTable()
	s.slots = &slotCache{aver: aver, leaves: slices.Clone(leaves), self: self, err: err}
	return leaves, self, err
}

// slotTable is this device's slot table (SPEC §6.2): the LeafIds of the
// reduced authority's devices and its own LeafId, or {Keyring.Leaf}
// without Options.Authorities or a reduced Genesis. A reduced state that
// does not list this device is ErrNotMember.
func (s *State) slotTable() ([]uint32, uint32, error) {
	single := []uint32{s.kr.Leaf}
	ns := s.kr.NS()
	if s.auth == nil || !s.j.IsMember(ns) {
		return single, s.kr.Leaf, nil
	}
	set, err := s.j.Store().Set(context.Background(), ns)
	if err != nil && !errors.Is(err, journal.ErrCorrupt) {
		return nil, 0, flow.ErrUnknownContext
	}
	st, err := s.auth.ReduceSet(set)
	if err != nil {
		return nil, 0, flow.ErrUnknownContext
	}
	av, ok := st.(journal.AuthorityView)
	if !ok || len(av.Devices()) == 0 {
		return single, s.kr.Leaf, nil
	}
	var leaves []uint32
	self, found := uint32(0), false
	for _, d := range av.Devices() {
		leaves = append(leaves, d.Leaf)
		if d.Device == s.kr.Device {
			self, found = d.Leaf, true
		}
	}
	if !found {
		return nil, 0, ErrNotMember
	}
	slices.Sort(leaves)
	return leaves, self, nil
}
